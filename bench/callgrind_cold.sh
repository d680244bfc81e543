#!/usr/bin/env bash
# bench/callgrind_cold.sh: instructions a resolver runs per cold name, ours and Unbound, counted by
# valgrind's callgrind (a count, not a clock: the same on a busy machine). See bench/results/LOG.md, "What we found" 12.
#
#   bench/callgrind_cold.sh [NAMES]     (default 300; needs root for port 53, valgrind, unbound)
#
# The project lab (zones/lab) is served by our authority on its loopback addresses, port 53; each
# resolver resolves one warm-up name, then the counters are zeroed and NAMES distinct names under
# the lab's wildcard (one upstream query each) are resolved from a cold cache, one at a time.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NAMES=${1:-300}
RELEASE=$ROOT/target/release
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

for tool in valgrind callgrind_control callgrind_annotate unbound; do
    command -v "$tool" >/dev/null || { echo "callgrind_cold: $tool is missing" >&2; exit 2; }
done
cargo build --release --quiet -p authority -p resolver -p bench --manifest-path "$ROOT/Cargo.toml"
for index in $(seq "$NAMES"); do echo "cold$index.wild.test."; done > "$WORK/names"

wait_udp() { # address port
    for _ in $(seq 300); do
        ss -Hlun "src $1 and sport = :$2" | grep -q . && return 0
        sleep 0.1
    done
    echo "callgrind_cold: nothing listens on $1:$2" >&2
    exit 1
}

"$RELEASE/authority" --lab "$ROOT/zones/lab" --port 53 > "$WORK/authority.log" 2>&1 &
PIDS+=($!)
wait_udp 127.53.0.1 53

cat > "$WORK/unbound.conf" <<EOC
server:
  interface: 127.53.53.57
  port: 5399
  do-ip6: no
  module-config: "iterator"
  root-hints: "$ROOT/zones/lab/root.hints"
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "$WORK"
  pidfile: ""
  use-syslog: no
  verbosity: 0
  num-threads: 1
  do-not-query-localhost: no
  qname-minimisation: yes
  local-zone: "test." nodefault
  local-zone: "lab." nodefault
EOC

count() { # label address -- command...
    local label=$1 address=$2
    shift 3
    valgrind --tool=callgrind --callgrind-out-file="$WORK/$label.out" "$@" > "$WORK/$label.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    wait_udp "$address" 5399
    "$RELEASE/benchtool" walk --server "$address:5399" --names <(echo warm.wild.test.) \
        --workload warm --server-name "$label" > /dev/null
    callgrind_control -z "$pid" > /dev/null
    "$RELEASE/benchtool" walk --server "$address:5399" --names "$WORK/names" \
        --workload cold --server-name "$label" > /dev/null
    callgrind_control -d "$pid" > /dev/null
    # The dump is written by the profiled process itself, a moment later.
    for _ in $(seq 100); do
        [ -s "$WORK/$label.out.1" ] && break
        sleep 0.1
    done
    sleep 0.5
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local total
    total=$(callgrind_annotate "$WORK/$label.out.1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
    if [ -z "$total" ]; then
        echo "callgrind_cold: no profile written for $label" >&2
        exit 1
    fi
    echo "$label: $total instructions over $NAMES names, $((total / NAMES)) per name"
}

# One worker, as in bench/run.sh (valgrind runs the resolver itself, not through `env`).
export TOKIO_WORKER_THREADS=1 RUST_LOG=warn
count ours 127.53.53.56 -- "$RELEASE/resolver" \
    --listen 127.53.53.56:5399 --root-hints "$ROOT/zones/lab/root.hints" \
    --allow-loopback-upstream --upstream-port 53 --no-ip6
count unbound 127.53.53.57 -- unbound -d -c "$WORK/unbound.conf"
