#!/usr/bin/env bash
# The whole test suite, with everything it needs: Debian packages, a real step-ca built from Debian's
# sources, and the reference schemas. Extra arguments go to 'dotnet test'.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
eng/install-prerequisites.sh
export LOCALTLS_STEP_CA="${LOCALTLS_STEP_CA:-$(eng/build-step-ca.sh)}"
if [ -z "${LOCALTLS_REFERENCE_DIR:-}" ] && [ -d "$root/../shared/reference" ]; then
  export LOCALTLS_REFERENCE_DIR="$(cd "$root/../shared/reference" && pwd)"
fi
exec dotnet test --solution LocalTls.sln "$@"
