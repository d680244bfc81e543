#!/usr/bin/env bash
# bench/validation.sh: our resolver against Unbound, both validating DNSSEC, over the signed lab.
#
#   bench/validation.sh [--quick] [--repetitions N] [--duration S] [--wildcard-names N]
#   (also: bench/run.sh --only validation ...)
#
# `authority --lab` serves a copy of zones/lab on 127.82.x.y:53, signed, and writes the root's
# trust anchor; both resolvers get it (ours --trust-anchor, Unbound trust-anchor-file). Workloads:
# cold walks (a fresh resolver per walk: CPU per name) and validated cache hits (dnsperf: QPS and
# CPU per query), without and with DO. Results: bench/results/<UTC date-time>-validation.md.
# NO_BUILD=1 skips the release build; AUTHORITY_BINARY / RESOLVER_BINARY measure other binaries.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
REPETITIONS=3
DURATION=10
# Distinct names under the signed wildcard (*.wild.test): each cold one is a walk, an RRset and
# an NSEC proof to validate, with the keys already known.
WILDCARD_NAMES=300
CLIENTS=${CLIENTS:-10}
OUTSTANDING=${OUTSTANDING:-200}
SERVER_CORE=${SERVER_CORE:-0}
CLIENT_CORE=${CLIENT_CORE:-1}
# The lab's copy lives in 127.82.0.0/16 (run.sh uses 127.80 and 127.81); the resolvers on 127.80.0.6x.
LAB_BLOCK=127.82
PORT=5300

usage() { sed -n '2,10p' "$0"; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --repetitions) REPETITIONS=${2:?}; shift ;;
        --duration) DURATION=${2:?}; shift ;;
        --wildcard-names) WILDCARD_NAMES=${2:?}; shift ;;
        --only) shift ;; # from run.sh --only validation
        -h|--help) usage 0 ;;
        *) echo "validation.sh: unknown argument $1" >&2; usage 2 ;;
    esac
    shift
done
if [ "$QUICK" = 1 ]; then
    REPETITIONS=1
    DURATION=2
fi
case "$DURATION" in [2-9]|[1-9][0-9]*) ;; *) echo "validation.sh: --duration needs 2 s or more" >&2; usage 2 ;; esac
if [ "$(id -u)" != 0 ]; then
    # Unbound iterates to port 53 only, so the lab must be there.
    echo "validation.sh: run as root (the lab serves on port 53, which Unbound's iterator requires)" >&2
    exit 2
fi

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

WORK=$(mktemp -d /tmp/dns-bench-validation.XXXXXX)
MEASUREMENTS=$WORK/measurements.tsv
: >"$MEASUREMENTS"
PIDS=()

stop_pid() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    if [ "${KEEP:-0}" = 1 ] || [ $status -ne 0 ]; then log "raw files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_on CORE NAME COMMAND...: output to $WORK/NAME.log; sets STARTED_PID.
start_on() {
    local core=$1 name=$2; shift 2
    taskset -c "$core" "$@" >"$WORK/$name.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
}
stop() {
    local pid=$1 kept=() other
    stop_pid "$pid"
    for other in "${PIDS[@]}"; do [ "$other" = "$pid" ] || kept+=("$other"); done
    PIDS=("${kept[@]}")
}
# wait_line FILE PATTERN PID: until FILE has PATTERN (a ready line), 60 s at most.
wait_line() {
    for _ in $(seq 600); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || { log "exited before ready: $(tail -3 "$1")"; return 1; }
        sleep 0.1
    done
    log "not ready after 60 s: $1"; return 1
}
# wait_port ADDR PORT: until a UDP socket is bound there, without a query (caches stay cold).
wait_port() {
    for _ in $(seq 600); do
        ss -Hlun "src $1 and sport = :$2" 2>/dev/null | grep -q . && return 0
        sleep 0.05
    done
    log "nothing listens on $1:$2"; return 1
}
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ total += $1 } END { printf "%.0f\n", total }'; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$MEASUREMENTS"; }

# shellcheck source=peer_configs.sh
. "$ROOT/bench/peer_configs.sh"

# NO_BUILD=1 measures the release binaries as they are (a build with fat LTO takes minutes).
if [ "${NO_BUILD:-0}" != 1 ]; then
    log "building release binaries (authority, resolver, bench)"
    (cd "$ROOT" && cargo build --release -q -p authority -p resolver -p bench)
fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}/release
TOOL=$TARGET/benchtool
AUTHORITY=${AUTHORITY_BINARY:-$TARGET/authority}
RESOLVER=${RESOLVER_BINARY:-$TARGET/resolver}

# ---------------------------------------------------------------- the signed lab
ZONES=$WORK/zones
mkdir -p "$ZONES"
for file in "$ROOT"/zones/lab/*.yaml "$ROOT"/zones/lab/root.hints; do
    sed "s/127\.53\./$LAB_BLOCK./g" "$file" >"$ZONES/${file##*/}"
done
start_on "$CLIENT_CORE" lab env RUST_LOG=info NO_COLOR=1 "$AUTHORITY" --lab "$ZONES" --port 53 --run-dir "$WORK/run"
LAB_PID=$STARTED_PID
wait_line "$WORK/lab.log" "lab ready:" "$LAB_PID"
ANCHOR=$(sed -n 's/.*lab trust anchor: //p' "$WORK/lab.log" | tail -n 1)
[ -s "$ANCHOR" ] || { log "the lab named no trust anchor file"; exit 1; }

NAMES=$WORK/names.txt
{
    printf '%s\n' example.test www.example.test mail.example.test end.example.test short.example.test \
        host.sub.example.test start.chain.test hop1.alias.lab hop2.corp.lab www.glueless.test \
        explicit.wild.test deep.nest.wild.test www.shop.test mx.mail.test panel.hosting.lab www.insecure.test
    for index in $(seq "$WILDCARD_NAMES"); do echo "w$index.wild.test"; done
} | sed 's/$/./' >"$NAMES"
COUNT=$(grep -c . "$NAMES")
# The cache-hit list: the lab's own names (every answer validated once, then from the cache).
HITS=$WORK/hits.txt
head -n 16 "$NAMES" | sed 's/$/ A/' >"$HITS"

OURS=127.80.0.61
UNBOUND=127.80.0.62
mkdir -p "$WORK/unbound"
# Both do RFC 8198 aggressive NSEC by default; it is off for both here, else a cached wildcard
# NSEC would answer the wildcard names with no walk and the cold workload would measure nothing.
write_unbound_config "$WORK/unbound" "$UNBOUND" "$PORT" \
    "  module-config: \"validator iterator\"" \
    "  trust-anchor-file: \"$ANCHOR\"" \
    "  root-hints: \"$ZONES/root.hints\"" \
    "  aggressive-nsec: no"
unbound-checkconf "$WORK/unbound/unbound.conf" >/dev/null

start_ours() {
    start_on "$SERVER_CORE" ours env TOKIO_WORKER_THREADS=1 RUST_LOG=warn "$RESOLVER" --listen "$OURS:$PORT" \
        --allow-loopback-upstream --root-hints "$ZONES/root.hints" --trust-anchor "$ANCHOR" --no-aggressive-nsec --no-ip6 \
        --cache-size 1000000
    wait_port "$OURS" "$PORT"
}
start_unbound() {
    start_on "$SERVER_CORE" unbound unbound -d -c "$WORK/unbound/unbound.conf"
    wait_port "$UNBOUND" "$PORT"
}

# verdicts ADDRESS NAME: both must validate (ad on a signed name, SERVFAIL on the bogus one) or
# the figures would compare a validator with something else.
check_validating() {
    local server=$1 address=$2
    dig +tries=2 +time=5 @"$address" -p "$PORT" www.example.test A +dnssec | grep -q 'flags:.* ad' ||
        { log "$server: no ad on www.example.test: not validating"; exit 1; }
    dig +tries=2 +time=5 @"$address" -p "$PORT" www.bogus.test A | grep -q 'status: SERVFAIL' ||
        { log "$server: www.bogus.test is not SERVFAIL: not validating"; exit 1; }
}

# ---------------------------------------------------------------- cold walks
for repetition in $(seq "$REPETITIONS"); do
    for server in ours unbound; do
        log "validated cold walk: $server, $COUNT names, repetition $repetition of $REPETITIONS"
        if [ $server = ours ]; then start_ours; address=$OURS; else start_unbound; address=$UNBOUND; fi
        pid=$STARTED_PID
        before=$(cpu_ns "$pid")
        taskset -c "$CLIENT_CORE" "$TOOL" walk --server "$address:$PORT" --names "$NAMES" \
            --workload validated-cold-walk --server-name "$server" >>"$MEASUREMENTS" 2>>"$WORK/walk-$server.log"
        record validated-cold-walk "$server" cpu_us_per_name \
            "$(awk -v a="$before" -v b="$(cpu_ns "$pid")" -v n="$COUNT" 'BEGIN { print (b - a) / 1000 / n }')"
        check_validating "$server" "$address"
        stop "$pid"
    done
done

# ---------------------------------------------------------------- validated cache hits
hits_run() { # WORKLOAD SERVER ADDRESS PID [DNSPERF ARGS...]
    local workload=$1 server=$2 address=$3 pid=$4; shift 4
    local output=$WORK/dnsperf-$workload-$server.txt before after
    before=$(cpu_ns "$pid")
    taskset -c "$CLIENT_CORE" dnsperf -s "$address" -p "$PORT" -d "$HITS" -T 1 -l "$DURATION" \
        -c "$CLIENTS" -q "$OUTSTANDING" "$@" >"$output" 2>&1 || { log "dnsperf failed: $(tail -2 "$output")"; return 0; }
    after=$(cpu_ns "$pid")
    "$TOOL" dnsperf-metrics --file "$output" --workload "$workload" --server-name "$server" >>"$MEASUREMENTS"
    awk -v a="$before" -v b="$after" -v w="$workload" -v s="$server" '
        /Queries completed:/ { done = $3 }
        END { if (done > 0) printf "%s\t%s\tcpu_us_per_query\t%.3f\n", w, s, (b - a) / 1000 / done }' \
        "$output" >>"$MEASUREMENTS"
}
start_ours; OURS_PID=$STARTED_PID
start_unbound; UNBOUND_PID=$STARTED_PID
for pair in "ours $OURS" "unbound $UNBOUND"; do
    set -- $pair
    taskset -c "$CLIENT_CORE" "$TOOL" walk --server "$2:$PORT" --names "$NAMES" --workload warm \
        --server-name "$1" >/dev/null 2>>"$WORK/walk-$1.log"
    check_validating "$1" "$2"
done
for repetition in $(seq "$REPETITIONS"); do
    # Interleaved: the first server changes each repetition.
    order=("ours $OURS $OURS_PID" "unbound $UNBOUND $UNBOUND_PID")
    [ $((repetition % 2)) = 0 ] && order=("${order[1]}" "${order[0]}")
    for entry in "${order[@]}"; do
        set -- $entry
        log "validated cache hits: $1, ${DURATION}s saturating (plain, then DO), repetition $repetition of $REPETITIONS"
        hits_run validated-cache-hits "$1" "$2" "$3"
        hits_run validated-cache-hits-do "$1" "$2" "$3" -D
    done
done
stop "$OURS_PID"; stop "$UNBOUND_PID"; stop "$LAB_PID"

mkdir -p "$ROOT/bench/results"
STAMP=$(date -u +%Y-%m-%d-%H%M)-validation
MODE="full: $REPETITIONS repetitions of ${DURATION}s"
[ "$QUICK" = 1 ] && MODE="quick smoke test: 1 repetition of 2s; not a measurement"
COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet || echo ' (dirty)')
[ "${NO_BUILD:-0}" = 1 ] && COMMIT="$COMMIT (NO_BUILD=1: binaries built earlier, $(date -u -r "$RESOLVER" +%H:%M) UTC)"
HEADING="# Validation benchmark $STAMP UTC: ours vs Unbound, both validating the signed lab

- Mode: $MODE; $COUNT cold names ($WILDCARD_NAMES under the signed wildcard), 16 cache-hit names
- Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr)
- Commit: $COMMIT; Unbound $(unbound -V 2>&1 | awk '/^Version/ { print $2 }') (validator iterator, aggressive-nsec: no; ours --no-aggressive-nsec)
- Both from the lab's root trust anchor (authority --lab); resolvers on core $SERVER_CORE with one thread, the lab and the clients on core $CLIENT_CORE
- Each cell: median (min–max, n runs); ratio = ours median / peer median (below 1 is better for CPU, above 1 for QPS)"
cp "$MEASUREMENTS" "$ROOT/bench/results/$STAMP.tsv"
"$TOOL" report --input "$MEASUREMENTS" --output "$ROOT/bench/results/$STAMP.md" --heading "$HEADING"
log "report: bench/results/$STAMP.md"
