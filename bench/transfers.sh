#!/usr/bin/env bash
# bench/transfers.sh: zone transfers to an NSD secondary, from our primary against NSD and Knot primaries.
# Starts every server itself (own config in a temp dir, own 127.82.0.x address), stops each by PID.
#
#   bench/transfers.sh [--records N] [--repetitions N]      (also: bench/run.sh --only transfers)
#
# 1. transfer-axfr-N: a fresh NSD secondary (request-xfr: AXFR) of an N-record zone, from start to its
#    first NOERROR SOA answer, once per primary per repetition (ours, NSD, Knot; the order rotates).
# 2. transfer-one-change-N: ours changes one record (and its serial) and reloads; two NSD secondaries
#    already holding the zone are told `nsd-control transfer`: one asks IXFR, the other AXFR only;
#    each is timed from the command to its first answer with the new serial.
# Primaries on core SERVER_CORE, secondaries on CLIENT_CORE. Results: bench/results/<UTC date-time>.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RECORDS=${ZONE_RECORDS:-1000000}
REPETITIONS=3
SERVER_CORE=${SERVER_CORE:-0}
CLIENT_CORE=${CLIENT_CORE:-1}
PORT=5300
ORIGIN=bench.test.
# Every address in 127.82.0.0/24: apart from run.sh's 127.80/127.81.
OURS=127.82.0.1
NSD_PRIMARY=127.82.0.2
KNOT_PRIMARY=127.82.0.3
FRESH_SECONDARY=127.82.0.10
IXFR_SECONDARY=127.82.0.11
AXFR_SECONDARY=127.82.0.12
SECONDARIES=127.82.0.0/24
# A secondary that has not served the zone after this long has failed (a 1M-record AXFR takes seconds).
TRANSFER_TIMEOUT=900

usage() { sed -n '2,12p' "$0"; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --records) RECORDS=${2:?}; shift ;;
        --repetitions) REPETITIONS=${2:?}; shift ;;
        -h|--help) usage 0 ;;
        *) echo "transfers.sh: unknown argument $1" >&2; usage 2 ;;
    esac
    shift
done

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
for tool in nsd nsd-control knotd taskset; do
    command -v "$tool" >/dev/null || { log "missing $tool (Debian: nsd knot util-linux)"; exit 1; }
done

WORK=$(mktemp -d /tmp/dns-transfers.XXXXXX)
MEASUREMENTS=$WORK/measurements.tsv
: >"$MEASUREMENTS"
SERVER_PIDS=()

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
    for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
    if [ "${KEEP:-0}" = 1 ] || [ $status -ne 0 ]; then log "raw files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_on CORES NAME COMMAND...: output to $WORK/NAME.log; sets STARTED_PID and STARTED_AT.
start_on() {
    local cores=$1 name=$2; shift 2
    STARTED_AT=$(date +%s.%N)
    taskset -c "$cores" "$@" >"$WORK/$name.log" 2>&1 &
    STARTED_PID=$!
    SERVER_PIDS+=("$STARTED_PID")
}
stop() {
    local pid=$1 kept=()
    stop_pid "$pid"
    for other in "${SERVER_PIDS[@]}"; do [ "$other" = "$pid" ] || kept+=("$other"); done
    SERVER_PIDS=("${kept[@]}")
}
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$MEASUREMENTS"; }

# wait_serial ADDRESS SINCE SERIAL [PID]: until ADDRESS answers the zone's SOA with SERIAL (giving
# up when PID has exited); prints the seconds since SINCE (Unix time), polling every 10 ms.
wait_serial() {
    local pid=()
    [ -n "${4:-}" ] && pid=(--pid "$4")
    "$TOOL" wait-ready --server "$1:$PORT" --name "$ORIGIN" --type SOA \
        --timeout-seconds "$TRANSFER_TIMEOUT" --started-at "$2" --serial "$3" "${pid[@]}"
}

# ---------------------------------------------------------------- configs
write_nsd_primary() { # DIR
    cat >"$1/nsd.conf" <<EOF
server:
  ip-address: $NSD_PRIMARY@$PORT
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$1"
  database: ""
  pidfile: "$1/nsd.pid"
  xfrdfile: "$1/xfrd.state"
  zonelistfile: "$1/zone.list"
  xfrdir: "$1"
  verbosity: 1
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "$ORIGIN"
  zonefile: "$ZONE/bench.test.zone"
  provide-xfr: $SECONDARIES NOKEY
EOF
}

write_knot_primary() { # DIR
    cat >"$1/knot.conf" <<EOF
server:
    rundir: "$1"
    listen: $KNOT_PRIMARY@$PORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: "$1"
control:
    listen: "$1/knot.sock"
acl:
  - id: secondaries
    address: $SECONDARIES
    action: transfer
zone:
  - domain: "$ORIGIN"
    file: "$ZONE/bench.test.zone"
    zonefile-sync: -1
    journal-content: none
    acl: secondaries
EOF
}

# write_nsd_secondary DIR ADDRESS PRIMARY AXFR|IXFR: an NSD secondary with a control socket.
# `request-xfr: AXFR` asks for the whole zone every time; without it NSD asks IXFR first.
write_nsd_secondary() {
    local dir=$1 address=$2 primary=$3 kind=$4 request
    request="$primary@$PORT NOKEY"
    [ "$kind" = AXFR ] && request="AXFR $request"
    cat >"$dir/nsd.conf" <<EOF
server:
  ip-address: $address@$PORT
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$dir"
  database: ""
  pidfile: "$dir/nsd.pid"
  xfrdfile: "$dir/xfrd.state"
  zonelistfile: "$dir/zone.list"
  xfrdir: "$dir"
  verbosity: 2
  rrl-ratelimit: 0
remote-control:
  control-enable: yes
  control-interface: "$dir/nsd.sock"
zone:
  name: "$ORIGIN"
  zonefile: "$dir/bench.test.zone"
  outgoing-interface: $address
  request-xfr: $request
EOF
}

# ---------------------------------------------------------------- build, zone, primaries
log "building release binaries (authority, bench)"
(cd "$ROOT" && cargo build --release -q -p authority -p bench)
TOOL=$ROOT/target/release/benchtool
AUTHORITY=${AUTHORITY_BINARY:-$ROOT/target/release/authority}

ZONE=$WORK/zone
mkdir -p "$ZONE"
log "generating a $RECORDS-record zone"
"$TOOL" generate-zone --records "$RECORDS" --yaml "$ZONE/bench.test.yaml" --master "$ZONE/bench.test.zone"
SERIAL=$(awk '/ SOA / { print $6; exit }' "$ZONE/bench.test.zone")

log "starting the primaries (ours loads $RECORDS records: this takes a while)"
start_on "$SERVER_CORE" primary-ours env RUST_LOG=info "$AUTHORITY" --workers 1 --listen "$OURS:$PORT" \
    --state-dir "$WORK/ours-state" --allow-transfer "$SECONDARIES" "$ORIGIN=$ZONE/bench.test.yaml"
OURS_PID=$STARTED_PID
mkdir -p "$WORK/primary-nsd" "$WORK/primary-knot"
write_nsd_primary "$WORK/primary-nsd"
start_on "$SERVER_CORE" primary-nsd nsd -d -c "$WORK/primary-nsd/nsd.conf"
NSD_PID=$STARTED_PID
write_knot_primary "$WORK/primary-knot"
start_on "$SERVER_CORE" primary-knot knotd -c "$WORK/primary-knot/knot.conf"
KNOT_PID=$STARTED_PID
for primary in "$OURS=$OURS_PID" "$NSD_PRIMARY=$NSD_PID" "$KNOT_PRIMARY=$KNOT_PID"; do
    address=${primary%%=*}
    seconds=$(wait_serial "$address" "$(date +%s.%N)" "$SERIAL" "${primary#*=}") || {
        log "primary $address never served serial $SERIAL: $(tail -n 2 "$WORK"/primary-*.log)"; exit 1; }
    log "primary $address serves serial $SERIAL (after another ${seconds}s)"
done

# ---------------------------------------------------------------- 1. AXFR to a fresh secondary
primary_address() { case $1 in ours) echo "$OURS" ;; nsd) echo "$NSD_PRIMARY" ;; knot) echo "$KNOT_PRIMARY" ;; esac; }
PRIMARIES=(ours nsd knot)
for repetition in $(seq "$REPETITIONS"); do
    for turn in 0 1 2; do
        primary=${PRIMARIES[$(( (repetition - 1 + turn) % 3 ))]}
        dir=$WORK/fresh-$primary-$repetition
        mkdir -p "$dir"
        write_nsd_secondary "$dir" "$FRESH_SECONDARY" "$(primary_address "$primary")" AXFR
        log "AXFR: fresh NSD secondary of $primary, repetition $repetition of $REPETITIONS"
        start_on "$CLIENT_CORE" "fresh-$primary-$repetition" nsd -d -c "$dir/nsd.conf"
        pid=$STARTED_PID
        if seconds=$(wait_serial "$FRESH_SECONDARY" "$STARTED_AT" "$SERIAL" "$pid"); then
            record "transfer-axfr-$RECORDS" "$primary" transfer_seconds "$seconds"
            log "AXFR: $primary → NSD in ${seconds}s"
        else
            log "AXFR: the secondary of $primary never served serial $SERIAL: $(tail -3 "$WORK/fresh-$primary-$repetition.log")"
        fi
        stop "$pid"
        rm -rf "$dir"
    done
done

# ---------------------------------------------------------------- 2. one changed record: IXFR vs AXFR
declare -A SECONDARY_ADDRESS=([IXFR]=$IXFR_SECONDARY [AXFR]=$AXFR_SECONDARY)
for kind in IXFR AXFR; do
    mkdir -p "$WORK/secondary-$kind"
    write_nsd_secondary "$WORK/secondary-$kind" "${SECONDARY_ADDRESS[$kind]}" "$OURS" "$kind"
    start_on "$CLIENT_CORE" "secondary-$kind" nsd -d -c "$WORK/secondary-$kind/nsd.conf"
    wait_serial "${SECONDARY_ADDRESS[$kind]}" "$STARTED_AT" "$SERIAL" "$STARTED_PID" >/dev/null
done
# The changed record: host0, the generator's first A name (`'host0': {type: A, value: 10.0.0.0}` in YAML).
CHANGED=host0
grep -q "^'$CHANGED': {type: A, value: " "$ZONE/bench.test.yaml" || { log "no $CHANGED A line in the generated YAML"; exit 1; }
KINDS=(IXFR AXFR)
for repetition in $(seq "$REPETITIONS"); do
    new=$((SERIAL + repetition))
    # The YAML holds the serial once (the SOA); 198.51.100.N is outside the generator's addresses.
    sed -i -e "s/serial: $((new - 1)),/serial: $new,/" \
        -e "s/^'$CHANGED': {type: A, value: [0-9.]*}/'$CHANGED': {type: A, value: 198.51.100.$repetition}/" \
        "$ZONE/bench.test.yaml"
    log "one change: $CHANGED A 198.51.100.$repetition, serial $new; our primary reloads"
    kill -HUP "$OURS_PID"
    # The journal holds the difference before the new serial is served (authority/src/xfr/publish.rs).
    wait_serial "$OURS" "$(date +%s.%N)" "$new" "$OURS_PID" >/dev/null
    for turn in 0 1; do
        kind=${KINDS[$(( (repetition - 1 + turn) % 2 ))]}
        started=$(date +%s.%N)
        nsd-control -c "$WORK/secondary-$kind/nsd.conf" transfer "$ORIGIN" >/dev/null
        seconds=$(wait_serial "${SECONDARY_ADDRESS[$kind]}" "$started" "$new")
        log "one change: $kind to serial $new in ${seconds}s"
        eval "last_$kind=$seconds"
    done
    # The ratio first: the report lists a workload's metrics in this order, and the README's
    # headline shows the first.
    # shellcheck disable=SC2154
    record "transfer-one-change-$RECORDS" ours ixfr_over_axfr "$(awk -v i="$last_IXFR" -v a="$last_AXFR" 'BEGIN { print i / a }')"
    record "transfer-one-change-$RECORDS" ours ixfr_seconds "$last_IXFR"
    record "transfer-one-change-$RECORDS" ours axfr_seconds "$last_AXFR"
done
# What our primary sent (its log names each transfer's kind, records and time), for the report.
SENT=$(grep -o 'kind="[A-Z]*".*records=[0-9]*' "$WORK/primary-ours.log" | awk '{ print $1, $NF }' | sort | uniq -c | sed 's/^ *//' | paste -sd ';' -)

mkdir -p "$ROOT/bench/results"
STAMP=$(date -u +%Y-%m-%d-%H%M)
CPU=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet || echo ' (dirty)')
HEADING="# Benchmark results $STAMP UTC

- Mode: transfers of a $RECORDS-record zone, $REPETITIONS repetitions; only: transfers
- Machine: $(nproc) cores, $CPU, $(uname -sr)
- Commit: $COMMIT; ours: $AUTHORITY
- Peers: $(nsd -v 2>&1 | head -1), $(knotd -V 2>&1 | head -1); the secondary is always NSD
- Primaries on core $SERVER_CORE, NSD secondaries on core $CLIENT_CORE
- transfer-axfr: a fresh NSD secondary (\`request-xfr: AXFR\`) from process start to its first NOERROR SOA answer (NSD's start, the AXFR, NSD writing and loading it)
- transfer-one-change: ours reloads with one A record changed and the serial raised; then \`nsd-control transfer\` on an NSD secondary asking IXFR, and on one asking AXFR only, each timed to its first answer with the new serial (polled every 10 ms)
- Our primary's log, transfers sent (count, kind, records of the last field): $SENT
- Each cell: median (min–max, n runs); ratio = ours median / peer median"
cp "$MEASUREMENTS" "$ROOT/bench/results/$STAMP.tsv"
"$TOOL" report --input "$MEASUREMENTS" --output "$ROOT/bench/results/$STAMP.md" --heading "$HEADING"
log "report: bench/results/$STAMP.md (raw figures: bench/results/$STAMP.tsv)"
cat "$ROOT/bench/results/$STAMP.md"
