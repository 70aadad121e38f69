#!/usr/bin/env bash
# Retakes the README's dashboard pictures: runs the playground AppHost (dotnet run), logs into its dashboard with
# the token from its log, and has eng/screenshots/screenshots.cs (Playwright + Debian's Chromium) take them; then the
# same in cluster mode against the Kubernetes API double (docs/dashboard-cluster.png; needs kubectl).
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
kill -TERM -- "-$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=""

# Cluster mode, against the Kubernetes API double (tests/LocalTls.KubeApiDouble): no real cluster runs here. The
# double runs the real step-ca from the applied Deployment and its cert-manager stand-in issues over ACME from it.
kubeconfig="$work/double.kubeconfig"
double=""
cleanup_double() { [ -n "$double" ] && kill -TERM -- "-$double" 2>/dev/null; cleanup; }
trap cleanup_double EXIT
(exec setsid dotnet run --no-build --project tests/LocalTls.KubeApiDouble -- --listen 127.0.0.1:0 \
  --kubeconfig "$kubeconfig" --step-ca "$step_ca" --k3s-system) >"$work/double.log" 2>&1 & double=$!
for _ in $(seq 1 60); do [ -s "$kubeconfig" ] && break; sleep 1; done
[ -s "$kubeconfig" ] || { cat "$work/double.log"; exit 1; }
# cert-manager's CRDs, as 'kubectl apply' of its release would bring them (the stand-in does the rest).
reference="${LOCALTLS_REFERENCE_DIR:-$root/../shared/reference}"
KUBECONFIG="$kubeconfig" kubectl apply --server-side -f "$reference/cert-manager/crds/" >/dev/null
# Its own dashboard ports (not the launch profile's 15080), so a playground already running elsewhere does not collide.
(LOCALTLS_STEP_CA="$step_ca" DOTNET_ENVIRONMENT=Development ASPNETCORE_URLS=http://localhost:15180 \
  ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://localhost:19180 ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://localhost:20180 \
  ASPIRE_ALLOW_UNSECURED_TRANSPORT=true exec setsid dotnet run --no-build --no-launch-profile --project playground/LocalTls.Playground.AppHost \
  -- --Playground:Target=cluster --Playground:Kubeconfig="$kubeconfig" --Playground:CaStore="$work/caroot-cluster") \
  >"$work/apphost-cluster.log" 2>&1 & pid=$!
login=""
for _ in $(seq 1 120); do
  login="$(grep -o 'http://localhost:[0-9]*/login?t=[0-9a-f]*' "$work/apphost-cluster.log" | head -1 || true)"
  [ -n "$login" ] && break
  sleep 1
done
[ -n "$login" ] || { cat "$work/apphost-cluster.log"; exit 1; }
dotnet run eng/screenshots/screenshots.cs -- "$login" "$out" cluster || { cat "$work/apphost-cluster.log" "$work/double.log"; exit 1; }
