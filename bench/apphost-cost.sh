#!/usr/bin/env bash
# What LocalTls costs an AppHost: from AppHost start to the first 200 from its web project, and the AppHost
# process's peak RSS (VmHWM), for the playground (step-ca, its DNS responder, a certificate issued over ACME, the web
# project over HTTPS on web.127.0.0.1.sslip.io) against bench/LocalTls.Bench.PlainAppHost (the same web project over
# plain HTTP on localhost, no LocalTls), in one run. A playground restart that reuses the certificate is measured
# separately. Each round uses a new temporary CA store; the AppHosts run from their Release builds, not `dotnet run`.
# Only the AppHost process is measured: step-ca, DCP, the dashboard and the web project are processes of their own.
# Usage: bench/apphost-cost.sh [--rounds 3]      needs step-ca ($LOCALTLS_STEP_CA, else eng/build-step-ca.sh builds it)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "error: unknown argument '$1'. Usage: bench/apphost-cost.sh [--rounds 3]" >&2; exit 2 ;;
  esac
done
[ -n "${LOCALTLS_STEP_CA:-}" ] || { eng/install-prerequisites.sh; LOCALTLS_STEP_CA="$(eng/build-step-ca.sh)"; }
export LOCALTLS_STEP_CA
[ -x "$LOCALTLS_STEP_CA" ] || { echo "error: LOCALTLS_STEP_CA=$LOCALTLS_STEP_CA is not an executable step-ca" >&2; exit 3; }
for project in playground/LocalTls.Playground.AppHost bench/LocalTls.Bench.PlainAppHost; do
  dotnet build -c Release "$project" -nologo -v q >&2
done
playground="$root/playground/LocalTls.Playground.AppHost/bin/Release/net10.0/LocalTls.Playground.AppHost.dll"
plain="$root/bench/LocalTls.Bench.PlainAppHost/bin/Release/net10.0/LocalTls.Bench.PlainAppHost.dll"
work="$(mktemp -d "${TMPDIR:-/tmp}/localtls-apphost-cost-XXXXXX")"
name="web.127.0.0.1.sslip.io"
https_port=7443 # the playground web project's launch profile

pid=""
stop() {
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}
trap 'stop; rm -rf "$work"' EXIT
trap 'exit 143' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
now_ns() { date +%s%N; }

# measure LABEL LOG PROBE-COMMAND... -- APPHOST-COMMAND...: sets ms (start to the probe's first success) and kb (peak RSS).
measure() {
  local label="$1" log="$2"; shift 2
  local probe=()
  while [ "$1" != "--" ]; do probe+=("$1"); shift; done
  shift
  # The AppHost's launch profile settings, on ports of their own so runs never meet another app's dashboard.
  local env=(ASPNETCORE_ENVIRONMENT=Development DOTNET_ENVIRONMENT=Development ASPIRE_ALLOW_UNSECURED_TRANSPORT=true
    "ASPNETCORE_URLS=http://localhost:$(free_port)"
    "ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://localhost:$(free_port)"
    "ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://localhost:$(free_port)")
  local start; start="$(now_ns)"
  env "${env[@]}" setsid dotnet "$@" >"$log" 2>&1 & pid=$!
  local end=""
  for _ in $(seq 1 1800); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if "${probe[@]}" >/dev/null 2>&1; then end="$(now_ns)"; break; fi
    sleep 0.1
  done
  local hwm; hwm="$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
  stop
  [ -n "$end" ] || { echo "error: $label never answered 200; its log:" >&2; tail -40 "$log" >&2; exit 1; }
  ms=$(( (end - start) / 1000000 )); kb="$hwm"
}

declare -a plain_ms plain_kb first_ms first_kb reuse_ms reuse_kb
# DCP stops an AppHost's web project shortly after the AppHost exits: the next start waits until its port is free.
wait_port_free() {
  for _ in $(seq 1 300); do port_in_use "$https_port" || return 0; sleep 0.1; done
  echo "error: 127.0.0.1:$https_port is in use (another playground?); the playground's web project needs it" >&2; exit 3
}

for round in $(seq 1 "$rounds"); do
  wait_port_free
  http_port="$(free_port)"
  measure plain "$work/plain-$round.log" \
    curl -fsS -o /dev/null "http://localhost:$http_port/" -- "$plain" "--Bench:Port=$http_port"
  plain_ms+=("$ms"); plain_kb+=("$kb")

  store="$work/caroot-$round"
  wait_port_free
  probe=(curl -fsS -o /dev/null --cacert "$store/root_ca.crt" --resolve "$name:$https_port:127.0.0.1" "https://$name:$https_port/")
  measure playground "$work/playground-$round.log" "${probe[@]}" -- "$playground" "--Playground:CaStore=$store"
  first_ms+=("$ms"); first_kb+=("$kb")
  crt="$store/step-ca/step-ca/certificates/web-tls/tls.crt"
  serial="$(openssl x509 -noout -serial -in "$crt")"
  wait_port_free
  measure playground-restart "$work/playground-restart-$round.log" "${probe[@]}" -- "$playground" "--Playground:CaStore=$store"
  # The restart must serve the same certificate, not issue a new one.
  [ "$(openssl x509 -noout -serial -in "$crt")" = "$serial" ] || { echo "error: the restart issued a new certificate instead of reusing it" >&2; exit 1; }
  reuse_ms+=("$ms"); reuse_kb+=("$kb")
  echo "round $round: plain ${plain_ms[-1]} ms ${plain_kb[-1]} KiB; playground ${first_ms[-1]} ms ${first_kb[-1]} KiB; restart ${reuse_ms[-1]} ms ${reuse_kb[-1]} KiB" >&2
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
pm="$(median "${plain_ms[@]}")"; pk="$(median "${plain_kb[@]}")"
fm="$(median "${first_ms[@]}")"; fk="$(median "${first_kb[@]}")"
rm_="$(median "${reuse_ms[@]}")"; rk="$(median "${reuse_kb[@]}")"
awk -v rounds="$rounds" -v pm="$pm" -v pk="$pk" -v fm="$fm" -v fk="$fk" -v rm="$rm_" -v rk="$rk" 'BEGIN {
  printf "medians of %d rounds, start to first 200, AppHost peak RSS (VmHWM):\n", rounds
  printf "  plain AppHost (HTTP, localhost)          %6.2f s  %6.1f MB\n", pm/1000, pk/1024
  printf "  playground, first start (new CA, issue)  %6.2f s  %6.1f MB   %.2fx the start time, %+.1f MB\n", fm/1000, fk/1024, fm/pm, (fk-pk)/1024
  printf "  playground, restart (certificate reused) %6.2f s  %6.1f MB   %.2fx the start time, %+.1f MB\n", rm/1000, rk/1024, rm/pm, (rk-pk)/1024
  printf "  goals: under 1.3x the start time, under 30 MB more\n"
}'
