#!/usr/bin/env bash
# The playground end to end, on this machine, no cluster needed:
#  1. the seed's k3s setup as an Aspire app model (playground/LocalTls.Playground.AppHost), published as
#     Kubernetes manifests for the local environment (step-ca + its ClusterIssuer) and for Production (Let's Encrypt);
#  2. the same app model run on this machine (no cluster): a real step-ca and its offline sslip.io DNS as Aspire
#     resources, a certificate issued over ACME for web.127.0.0.1.sslip.io, and a web project serving it, checked
#     with curl and openssl trusting only the local root. The dashboard link is printed.
# Usage: eng/playground.sh [OUT_DIR]   (default out/playground). PLAYGROUND_KEEP_RUNNING=1 keeps it running.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$(mkdir -p "${1:-out/playground}" && cd "${1:-out/playground}" && pwd)"
name="web.127.0.0.1.sslip.io"

eng/install-prerequisites.sh
step_ca="$(eng/build-step-ca.sh)"
export LOCALTLS_CAROOT="${LOCALTLS_CAROOT:-$out/caroot}"
dotnet build LocalTls.sln -nologo -v quiet >/dev/null
apphost="$root/playground/LocalTls.Playground.AppHost/bin/Debug/net10.0/LocalTls.Playground.AppHost.dll"

echo "== 1. The app model, published (CA store: $LOCALTLS_CAROOT)"
for environment in Development Production; do
  dotnet "$apphost" --operation publish --step publish --environment "$environment" \
    --output-path "$out/publish-$environment" --Playground:CaStore="$LOCALTLS_CAROOT" >"$out/publish-$environment.log" 2>&1 \
    || { cat "$out/publish-$environment.log"; exit 1; }
  echo "   $environment: $(grep -c '^kind:' "$out/publish-$environment/localtls/manifests.yaml") objects in $out/publish-$environment/localtls/manifests.yaml"
  grep '^kind:' "$out/publish-$environment/localtls/manifests.yaml" | sort | uniq -c | sed 's/^/     /'
done

echo "== 2. The app model, run on this machine: step-ca, its DNS responder, a certificate, a web project"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 143' INT TERM
(cd playground/LocalTls.Playground.AppHost && LOCALTLS_STEP_CA="$step_ca" exec setsid dotnet run --no-build \
  -- --Playground:CaStore="$LOCALTLS_CAROOT") >"$out/apphost.log" 2>&1 & pids+=($!)
root_pem="$LOCALTLS_CAROOT/root_ca.crt"
url="https://$name:7443/"
for _ in $(seq 1 120); do
  [ -f "$root_pem" ] && curl -fsS --cacert "$root_pem" --resolve "$name:7443:127.0.0.1" "$url" >"$out/page.html" 2>/dev/null && break
  sleep 1
done
curl -fsS --cacert "$root_pem" --resolve "$name:7443:127.0.0.1" "$url" >"$out/page.html" || { cat "$out/apphost.log"; exit 1; }
echo "   dashboard: $(grep -o 'http://localhost:[0-9]*/login?t=[0-9a-f]*' "$out/apphost.log" | head -1)"
echo "   $url answered, trusting only $root_pem:"
sed 's/<[^>]*>/ /g; s/  */ /g' "$out/page.html" | sed 's/^/     /'; echo
echo | openssl s_client -connect 127.0.0.1:7443 -servername "$name" -CAfile "$root_pem" 2>/dev/null \
  | openssl x509 -noout -issuer -subject -enddate -ext subjectAltName | sed 's/^/     /'
if [ "${PLAYGROUND_KEEP_RUNNING:-0}" = 1 ]; then
  echo "   Running until Ctrl+C (PLAYGROUND_KEEP_RUNNING=1)."
  wait
fi
echo "== Done. Trust the root once to open https://$name in a browser: LOCALTLS_CAROOT=$LOCALTLS_CAROOT localtls trust install"
