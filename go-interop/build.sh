#!/usr/bin/env bash
# Builds every Go peer the interop tests use into go-interop/bin/:
#   - each ./cmd/<name> of this module            -> bin/<name>
#     (e.g. dispatcher-host, dispatcher-rpc-peer, rpc-peer, plugin-host)
#   - each ./plugin/<name> of this module         -> bin/<name>
#   - the real fake dispatcher v0.5.2 (from the module proxy, pinned in go.mod)
#   - go-plugin v1.4.3 examples/basic          -> bin/basic-host, bin/basic-greeter
#   - go-plugin v1.4.3 examples/negotiated and examples/grpc/plugin-go-netrpc
#                                    -> bin/negotiated-host, bin/negotiated-kv-plugin,
#                                       bin/kv-netrpc-plugin (and v1.8.0's in bin/latest/)
#   - each ./latest/cmd/<name> and ./latest/plugin/<name> (nested module,
#     newest go-plugin v1.8.0)                     -> bin/latest/<name>
#   - each ./api/<version>/cmd/<name> and ./api/<version>/plugin/<name> (one
#     module per other tilores-plugin-api: v0.2.0, v0.3.0, v0.5.0, v0.7.0, v0.7.1)
#                                                  -> bin/api-<version>/<name>
#   - the Go fake dispatcher v0.6.0 (HTTP protocol)  -> bin/tilores-plugin-fake-dispatcher-v0.6.0
#   (every dispatcher host's script runner and main() are ./scripthost, a
#   stdlib-only module of its own that this module and each api/<version>
#   module import through a replace directive: nothing to build or download)
#   - go-plugin v1.8.0 examples/basic (host, plugin) -> bin/latest/basic-host, bin/latest/basic-greeter
# Usage: go-interop/build.sh            (everything)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export GONOSUMDB="${GONOSUMDB:-github.com/tilotech}"
command -v go >/dev/null || { echo "build.sh: the Go toolchain is required (go not on PATH)" >&2; exit 1; }
mkdir -p bin bin/latest
go build -o bin/tilores-plugin-fake-dispatcher github.com/tilotech/tilores-plugin-fake-dispatcher
# go-plugin v1.4.3's own examples/basic, unchanged (part of the go-plugin module;
# pinned via tools.go): the host runs ./plugin/greeter relative to its cwd.
go build -o bin/basic-host github.com/hashicorp/go-plugin/examples/basic
go build -o bin/basic-greeter github.com/hashicorp/go-plugin/examples/basic/plugin
# go-plugin v1.4.3's examples/negotiated (host and plugin: app protocol versions 2 = net/rpc,
# 3 = gRPC) and examples/grpc's net/rpc kv plugin, unchanged.
go build -o bin/negotiated-host github.com/hashicorp/go-plugin/examples/negotiated
go build -o bin/negotiated-kv-plugin github.com/hashicorp/go-plugin/examples/negotiated/plugin-go
go build -o bin/kv-netrpc-plugin github.com/hashicorp/go-plugin/examples/grpc/plugin-go-netrpc
for dir in cmd/*/ plugin/*/; do
  [ -d "$dir" ] || continue
  ls "$dir"*.go >/dev/null 2>&1 || continue
  go build -o "bin/$(basename "$dir")" "./$dir"
done
if [ -f latest/go.mod ]; then
  (cd latest
   go build -o ../bin/latest/basic-host github.com/hashicorp/go-plugin/examples/basic
   go build -o ../bin/latest/basic-greeter github.com/hashicorp/go-plugin/examples/basic/plugin
   go build -o ../bin/latest/negotiated-host github.com/hashicorp/go-plugin/examples/negotiated
   go build -o ../bin/latest/negotiated-kv-plugin github.com/hashicorp/go-plugin/examples/negotiated/plugin-go
   go build -o ../bin/latest/kv-netrpc-plugin github.com/hashicorp/go-plugin/examples/grpc/plugin-go-netrpc
   for dir in cmd/*/ plugin/*/; do
     [ -d "$dir" ] || continue
     ls "$dir"*.go >/dev/null 2>&1 || continue
     go build -o "../bin/latest/$(basename "$dir")" "./$dir"
   done)
fi
# One host source for both HTTP api versions: the copies must not drift apart.
cmp -s api/v0.7.0/cmd/dispatcher-http-host/main.go api/v0.7.1/cmd/dispatcher-http-host/main.go ||
  { echo "build.sh: api/v0.7.0 and api/v0.7.1 dispatcher-http-host/main.go differ" >&2; exit 1; }
for mod in api/*/; do
  [ -f "$mod/go.mod" ] || continue
  version="$(basename "$mod")"
  mkdir -p "bin/api-$version"
  (cd "$mod"
   for dir in cmd/*/ plugin/*/; do
     [ -d "$dir" ] || continue
     ls "$dir"*.go >/dev/null 2>&1 || continue
     go build -o "../../bin/api-$version/$(basename "$dir")" "./$dir"
   done)
done
(cd api/v0.7.0 && go build -o ../../bin/tilores-plugin-fake-dispatcher-v0.6.0 github.com/tilotech/tilores-plugin-fake-dispatcher)
echo "build.sh: Go peers built into $here/bin"
