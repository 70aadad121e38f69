#!/usr/bin/env bash
# Builds and runs the cluster benchmark: requests to the Kubernetes API double (total, mutating, reads) and wall time
# for the cluster target's apply pass: first apply of the playground's model, an unchanged re-run, 50 certificates.
# Usage: bench/cluster.sh [--certificates 50]   (loopback only; the reference schemas from $LOCALTLS_REFERENCE_DIR or shared/reference)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
dotnet build -c Release bench/LocalTls.Bench/LocalTls.Bench.csproj -v q -nologo >&2
exec dotnet bench/LocalTls.Bench/bin/Release/net10.0/LocalTls.Bench.dll cluster "$@"
