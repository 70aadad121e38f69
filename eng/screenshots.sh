#!/usr/bin/env bash
# Retakes the README's dashboard pictures: runs the playground AppHost (dotnet run), logs into its dashboard with
# the token from its log, and has eng/screenshots/screenshots.cs (Playwright + Debian's Chromium) take them.
# Usage: eng/screenshots.sh [OUT_DIR]   (default docs). Needs chromium (apt-get install chromium) and step-ca
# (eng/build-step-ca.sh). The web project listens on 7443: the run waits while another playground holds it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$(mkdir -p "${1:-docs}" && cd "${1:-docs}" && pwd)"
work="$(mktemp -d)"
step_ca="${LOCALTLS_STEP_CA:-$(eng/build-step-ca.sh)}"
export LOCALTLS_CAROOT="${LOCALTLS_CAROOT:-$work/caroot}"
dotnet build LocalTls.sln -nologo -v quiet >/dev/null

for _ in $(seq 1 60); do
  (exec 3<>/dev/tcp/127.0.0.1/7443) 2>/dev/null || break
  echo "port 7443 is busy (another playground?); waiting" >&2; sleep 5
done

pid=""
cleanup() { [ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
(LOCALTLS_STEP_CA="$step_ca" exec setsid dotnet run --no-build --project playground/LocalTls.Playground.AppHost \
  -- --Playground:CaStore="$LOCALTLS_CAROOT") >"$work/apphost.log" 2>&1 & pid=$!

login=""
for _ in $(seq 1 120); do
  login="$(grep -o 'http://localhost:[0-9]*/login?t=[0-9a-f]*' "$work/apphost.log" | head -1 || true)"
  [ -n "$login" ] && grep -q 'Open https://' "$work/apphost.log" && break
  sleep 1
done
[ -n "$login" ] || { cat "$work/apphost.log"; exit 1; }
dotnet run eng/screenshots/screenshots.cs -- "$login" "$out" || { cat "$work/apphost.log"; exit 1; }
grep -E 'localtls trust install|Open https://' "$work/apphost.log" | sed 's/^/   apphost: /'
