# Shared by bench/run, bench/scaling and bench/profile (sourced): building, Go settings, meta.
# Sets gobin go_fake go_keep rust_fake rust_keep disp_bench crates_bench floor_bench
# netrpc_bench payload_bench.

# to_ms 3s|500ms: a Go-style duration in milliseconds.
to_ms() {
  case "$1" in
    *ms) echo "${1%ms}" ;;
    *s) echo $(( ${1%s} * 1000 )) ;;
    *) echo "bench: bad duration $1 (want Ns or Nms)" >&2; exit 2 ;;
  esac
}

# env_go GMP CMD...: runs CMD with GOMAXPROCS=GMP, or with GOMAXPROCS unset when GMP is empty
# (Go's default: the number of CPUs). The Go plugin of a pairing inherits it from its host.
# Every measurement is bounded (BENCH_ITEM_TIMEOUT seconds, default 1200): a hung peer fails
# that item (its JSON says so) instead of the whole run.
env_go() {
  local gmp="$1"; shift
  if [ -n "$gmp" ]; then
    GOMAXPROCS="$gmp" bounded "$@"
  else
    env -u GOMAXPROCS timeout -k 10 "${BENCH_ITEM_TIMEOUT:-1200}" "$@"
  fi
}
bounded() { timeout -k 10 "${BENCH_ITEM_TIMEOUT:-1200}" "$@"; }

bench_exe() { # bench-target log
  cargo bench --no-run -p tilores-plugin-bench --bench "$1" --message-format=json 2>>"$2" |
    jq -r 'select(.reason == "compiler-artifact" and .executable != null) | .executable' | tail -1
}

build_all() { # log
  local log="$1"
  echo "bench: building (release); log in $log" >&2
  bash "$repo/go-interop/build.sh" >>"$log" 2>&1 || { tail -20 "$log" >&2; exit 1; }
  gobin="$repo/go-interop/bin"
  go_fake="$gobin/tilores-plugin-fake-dispatcher"
  go_keep="$gobin/keepall-dispatcher"
  disp_bench="$(bench_exe dispatcher "$log")"
  crates_bench="$(bench_exe crates "$log")"
  floor_bench="$(bench_exe floor "$log")"
  rust_keep="$(bench_exe keepall-dispatcher "$log")"
  netrpc_bench="$(bench_exe netrpc "$log")"
  payload_bench="$(bench_exe payload "$log")"
  cargo build --release -p tilores-plugin --bin tilores-plugin-fake-dispatcher >>"$log" 2>&1 ||
    { tail -20 "$log" >&2; exit 1; }
  rust_fake="$CARGO_TARGET_DIR/release/tilores-plugin-fake-dispatcher"
  local x
  for x in "$disp_bench" "$crates_bench" "$floor_bench" "$rust_keep" "$netrpc_bench" "$payload_bench" \
           "$rust_fake" "$go_fake" "$go_keep"; do
    [ -x "$x" ] || { tail -20 "$log" >&2; echo "bench: build failed ($x)" >&2; exit 1; }
  done
}

# write_meta DIR LINE: host, toolchains and the Go settings every table is printed with.
write_meta() {
  local dir="$1" line="$2" godebug
  # The module's go line sets the default GODEBUG of every Go binary built in it.
  godebug="$(cd "$repo/go-interop" && go list -f "{{.DefaultGODEBUG}}" ./cmd/dispatcher-bench)"
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ), commit: $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- . 2>/dev/null || echo ' (dirty)')"
    echo "host: $(uname -srm), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
    echo "go: $(go version | cut -d' ' -f3) (go-interop go.mod: $(awk '$1 == "go" {print "go " $2}' "$repo/go-interop/go.mod")), rustc: $(rustc --version | cut -d' ' -f2)"
    echo "Go settings: GOMAXPROCS=1 and default ($(nproc)) as labelled; GOGC=${GOGC:-default (100)}; GODEBUG=${GODEBUG:-unset}; DefaultGODEBUG built in: ${godebug:-none}"
    echo "$line; raw results: $dir"
  } >"$dir/meta.txt"
}
