#!/usr/bin/env bash
# The playground end to end, on this machine, no cluster needed:
#  1. the seed's k3s setup as an Aspire app model (playground/LocalTls.Playground.AppHost), published as
#     Kubernetes manifests for the local environment (step-ca + its ClusterIssuer) and for Production (Let's Encrypt);
#  2. the seed's ACME flow for real: the local CA, a real step-ca, offline sslip.io DNS, and a certificate for
#     app.127.0.0.1.sslip.io over HTTP-01, checked with openssl as the seed's "Verification commands" do.
# Usage: eng/playground.sh [OUT_DIR]   (default out/playground). Step 2's HTTP-01 needs port 80 (root).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$(mkdir -p "${1:-out/playground}" && cd "${1:-out/playground}" && pwd)"
ca_port="${PLAYGROUND_CA_PORT:-9443}"
dns_port="${PLAYGROUND_DNS_PORT:-53535}"
name="app.127.0.0.1.sslip.io"

eng/install-prerequisites.sh
step_ca="$(eng/build-step-ca.sh)"
export LOCALTLS_CAROOT="${LOCALTLS_CAROOT:-$out/caroot}"
dotnet build LocalTls.sln -nologo -v quiet >/dev/null
localtls() { dotnet "$root/src/LocalTls.Cli/bin/Debug/net10.0/localtls.dll" "$@"; }
apphost="$root/playground/LocalTls.Playground.AppHost/bin/Debug/net10.0/LocalTls.Playground.AppHost.dll"

echo "== 1. The app model, published (CA store: $LOCALTLS_CAROOT)"
for environment in Development Production; do
  dotnet "$apphost" --operation publish --step publish --environment "$environment" \
    --output-path "$out/publish-$environment" --Playground:CaStore="$LOCALTLS_CAROOT" >"$out/publish-$environment.log" 2>&1 \
    || { cat "$out/publish-$environment.log"; exit 1; }
  echo "   $environment: $(grep -c '^kind:' "$out/publish-$environment/localtls/manifests.yaml") objects in $out/publish-$environment/localtls/manifests.yaml"
  grep '^kind:' "$out/publish-$environment/localtls/manifests.yaml" | sort | uniq -c | sed 's/^/     /'
done

echo "== 2. The ACME flow on this machine"
localtls ca init | sed 's/^/   /'
localtls stepca config --layout host --out "$out/step-ca" --address "127.0.0.1:$ca_port" >/dev/null
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
localtls dns serve --listen "127.0.0.1:$dns_port" >"$out/dns.log" 2>&1 & pids+=($!)
"$step_ca" --resolver "127.0.0.1:$dns_port" "$out/step-ca/config/ca.json" >"$out/step-ca.log" 2>&1 & pids+=($!)
root_pem="$out/step-ca/certs/root_ca.crt"
for _ in $(seq 1 100); do
  curl -fsS --cacert "$root_pem" "https://127.0.0.1:$ca_port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "   step-ca /health: $(curl -fsS --cacert "$root_pem" "https://127.0.0.1:$ca_port/health")"
echo "   ACME directory:  https://127.0.0.1:$ca_port/acme/acme/directory"
echo "   sslip.io DNS:    $name -> $(dig +short -p "$dns_port" @127.0.0.1 "$name" A)"

if ! (exec 3<>/dev/tcp/127.0.0.1/80) 2>/dev/null && [ "$(id -u)" = 0 ]; then
  rm -rf "$out/lego"
  LEGO_CA_CERTIFICATES="$root_pem" lego --server "https://127.0.0.1:$ca_port/acme/acme/directory" --email dev@example.com \
    --accept-tos --domains "$name" --http --http.port 127.0.0.1:80 --path "$out/lego" run >"$out/lego.log" 2>&1 \
    || { cat "$out/lego.log"; exit 1; }
  crt="$out/lego/certificates/$name.crt"
  echo "   issued over HTTP-01 by step-ca, fetched by lego: $crt"
  openssl x509 -in "$crt" -noout -issuer -subject -ext subjectAltName | sed 's/^/     /'
  awk 'BEGIN{n=0} /BEGIN CERT/{n++} {print > ("'"$out"'/chain-" n ".pem")}' "$crt"
  openssl verify -CAfile "$root_pem" -untrusted "$out/chain-2.pem" "$out/chain-1.pem" | sed 's/^/     /'
else
  echo "   HTTP-01 skipped: step-ca validates on port 80, which needs root here (or port 80 is taken)."
fi
echo "== Done. Trust $root_pem in your browser to open https://$name."
