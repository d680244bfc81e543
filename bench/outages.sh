#!/usr/bin/env bash
# bench/outages.sh: outages side by side: ours, Unbound and Knot Resolver (and optionally an older
# build of ours) walking a copy of the lab, timed on three new names in a row in a zone that is down.
#
#   bench/outages.sh [--repetitions N] [--wait S]
#
# Cases (example.test.'s two servers, 127.86.10.1 and .2, are taken out of the lab copy):
#   silent    bound over UDP and TCP, never answering (a server that is down behind a firewall)
#   closed    nothing bound: each UDP query meets ICMP port unreachable, each TCP connect a RST
#   tcp-only  UDP dropped, TCP answering (A 192.0.2.77): a firewall that lets only TCP through
#   lab-down  after the resolver has cached the root and test., every lab address goes silent
# Each resolver starts with a cold cache, resolves www.shop.test (warm: root, test. and a live
# zone), then a1, a2 and a3.example.test one after the other, each with `dig +tries=1 +time=WAIT`
# (WAIT 30 s: longer than glibc's two tries of 5 s and dig's three). A name not answered within
# WAIT counts as WAIT. Results: bench/results/<UTC date-time>.md and .tsv, as run.sh writes them.
#
# Root (port 53: Unbound and kresd iterate to port 53 only). Environment: RESOLVER_BINARY (ours,
# default target/release/resolver), BEFORE_BINARY (an older build, measured as "before" beside
# the others; unset: not measured), AUTHORITY_BINARY (the lab; default target/release/authority).
#
# Unbound gets the cold-walk settings of run.sh (peer_configs.sh: `do-not-query-localhost: no`,
# without which it refuses every 127.x server and answers SERVFAIL at once; iterator only, IPv4)
# and its own defaults otherwise. kresd gets `ALLOW_LOCAL` for the same reason.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPETITIONS=1
WAIT=30
while [ $# -gt 0 ]; do
    case "$1" in
        --repetitions) REPETITIONS=${2:?}; shift ;;
        --wait) WAIT=${2:?}; shift ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "outages.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# The block of this script's lab copy and resolvers: not the default lab's 127.53, the tests'
# 127.153, nor run.sh's 127.80/127.81 and callgrind_hits.sh's 127.82.
BLOCK=127.86
OURS=$BLOCK.53.1 UNBOUND=$BLOCK.53.2 KRESD=$BLOCK.53.3 BEFORE=$BLOCK.53.4
DEAD=("$BLOCK.10.1:53" "$BLOCK.10.2:53")

if [ -z "${RESOLVER_BINARY:-}" ] || [ -z "${AUTHORITY_BINARY:-}" ]; then
    (cd "$ROOT" && cargo build --release -q -p authority -p resolver -p bench)
fi
RESOLVER=${RESOLVER_BINARY:-$ROOT/target/release/resolver}
AUTHORITY=${AUTHORITY_BINARY:-$ROOT/target/release/authority}
TOOL=${BENCHTOOL_BINARY:-$ROOT/target/release/benchtool}
[ -x "$TOOL" ] || (cd "$ROOT" && cargo build --release -q -p bench --bin benchtool)
for tool in unbound kresd dig python3; do
    command -v "$tool" >/dev/null || { echo "outages.sh: $tool is missing" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/dns-outages.XXXXXX)
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

# start NAME COMMAND...: output to $WORK/NAME.log; sets STARTED_PID.
start() {
    local name=$1; shift
    "$@" >"$WORK/$name.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
}
stop() { stop_pid "$1"; }

# wait_line FILE TEXT: until the log holds TEXT (bounded: 30 s).
wait_line() {
    for _ in $(seq 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    log "no '$2' in $1"; return 1
}
wait_port() {
    for _ in $(seq 300); do
        ss -Hlun "src $1 and sport = :$2" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    log "nothing listens on $1:$2"; return 1
}

# The lab copy: zones/lab on $BLOCK, without example.test. and its child (their servers are
# the case's to play).
LAB=$WORK/lab
mkdir -p "$LAB"
for file in "$ROOT"/zones/lab/*.yaml "$ROOT"/zones/lab/root.hints; do
    sed "s/127\.53\./$BLOCK./g" "$file" >"$LAB/$(basename "$file")"
done
rm -f "$LAB/example.test.yaml" "$LAB/sub.example.test.yaml"

start_lab() {
    # Emptied first: `start` truncates in the background, after which an old ready line would do.
    : >"$WORK/lab.log"
    start lab "$AUTHORITY" --lab "$LAB" --port 53 --run-dir "$WORK/lab-run"
    LAB_PID=$STARTED_PID
    wait_line "$WORK/lab.log" "lab ready:"
}
lab_addresses() { awk '/lab plan: / { for (i = 1; i <= NF; i++) if ($i == "plan:") print $(i + 1) }' "$WORK/lab.log"; }

# dead_servers MODE ADDRESS:PORT...: the stand-ins (bench/outage_servers.py); sets DEAD_PID.
dead_servers() {
    : >"$WORK/dead.log"
    start dead python3 "$ROOT/bench/outage_servers.py" "$@"
    DEAD_PID=$STARTED_PID
    wait_line "$WORK/dead.log" "outage servers ready"
}

. "$ROOT/bench/peer_configs.sh"
mkdir -p "$WORK/unbound" "$WORK/kresd"
write_unbound_config "$WORK/unbound" "$UNBOUND" 53 "  root-hints: \"$LAB/root.hints\""
write_kresd_config "$WORK/kresd" "$KRESD" 53 \
    "modules.load('hints > iterate')" "hints.root_file('$LAB/root.hints')" \
    "policy.add(policy.all(policy.FLAGS({'ALLOW_LOCAL'})))"

# start_resolver SERVER: a fresh one, cold cache; sets RESOLVER_PID and ADDRESS.
start_resolver() {
    case $1 in
        ours|before)
            local binary=$RESOLVER
            ADDRESS=$OURS
            [ "$1" = before ] && binary=$BEFORE_BINARY ADDRESS=$BEFORE
            start "$1" env RUST_LOG=warn "$binary" --listen "$ADDRESS:53" --root-hints "$LAB/root.hints" \
                --allow-loopback-upstream --upstream-port 53 --no-ip6 ;;
        unbound) start unbound unbound -d -c "$WORK/unbound/unbound.conf"; ADDRESS=$UNBOUND ;;
        kresd) rm -rf "$WORK/kresd/cache"
               start kresd kresd -n -c "$WORK/kresd/kresd.conf" "$WORK/kresd"; ADDRESS=$KRESD ;;
    esac
    RESOLVER_PID=$STARTED_PID
    wait_port "$ADDRESS" 53
}

# timed_query ADDRESS NAME: prints "MILLISECONDS STATUS" (WAIT s and "none" when no answer came).
timed_query() {
    local started ended output status
    started=$(date +%s%N)
    output=$(dig @"$1" "$2" A +tries=1 +time="$WAIT" +noall +comments 2>&1 || true)
    ended=$(date +%s%N)
    status=$(printf '%s\n' "$output" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
    if [ -z "$status" ]; then
        echo "$((WAIT * 1000)) none"
    else
        echo "$(( (ended - started) / 1000000 )) $status"
    fi
}

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$MEASUREMENTS"; }

SERVERS=(ours unbound kresd)
[ -n "${BEFORE_BINARY:-}" ] && SERVERS+=(before)
OUTCOMES=$WORK/outcomes.txt
for repetition in $(seq "$REPETITIONS"); do
    for case in silent closed tcp-only lab-down; do
        turn=0
        for index in "${!SERVERS[@]}"; do
            # The first server moves by one each repetition, as run.sh interleaves.
            server=${SERVERS[$(( (index + repetition - 1) % ${#SERVERS[@]} ))]}
            log "outage $case: $server (repetition $repetition of $REPETITIONS)"
            start_lab
            DEAD_PID=
            case $case in
                silent) dead_servers silent "${DEAD[@]}" ;;
                tcp-only) dead_servers tcp-only "${DEAD[@]}" ;;
            esac
            start_resolver "$server"
            read -r ms status < <(timed_query "$ADDRESS" www.shop.test.)
            [ "$status" = NOERROR ] || log "$server: warm-up www.shop.test gave $status"
            if [ "$case" = lab-down ]; then
                mapfile -t everything < <(lab_addresses)
                stop "$LAB_PID"; LAB_PID=
                dead_servers silent "${everything[@]}" "${DEAD[@]}"
            fi
            answered=0
            for number in 1 2 3; do
                read -r ms status < <(timed_query "$ADDRESS" "a$number.example.test.")
                record "outage-$case" "$server" "name${number}_ms" "$ms"
                [ "$status" = none ] || answered=$((answered + 1))
                printf '%s\t%s\t%s\ta%s\t%s\t%s\n' "$repetition" "$case" "$server" "$number" "$ms" "$status" >>"$OUTCOMES"
                log "  a$number.example.test: $status in $ms ms"
            done
            record "outage-$case" "$server" names_answered "$answered"
            stop "$RESOLVER_PID"
            [ -n "$DEAD_PID" ] && stop "$DEAD_PID"
            [ -n "$LAB_PID" ] && stop "$LAB_PID"
            turn=$((turn + 1))
        done
    done
done

mkdir -p "$ROOT/bench/results"
STAMP=$(date -u +%Y-%m-%d-%H%M)
COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet || echo ' (dirty)')
PEERS="Unbound $(unbound -V 2>&1 | awk '/^Version/ { print $2 }'), $(kresd --version 2>&1 | head -1), $(dig -v 2>&1 | head -1)"
HEADING="# Outage results $STAMP UTC (bench/outages.sh)

- Mode: $REPETITIONS repetition(s); each name asked once with dig +tries=1 +time=$WAIT ($WAIT s counted when no answer came)
- Machine: $(nproc) cores, $(uname -sr)
- Commit: $COMMIT; ours: $RESOLVER${BEFORE_BINARY:+; before: $BEFORE_BINARY}
- Peers: $PEERS
- Cases: example.test.'s two servers silent / closed (ICMP) / UDP dropped but TCP answering / the whole lab silent after warming; three new names in a row (a1, a2, a3.example.test), cold resolver warmed with www.shop.test
- Each cell: median (min–max, n runs); ratio = ours median / peer median"
cp "$MEASUREMENTS" "$ROOT/bench/results/$STAMP-outages.tsv"
"$TOOL" report --input "$MEASUREMENTS" --output "$ROOT/bench/results/$STAMP-outages.md" --heading "$HEADING"
{
    echo
    echo "### Replies (repetition, case, server, name, ms, status; none = no answer within $WAIT s)"
    echo
    echo '```'
    cat "$OUTCOMES"
    echo '```'
} >>"$ROOT/bench/results/$STAMP-outages.md"
log "report: bench/results/$STAMP-outages.md"
