#!/usr/bin/env bash
# Builds and runs the ACME benchmark: our client vs lego against one real step-ca, on loopback only.
# Usage: bench/run.sh [--count 20] [--challenge http-01|dns-01] [--step-ca-log FILE]   (http-01 needs 127.0.0.1:80: run as root)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
eng/install-prerequisites.sh
export LOCALTLS_STEP_CA="${LOCALTLS_STEP_CA:-$(eng/build-step-ca.sh)}"
dotnet build -c Release bench/LocalTls.Bench/LocalTls.Bench.csproj -v q -nologo >&2
exec dotnet bench/LocalTls.Bench/bin/Release/net10.0/LocalTls.Bench.dll "$@"
