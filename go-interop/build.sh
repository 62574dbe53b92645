#!/usr/bin/env bash
# Builds every Go peer the interop tests use into go-interop/bin/:
#   - each ./cmd/<name> of this module            -> bin/<name>
#   - each ./plugin/<name> of this module         -> bin/<name>
#   - the real fake dispatcher v0.5.2 (from the module proxy, pinned in go.mod)
#   - each ./latest/cmd/<name> (newest go-plugin)  -> bin/latest/<name>
# Usage: go-interop/build.sh            (everything)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export GONOSUMDB="${GONOSUMDB:-github.com/tilotech}"
command -v go >/dev/null || { echo "build.sh: the Go toolchain is required (go not on PATH)" >&2; exit 1; }
mkdir -p bin bin/latest
go build -o bin/tilores-plugin-fake-dispatcher github.com/tilotech/tilores-plugin-fake-dispatcher
for dir in cmd/*/ plugin/*/; do
  [ -d "$dir" ] || continue
  ls "$dir"*.go >/dev/null 2>&1 || continue
  go build -o "bin/$(basename "$dir")" "./$dir"
done
if [ -f latest/go.mod ]; then
  (cd latest
   for dir in cmd/*/ plugin/*/; do
     [ -d "$dir" ] || continue
     ls "$dir"*.go >/dev/null 2>&1 || continue
     go build -o "../bin/latest/$(basename "$dir")" "./$dir"
   done)
fi
echo "build.sh: Go peers built into $here/bin"
