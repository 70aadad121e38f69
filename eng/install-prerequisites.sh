#!/usr/bin/env bash
# Installs the Debian packages the tests and the playground use: Go and step-ca's sources (to build a real
# step-ca), lego (an independent ACME client), dig, openssl and curl; Chromium, NSS's certutil and a Java runtime (keytool)
# for the trust tests; kubectl when none is on PATH. Only what is missing is installed.
set -euo pipefail
packages=(golang-go golang-github-smallstep-certificates-dev lego dnsutils openssl curl ca-certificates chromium libnss3-tools openjdk-17-jre-headless)
# kubectl for the Kubernetes API double's tests: the one on PATH (e.g. the Google Cloud CLI's), else Debian's.
command -v kubectl >/dev/null || packages+=(kubernetes-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then sudo=(sudo); else
    echo "error: missing Debian packages: ${missing[*]}. Install them as root: apt-get install ${missing[*]}" >&2
    exit 3
  fi
fi
echo "Installing ${missing[*]} ..." >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
