#!/usr/bin/env bash
# bench/callgrind_hits.sh: user-space instructions per answered query, counted by valgrind's
# callgrind (a count, not a clock: the same on a host that steals time). See bench/results/LOG.md, "What we found" 16.
#
#   bench/callgrind_hits.sh [QUERIES]     (default 20000; needs valgrind, dnsperf, nsd, knotd, unbound)
#
# Authoritative: ours, NSD and Knot on the benchmark zone of bench/run.sh, its query mix. Resolver
# cache hits: ours (--forward) and Unbound (stub-zone) in front of an NSD that is not counted.
# Each server runs twice under callgrind, once sent the QUERIES list once and once three times;
# per query = (second total - first total) / (2 x QUERIES), summed over all the server's processes
# (NSD forks), so start-up, zone loading and the first, warming pass cancel out. The kernel's work
# is not counted: this compares what each server's own code does per query.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUERIES=${1:-20000}
RELEASE=$ROOT/target/release
WORK=$(mktemp -d)
PIDS=()
SERVER_CORE=${SERVER_CORE:-0}
CLIENT_CORE=${CLIENT_CORE:-1}
PORT=5300
cleanup() {
    disown -a 2>/dev/null || true
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    pkill -9 -f "$WORK/" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

for tool in valgrind dnsperf nsd knotd unbound taskset; do
    command -v "$tool" >/dev/null || { echo "callgrind_hits: $tool is missing" >&2; exit 2; }
done
cargo build --release --quiet -p authority -p resolver -p bench --manifest-path "$ROOT/Cargo.toml"
TOOL=$RELEASE/benchtool
"$TOOL" generate-zone --yaml "$WORK/bench.test.yaml" --master "$WORK/bench.test.zone"
"$TOOL" generate-queries --mix authoritative --count "$QUERIES" --output "$WORK/queries-authoritative.txt"
"$TOOL" generate-queries --mix resolver --count "$QUERIES" --output "$WORK/queries-resolver.txt"

wait_soa() { # address: until the server answers bench.test. SOA (a zone loads slowly under valgrind)
    for _ in $(seq 600); do
        dig +short +time=1 +tries=1 @"$1" -p "$PORT" bench.test. SOA 2>/dev/null | grep -q hostmaster && return 0
        sleep 0.2
    done
    echo "callgrind_hits: nothing answers at $1:$PORT" >&2
    exit 1
}

# write_nsd_config, write_knot_config, write_unbound_config: the configs bench/run.sh uses.
# shellcheck source=peer_configs.sh
. "$ROOT/bench/peer_configs.sh"

# total LABEL PASSES ADDRESS QUERY-FILE -- COMMAND...: instructions of every process of COMMAND
# (callgrind follows forks) from start to exit, when sent the query list PASSES times.
total() {
    local label=$1 passes=$2 address=$3 queries=$4
    shift 5
    local out="$WORK/$label-$passes"
    mkdir -p "$out"
    taskset -c "$SERVER_CORE" valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.%p" "$@" \
        > "$out/log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    wait_soa "$address"
    for _ in $(seq "$passes"); do
        taskset -c "$CLIENT_CORE" dnsperf -s "$address" -p "$PORT" -d "$queries" -n 1 -q 20 -t 30 \
            > "$out/dnsperf.txt" 2>&1
        grep -q "Queries completed: *$(wc -l < "$queries") " "$out/dnsperf.txt" || {
            echo "callgrind_hits: $label did not answer every query: $(grep completed "$out/dnsperf.txt")" >&2
            exit 1
        }
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    # Forked children write their profiles as they exit, a moment after the parent.
    for _ in $(seq 100); do
        pgrep -f "callgrind-out-file=$out/" > /dev/null || break
        sleep 0.1
    done
    cat "$out"/callgrind.* | awk '/^summary:/ { total += $2 } END { printf "%.0f\n", total }'
}

# per_query LABEL ADDRESS QUERY-FILE -- COMMAND...
per_query() {
    local label=$1 address=$2 queries=$3
    shift 4
    local once thrice
    once=$(total "$label" 1 "$address" "$queries" -- "$@")
    thrice=$(total "$label" 3 "$address" "$queries" -- "$@")
    echo "$label: $(( (thrice - once) / (2 * QUERIES) )) instructions per query" \
        "(totals $once and $thrice for 1 and 3 passes of $QUERIES)"
}

# One worker, as in bench/run.sh (valgrind runs our binaries itself, not through `env`).
export TOKIO_WORKER_THREADS=1 RUST_LOG=warn
AUTH=$WORK/queries-authoritative.txt
echo "authoritative, $QUERIES queries of the bench/run.sh mix:"
per_query ours-authority 127.82.0.1 "$AUTH" -- \
    "$RELEASE/authority" --listen 127.82.0.1:$PORT "bench.test.=$WORK/bench.test.yaml"
mkdir -p "$WORK/nsd" "$WORK/knot" "$WORK/upstream" "$WORK/unbound"
write_nsd_config "$WORK/nsd" 127.82.0.2 "$PORT" "bench.test.=$WORK/bench.test.zone"
per_query nsd 127.82.0.2 "$AUTH" -- nsd -d -c "$WORK/nsd/nsd.conf"
write_knot_config "$WORK/knot" 127.82.0.3 "$PORT" bench.test. "$WORK/bench.test.zone"
per_query knot 127.82.0.3 "$AUTH" -- knotd -c "$WORK/knot/knot.conf"

echo "resolver cache hits, $QUERIES queries (the first pass fills the cache):"
write_nsd_config "$WORK/upstream" 127.82.0.20 "$PORT" "bench.test.=$WORK/bench.test.zone"
taskset -c "$CLIENT_CORE" nsd -d -c "$WORK/upstream/nsd.conf" > "$WORK/upstream.log" 2>&1 &
PIDS+=($!)
wait_soa 127.82.0.20
RESOLVER=$WORK/queries-resolver.txt
per_query ours-resolver 127.82.0.21 "$RESOLVER" -- \
    "$RELEASE/resolver" --listen 127.82.0.21:$PORT --allow-loopback-upstream \
    --forward 127.82.0.20:$PORT --cache-size 1000000
write_unbound_config "$WORK/unbound" 127.82.0.22 "$PORT" \
    "stub-zone:" "  name: \"bench.test.\"" "  stub-addr: 127.82.0.20@$PORT"
per_query unbound 127.82.0.22 "$RESOLVER" -- unbound -d -c "$WORK/unbound/unbound.conf"
