#!/usr/bin/env bash
# Response policy zones: ours vs Unbound, both given the same generated RPZ zone of TRIGGERS QNAME
# triggers (default 100,000, a public blocklist's size), in the same run. Measures the load (from
# start until a blocked name is answered), the resident memory after it, and dnsperf's saturating
# QPS over blocked names (answered by the policy before any cache or upstream: the lookup cost).
# Reports ratios ours/Unbound. Writes bench/results/<UTC date-time>-rpz.md.
#
#   bench/rpz.sh                          # 3 interleaved repetitions of 10 s
#   TRIGGERS=1000000 bench/rpz.sh --repetitions 1 --duration 5
#   NO_BUILD=1 bench/rpz.sh               # measure target/release/resolver as built
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/peer_configs.sh

REPETITIONS=3
DURATION=10
TRIGGERS=${TRIGGERS:-100000}
SERVER_CORE=${SERVER_CORE:-0}
CLIENT_CORE=${CLIENT_CORE:-1}
PORT=5300
OURS=127.83.0.1
UNBOUND=127.83.0.2
DEAD_UPSTREAM=127.83.0.9
while [ $# -gt 0 ]; do
    case $1 in
        --repetitions) REPETITIONS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        *) echo "rpz.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
for tool in dnsperf unbound dig taskset; do
    command -v "$tool" >/dev/null || { echo "rpz.sh: $tool is missing (apt-get install dnsperf unbound bind9-dnsutils util-linux)" >&2; exit 1; }
done
if [ -z "${NO_BUILD:-}" ]; then
    cargo build --release -p resolver --bin resolver
fi
RESOLVER=${RESOLVER_BINARY:-${CARGO_TARGET_DIR:-target}/release/resolver}

WORK=$(mktemp -d /tmp/bench-rpz.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# The zone: TRIGGERS names, a third NXDOMAIN, a third NODATA, a third local data, and a wildcard
# for every tenth; the queries: 100,000 of its names in a fixed pseudo-random order.
awk -v n="$TRIGGERS" 'BEGIN {
    print "$TTL 300"
    print "@ SOA ns.bench.rpz. hostmaster.bench.rpz. 1 3600 600 86400 60"
    print "@ NS ns.bench.rpz."
    for (i = 0; i < n; i++) {
        name = "host" i ".blocked" (i % 997) ".example"
        if (i % 3 == 0) print name " CNAME ."
        else if (i % 3 == 1) print name " CNAME *."
        else print name " A 192.0.2." (i % 250)
        if (i % 10 == 0) print "*.sub" i ".example CNAME ."
    }
}' >"$WORK/bench.rpz"
awk -v n="$TRIGGERS" 'BEGIN {
    srand(20261206)
    for (q = 0; q < 100000; q++) {
        i = int(rand() * n)
        if (q % 10 == 0) print "www.sub" (i - i % 10) ".example A"
        else print "host" i ".blocked" (i % 997) ".example A"
    }
}' >"$WORK/queries"

# Waits until SERVER answers the first trigger (bounded); prints the seconds it took since START.
wait_answer() { # SERVER START
    local deadline=$((SECONDS + 600))
    until dig @"$1" -p "$PORT" host0.blocked0.example A +tries=1 +time=1 2>/dev/null | grep -q NXDOMAIN; do
        if [ "$SECONDS" -ge "$deadline" ]; then echo "rpz.sh: $1 never answered" >&2; exit 1; fi
        sleep 0.05
    done
    echo "$(date +%s.%N) - $2" | bc
}

rss_kib() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }

start_ours() {
    local start; start=$(date +%s.%N)
    taskset -c "$SERVER_CORE" "$RESOLVER" --listen "$OURS:$PORT" --forward "$DEAD_UPSTREAM" \
        --allow-loopback-upstream --rpz "bench.rpz.=$WORK/bench.rpz" >"$WORK/ours.log" 2>&1 &
    OURS_PID=$!; PIDS+=("$OURS_PID")
    OURS_LOAD=$(wait_answer "$OURS" "$start")
    OURS_RSS=$(rss_kib "$OURS_PID")
}

start_unbound() {
    mkdir -p "$WORK/unbound"
    write_unbound_config "$WORK/unbound" "$UNBOUND" "$PORT" \
        '  module-config: "respip iterator"' \
        'forward-zone:' '  name: "."' "  forward-addr: $DEAD_UPSTREAM" \
        'rpz:' '  name: "bench.rpz."' "  zonefile: \"$WORK/bench.rpz\""
    local start; start=$(date +%s.%N)
    taskset -c "$SERVER_CORE" unbound -d -c "$WORK/unbound/unbound.conf" >"$WORK/unbound.log" 2>&1 &
    UNBOUND_PID=$!; PIDS+=("$UNBOUND_PID")
    UNBOUND_LOAD=$(wait_answer "$UNBOUND" "$start")
    UNBOUND_RSS=$(rss_kib "$UNBOUND_PID")
}

qps() { # SERVER
    taskset -c "$CLIENT_CORE" dnsperf -s "$1" -p "$PORT" -d "$WORK/queries" -l "$DURATION" -c 10 -q 200 2>&1 \
        | awk '/Queries per second/ { print $4 }'
}

start_ours
start_unbound
# Both answer the same way before anything is measured.
for name in host0.blocked0.example host1.blocked1.example host2.blocked2.example www.sub10.example; do
    a=$(dig @"$OURS" -p "$PORT" "$name" A +short +tries=1 +time=2; dig @"$OURS" -p "$PORT" "$name" A +tries=1 +time=2 | grep -o 'status: [A-Z]*')
    b=$(dig @"$UNBOUND" -p "$PORT" "$name" A +short +tries=1 +time=2; dig @"$UNBOUND" -p "$PORT" "$name" A +tries=1 +time=2 | grep -o 'status: [A-Z]*')
    [ "$a" = "$b" ] || { echo "rpz.sh: $name: ours [$a], Unbound [$b]" >&2; exit 1; }
done
ours_qps=(); unbound_qps=()
for ((round = 0; round < REPETITIONS; round++)); do
    if ((round % 2 == 0)); then
        ours_qps+=("$(qps "$OURS")"); unbound_qps+=("$(qps "$UNBOUND")")
    else
        unbound_qps+=("$(qps "$UNBOUND")"); ours_qps+=("$(qps "$OURS")")
    fi
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ours_median=$(median "${ours_qps[@]}")
unbound_median=$(median "${unbound_qps[@]}")
ratio() { echo "scale=3; $1 / $2" | bc; }

mkdir -p bench/results
report="bench/results/$(date -u +%Y-%m-%d-%H%M)-rpz.md"
{
    echo "# RPZ: ours vs Unbound"
    echo
    echo "- Triggers: $TRIGGERS QNAME triggers (+ a wildcard per ten); queries: blocked names only"
    echo "- Repetitions: $REPETITIONS of ${DURATION} s, interleaved; server on core $SERVER_CORE, dnsperf on core $CLIENT_CORE"
    echo "- Commit: $(git rev-parse --short HEAD); Unbound $(unbound -V | awk '/Version/ { print $2 }')"
    echo
    echo "| metric | ours | Unbound | ours/Unbound |"
    echo "|---|---|---|---|"
    echo "| queries per second (median) | $ours_median | $unbound_median | $(ratio "$ours_median" "$unbound_median") |"
    echo "| load until the first answer (s) | $OURS_LOAD | $UNBOUND_LOAD | $(ratio "$OURS_LOAD" "$UNBOUND_LOAD") |"
    echo "| resident memory after load (KiB) | $OURS_RSS | $UNBOUND_RSS | $(ratio "$OURS_RSS" "$UNBOUND_RSS") |"
    echo
    echo "Each run's QPS: ours ${ours_qps[*]}; Unbound ${unbound_qps[*]}."
} >"$report"
cat "$report"
echo "written: $report"
