#!/usr/bin/env bash
# bench/run.sh: the benchmarks, ours against NSD, Knot, Unbound and Knot Resolver, in one command.
# Starts every server itself (own config in a temp dir, own loopback address), stops each by PID.
#
#   bench/run.sh [--quick] [--only auth|resolver|cold|memory|load|workers|saturated|signing|validation|transfers] [--repetitions N] [--duration S]
#   (--only validation runs bench/validation.sh: ours vs Unbound, both validating the signed lab;
#   --only transfers runs bench/transfers.sh: zone transfers to NSD)
#
# Servers under test run on core 0 with one worker; dnsperf / the walk client run on core 1.
# Except `workers` (not in the default set): servers at 1 and 2 UDP workers, servers and dnsperf
# sharing both cores. `saturated` (not in the default set either: it changes two sysctls of lo and
# takes every UDP datagram on lo to ports 2000 and up while it runs): kxdpgun on core 1 offers one
# server core more queries than it can answer, so replies per second are the server core's limit.
# `load` runs only the big-zone part of `memory` (load, RSS, reload).
# Results: bench/results/<UTC date-time>.md (also printed); raw files kept with KEEP=1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
ONLY=all
REPETITIONS=3
DURATION=10
# The fixed rate of the latency runs: below every server's saturation on a 2-core machine, so the
# percentiles measure service time, not queueing.
LATENCY_QPS=${LATENCY_QPS:-10000}
# Each repetition's latency runs are cut into LATENCY_SLICES slices in which the servers take turns,
# so that every server meets the same stretches of host noise: see latency_sliced.
LATENCY_SLICES=${LATENCY_SLICES:-5}
# dnsperf concurrency for throughput runs: enough outstanding queries to saturate one core.
CLIENTS=${CLIENTS:-10}
OUTSTANDING=${OUTSTANDING:-200}
SERVER_CORE=${SERVER_CORE:-0}
# In a KVM guest an idle vCPU halts, and the host takes tens of µs to run it again when a datagram
# arrives: at 10,000 qps that wake-up, not the server, made most of the latency (median 65-79 µs
# with the halt, 21-28 µs without, for ours and Knot alike). The guest's haltpoll cpuidle driver
# polls before halting for up to this many ns; the value is set for the run and restored at exit.
# 200000 is the kernel's default; "keep" leaves the machine's setting.
GUEST_HALT_POLL_NS=${GUEST_HALT_POLL_NS:-200000}
CLIENT_CORE=${CLIENT_CORE:-1}
# Every address lives in 127.80.0.0/16 (servers under test) and 127.81.0.0/16 (the cold-walk lab).
PORT=5300

usage() { sed -n '2,14p' "$0"; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --only) ONLY=${2:?--only needs auth, resolver, cold, memory, load, workers, saturated, signing, validation or transfers}; shift ;;
        --repetitions) REPETITIONS=${2:?}; shift ;;
        --duration) DURATION=${2:?}; shift ;;
        -h|--help) usage 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; usage 2 ;;
    esac
    shift
done
if [ "$QUICK" = 1 ]; then
    REPETITIONS=1
    DURATION=2
    LATENCY_SLICES=1
fi
case "$ONLY" in all|auth|resolver|cold|memory|load|workers|saturated|signing) ;; validation|transfers) ;; *) usage 2 ;; esac
if [ "$ONLY" = validation ]; then
    args=(--repetitions "$REPETITIONS" --duration "$DURATION")
    [ "$QUICK" = 1 ] && args=(--quick)
    exec "$ROOT/bench/validation.sh" "${args[@]}"
fi
# Zone transfers have their own script (not part of a full run: a 1,000,000-record zone, minutes).
[ "$ONLY" = transfers ] && exec "$ROOT/bench/transfers.sh" --repetitions "$REPETITIONS"
# The cores are read over the runs' middle DURATION - 1 seconds (throughput_run).
case "$DURATION" in [2-9]|[1-9][0-9]*) ;; *) echo "run.sh: --duration needs 2 s or more" >&2; usage 2 ;; esac
wants() { [ "$ONLY" = all ] || [ "$ONLY" = "$1" ]; }
# The workers and saturated workloads run only when asked: the first shares the cores, unlike
# every other one; the second changes the loopback interface's settings for its run.
wants_only() { [ "$ONLY" = "$1" ]; }

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- tools
install_missing() {
    local missing=()
    command -v dnsperf >/dev/null || missing+=(dnsperf)
    command -v nsd >/dev/null || missing+=(nsd)
    command -v nsd-control >/dev/null || missing+=(nsd)
    command -v knotd >/dev/null || missing+=(knot)
    command -v unbound >/dev/null || missing+=(unbound)
    command -v kresd >/dev/null || missing+=(knot-resolver)
    command -v taskset >/dev/null || missing+=(util-linux)
    command -v ss >/dev/null || missing+=(iproute2)
    command -v dnssec-signzone >/dev/null || missing+=(bind9-utils)
    command -v ldns-signzone >/dev/null || missing+=(ldnsutils)
    command -v kxdpgun >/dev/null || missing+=(knot-dnsutils)
    command -v sysctl >/dev/null || missing+=(procps)
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    # Debian starts services on install; policy-rc.d exiting 101 forbids it (we start our own).
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

# ---------------------------------------------------------------- processes
WORK=$(mktemp -d /tmp/dns-bench.XXXXXX)
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

# ---------------------------------------------------------------- the vCPU's idle
HALT_POLL_FILE=/sys/module/haltpoll/parameters/guest_halt_poll_ns
HALT_POLL_BEFORE=""
HALT_POLL_STATE="no haltpoll cpuidle driver (not a KVM guest): left as is"

# set_halt_poll: applies GUEST_HALT_POLL_NS when the haltpoll driver is there and writable;
# HALT_POLL_STATE says what the run had, for the report's heading.
set_halt_poll() {
    [ -e "$HALT_POLL_FILE" ] || return 0
    # The parameter exists wherever the kernel has the driver built in, but it acts only while
    # haltpoll is the cpuidle driver in use (a host may hint otherwise: then the driver is "none").
    local driver
    driver=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo unknown)
    if [ "$driver" != haltpoll ]; then
        HALT_POLL_STATE="cpuidle driver $driver, so guest halt polling is not in use: left as is"
        return 0
    fi
    local current
    current=$(cat "$HALT_POLL_FILE")
    if [ "$GUEST_HALT_POLL_NS" = keep ] || [ "$GUEST_HALT_POLL_NS" = "$current" ]; then
        HALT_POLL_STATE="guest halt polling $current ns (the machine's setting)"
    elif echo "$GUEST_HALT_POLL_NS" 2>/dev/null >"$HALT_POLL_FILE"; then
        HALT_POLL_BEFORE=$current
        HALT_POLL_STATE="guest halt polling $GUEST_HALT_POLL_NS ns for the run (the machine's $current restored after)"
        log "vCPU idle: guest halt polling $GUEST_HALT_POLL_NS ns for the run (was $current)"
    else
        HALT_POLL_STATE="guest halt polling $current ns (the machine's; $GUEST_HALT_POLL_NS could not be set)"
        log "vCPU idle: cannot write $HALT_POLL_FILE; latency runs will include the vCPU's wake-up"
    fi
}

restore_halt_poll() {
    [ -n "$HALT_POLL_BEFORE" ] || return 0
    echo "$HALT_POLL_BEFORE" >"$HALT_POLL_FILE" 2>/dev/null || log "could not restore $HALT_POLL_FILE to $HALT_POLL_BEFORE"
    HALT_POLL_BEFORE=""
}

# ---------------------------------------------------------------- lo for AF_XDP (saturated)
# kxdpgun's frames leave through an AF_XDP socket on lo with no route cache entry, so the kernel
# takes them as arriving packets whose source address is local, and drops them (perf's
# skb:kfree_skb says IP_LOCAL_SOURCE) unless lo has both accept_local and route_localnet.
LOOPBACK_SYSCTLS=(net.ipv4.conf.lo.accept_local net.ipv4.conf.lo.route_localnet)
LOOPBACK_RESTORE=()
LOOPBACK_STATE=""
# kxdpgun leaves its XDP program on lo when it exits; every later packet on lo would run it (in
# generic mode). Detached at the end when lo had no XDP program before.
LOOPBACK_DETACH_XDP=0

loopback_has_xdp() { ip -o link show dev lo 2>/dev/null | grep -q ' xdp'; }

# set_loopback_for_xdp: both sysctls at 1, the previous values kept for restore_loopback;
# LOOPBACK_STATE says what the run had, for the report's heading, or why it could not be set.
set_loopback_for_xdp() {
    local name current changed=() kept=()
    loopback_has_xdp || LOOPBACK_DETACH_XDP=1
    for name in "${LOOPBACK_SYSCTLS[@]}"; do
        if ! current=$(sysctl -n "$name" 2>/dev/null); then
            LOOPBACK_STATE="cannot read $name"; return 1
        fi
        if [ "$current" = 1 ]; then kept+=("${name##*.}"); continue; fi
        if ! sysctl -qw "$name=1" 2>/dev/null; then
            LOOPBACK_STATE="cannot set $name=1 (not root?)"; return 1
        fi
        LOOPBACK_RESTORE+=("$name=$current")
        changed+=("${name##*.} (was $current)")
    done
    LOOPBACK_STATE="net.ipv4.conf.lo accept_local=1 and route_localnet=1 for kxdpgun's AF_XDP frames"
    [ ${#changed[@]} -gt 0 ] && LOOPBACK_STATE="$LOOPBACK_STATE; set for the run: ${changed[*]}, restored after"
    [ ${#kept[@]} -gt 0 ] && LOOPBACK_STATE="$LOOPBACK_STATE; already 1 on this machine: ${kept[*]}"
    log "lo: $LOOPBACK_STATE"
}

restore_loopback() {
    local entry
    for entry in "${LOOPBACK_RESTORE[@]}"; do
        sysctl -qw "$entry" 2>/dev/null || log "could not restore $entry"
    done
    LOOPBACK_RESTORE=()
    if [ "$LOOPBACK_DETACH_XDP" = 1 ] && loopback_has_xdp; then
        if pgrep -x kxdpgun >/dev/null; then
            log "left the XDP program on lo: a kxdpgun started by someone else is using it"
        else
            ip link set dev lo xdpgeneric off 2>/dev/null || log "could not detach kxdpgun's XDP program from lo"
        fi
    fi
    LOOPBACK_DETACH_XDP=0
}

cleanup() {
    local status=$?
    for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
    restore_halt_poll
    restore_loopback
    if [ "${KEEP:-0}" = 1 ] || [ $status -ne 0 ]; then
        log "raw files kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME COMMAND...: on the server core, output to $WORK/NAME.log; sets STARTED_PID.
start() { start_on "$SERVER_CORE" "$@"; }

# start_on CORES NAME COMMAND...: `start` on the given cores (a taskset list).
start_on() {
    local cores=$1 name=$2; shift 2
    taskset -c "$cores" "$@" >"$WORK/$name.log" 2>&1 &
    STARTED_PID=$!
    SERVER_PIDS+=("$STARTED_PID")
    STARTED_AT=$(date +%s.%N)
}

stop() {
    local pid=$1 kept=()
    stop_pid "$pid"
    for other in "${SERVER_PIDS[@]}"; do [ "$other" = "$pid" ] || kept+=("$other"); done
    SERVER_PIDS=("${kept[@]}")
}

# wait_answer ADDR NAME [TYPE [PORT]]: until the server answers NOERROR; prints seconds since STARTED_AT.
wait_answer() {
    "$TOOL" wait-ready --server "$1:${4:-$PORT}" --name "$2" --type "${3:-SOA}" \
        --timeout-seconds 900 --started-at "$STARTED_AT" --pid "$STARTED_PID"
}

# wait_port ADDR PORT: until a UDP socket is bound there, without sending a query (a resolver's
# cache must stay cold).
wait_port() {
    for _ in $(seq 600); do
        ss -Hlun "src $1 and sport = :$2" 2>/dev/null | grep -q . && return 0
        sleep 0.05
    done
    log "nothing listens on $1:$2"; return 1
}

# tree_cpu_ns PID: nanoseconds on CPU so far of PID and its descendants, all threads (NSD
# answers in forked server processes).
tree_cpu_ns() {
    local pid=$1 total child
    total=$(cpu_ns "$pid")
    for child in $(pgrep -P "$pid" || true); do
        total=$(( ${total:-0} + $(tree_cpu_ns "$child") ))
    done
    echo "${total:-0}"
}

# kibibytes PID FIELD: VmRSS / VmHWM from /proc.
kibibytes() { awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"; }

# tree_peak PID: the largest VmHWM (KiB) of PID and its descendants. NSD loads zones in a forked
# child, not in the process we start; the largest, not the sum, since forked children share pages.
tree_peak() {
    local pid=$1 peak child child_peak
    peak=$(kibibytes "$pid" VmHWM 2>/dev/null || echo 0)
    for child in $(pgrep -P "$pid" || true); do
        child_peak=$(tree_peak "$child")
        [ "${child_peak:-0}" -gt "${peak:-0}" ] && peak=$child_peak
    done
    echo "${peak:-0}"
}

# tree_pss PID: the summed PSS (KiB, /proc/PID/smaps_rollup) of PID and its descendants: the memory
# the whole process tree holds, each shared page counted once across the tree (NSD's reload runs in
# forked processes whose peak a VmHWM read after the reload cannot see).
tree_pss() {
    local pid=$1 total child
    total=$(awk '$1 == "Pss:" { print $2; exit }' "/proc/$pid/smaps_rollup" 2>/dev/null || true)
    total=${total:-0}
    for child in $(pgrep -P "$pid" || true); do
        total=$(( total + $(tree_pss "$child") ))
    done
    echo "$total"
}

# pss_watch_start PID: samples tree_pss of PID every 100 ms in the background (on the client core,
# off the server's), keeping the largest sum seen; pss_watch_stop takes a last sample, stops the
# sampler and prints that largest sum in MiB.
pss_watch_start() {
    local pid=$1
    PSS_FILE=$(mktemp "$WORK/pss-XXXXXX")
    echo 0 >"$PSS_FILE"
    (
        largest=0
        while kill -0 "$pid" 2>/dev/null; do
            now=$(tree_pss "$pid")
            if [ "$now" -gt "$largest" ]; then largest=$now; echo "$largest" >"$PSS_FILE"; fi
            sleep 0.1
        done
    ) &
    PSS_WATCHER=$!
    PSS_PID=$pid
    taskset -cp "$CLIENT_CORE" "$PSS_WATCHER" >/dev/null 2>&1 || true
}

pss_watch_stop() {
    local last largest
    last=$(tree_pss "$PSS_PID")
    kill "$PSS_WATCHER" 2>/dev/null || true
    wait "$PSS_WATCHER" 2>/dev/null || true
    largest=$(cat "$PSS_FILE")
    rm -f "$PSS_FILE"
    [ "$last" -gt "$largest" ] && largest=$last
    awk -v k="$largest" 'BEGIN { print k / 1024 }'
}

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$MEASUREMENTS"; }

# cpu_ns PID: nanoseconds on CPU so far, all threads (first field of each task's schedstat).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ total += $1 } END { printf "%.0f\n", total }'; }

# core_ticks CORE: "busy total steal" clock ticks of one core so far (/proc/stat). Busy is user, nice,
# system, irq and softirq: on loopback the kernel's delivery of a datagram runs on the sender's core,
# so the server core's busy time is everything one server costs. Steal and guest time are not busy.
core_ticks() {
    awk -v cpu="cpu$1" '$1 == cpu { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $9 }' /proc/stat
}

# record_core_use WORKLOAD SERVER SERVER-BEFORE CLIENT-BEFORE SERVER-AFTER CLIENT-AFTER DNSPERF-OUTPUT:
# how busy each core was during a throughput run, and the queries answered per second of
# server-core time: the server's capacity, which the QPS figure shows only when the client core is
# not the one at 100 %.
record_core_use() {
    local workload=$1 server=$2 output=$7
    awk -v s0="$3" -v c0="$4" -v s1="$5" -v c1="$6" \
        -v w="$workload" -v n="$server" '
        /Queries per second:/ { qps = $4 }
        END {
            split(s0, a); split(s1, b); split(c0, c); split(c1, d)
            if (b[2] <= a[2] || d[2] <= c[2]) exit
            server = (b[1] - a[1]) / (b[2] - a[2]); client = (d[1] - c[1]) / (d[2] - c[2])
            printf "%s\t%s\tserver_core_busy_percent\t%.1f\n", w, n, 100 * server
            printf "%s\t%s\tclient_core_busy_percent\t%.1f\n", w, n, 100 * client
            steal = ((b[3] - a[3]) + (d[3] - c[3])) / ((b[2] - a[2]) + (d[2] - c[2]))
            printf "%s\t%s\tstolen_percent\t%.1f\n", w, n, 100 * steal
            if (server > 0 && qps > 0) printf "%s\t%s\tqps_per_server_core\t%.0f\n", w, n, qps / server
        }' "$output" >>"$MEASUREMENTS"
}

# ---------------------------------------------------------------- server configs
# write_nsd_config, write_knot_config, write_unbound_config, write_kresd_config
# shellcheck source=peer_configs.sh
. "$ROOT/bench/peer_configs.sh"
# workload_signing (DNSSEC: signing time, reload, DO=1 queries)
# shellcheck source=signing.sh
. "$ROOT/bench/signing.sh"

# Our binaries have no worker-count flag: taskset restricts them to one core and
# TOKIO_WORKER_THREADS=1 makes it explicit: both then run tokio's current-thread runtime (the
# resolver names it in its ready line).
start_ours_authority() { # NAME ADDRESS ORIGIN=FILE
    start "$1" env TOKIO_WORKER_THREADS=1 RUST_LOG=warn "$AUTHORITY" --listen "$2:$PORT" "$3"
}
start_ours_resolver() { # NAME ADDRESS ARGS...
    local name=$1 address=$2; shift 2
    start "$name" env TOKIO_WORKER_THREADS=1 RUST_LOG=warn "$RESOLVER" --listen "$address:$PORT" \
        --allow-loopback-upstream "$@"
}
start_nsd() { start "$1" nsd -d -c "$2/nsd.conf"; }
start_knot() { start "$1" knotd -c "$2/knot.conf"; }
start_unbound() { start "$1" unbound -d -c "$2/unbound.conf"; }
# -n: no interactive console on stdin; the last argument is kresd's run directory.
start_kresd() { start "$1" kresd -n -c "$2/kresd.conf" "$2"; }

# run_dnsperf OUTPUT SERVER ADDRESS QUERIES [DNSPERF ARGS...]: one dnsperf run on the client core.
run_dnsperf() {
    local output=$1 server=$2 address=$3 queries=$4; shift 4
    taskset -c "$CLIENT_CORE" dnsperf -s "$address" -p "$PORT" -d "$queries" -T 1 "$@" >"$output" 2>&1 || {
        log "dnsperf failed against $server: $(tail -3 "$output")"; return 1; }
}

# throughput_run WORKLOAD SERVER ADDRESS QUERIES [DNSPERF ARGS...]: dnsperf's figures and each
# core's use (record_core_use). The cores are read over a fixed window inside dnsperf's sending time
# (from 0.5 s after its start to 0.5 s before its -l ends), not over the whole process: after -l,
# dnsperf waits up to its 5 s timeout for any query still unanswered, so a server that lost one
# query in the last seconds had an idle tail counted against its busy share (Unbound, which loses
# a few queries a run, showed 45 % busy at full load; "What we found" 21).
throughput_run() {
    local workload=$1 server=$2 address=$3 queries=$4; shift 4
    local output="$WORK/dnsperf-$workload-$server-$RANDOM.txt" dnsperf_pid
    local server_before client_before server_after client_after
    run_dnsperf "$output" "$server" "$address" "$queries" "$@" &
    dnsperf_pid=$!
    sleep 0.5
    server_before=$(core_ticks "$SERVER_CORE"); client_before=$(core_ticks "$CLIENT_CORE")
    sleep $(( DURATION - 1 ))
    server_after=$(core_ticks "$SERVER_CORE"); client_after=$(core_ticks "$CLIENT_CORE")
    wait "$dnsperf_pid" || return 0
    "$TOOL" dnsperf-metrics --file "$output" --workload "$workload" --server-name "$server" >>"$MEASUREMENTS"
    record_core_use "$workload" "$server" "$server_before" "$client_before" "$server_after" \
        "$client_after" "$output"
    [ "${KEEP:-0}" = 1 ] || rm -f "$output"
}

# steal_ticks: clock ticks the hypervisor has taken from the server and client cores so far.
steal_ticks() {
    awk -v s="cpu$SERVER_CORE" -v c="cpu$CLIENT_CORE" '$1 == s || $1 == c { total += $9 } END { print total + 0 }' /proc/stat
}

# latency_sliced WORKLOAD QUERIES "DNSPERF ARGS" NAME=ADDRESS...: one repetition of the latency runs
# at LATENCY_QPS, DURATION seconds per server in LATENCY_SLICES slices; the servers take turns, the
# first one changing from slice to slice. On a virtual machine the slow queries come in bursts of
# stalls that hit whoever is being measured (bench/results/LOG.md, "What we found" 19): one run after
# another, a server's p99 depended on the stretch of time it drew. Each server's slices are read as
# one run (dnsperf_output sums them); the time the hypervisor took during its slices is recorded.
latency_sliced() {
    local workload=$1 queries=$2 extra=$3; shift 3
    local servers=("$@") seconds slice turn entry name address before output p99
    local -A stolen=() slice_p99=()
    seconds=$(( (DURATION + LATENCY_SLICES - 1) / LATENCY_SLICES ))
    for entry in "${servers[@]}"; do
        name=${entry%%=*}
        : >"$WORK/latency-$workload-$name.txt"
        stolen[$name]=0
    done
    log "$workload: ${LATENCY_SLICES} slices of ${seconds}s per server at $LATENCY_QPS qps, taking turns"
    for slice in $(seq 0 $(( LATENCY_SLICES - 1 ))); do
        slice_p99=()
        for turn in $(seq 0 $(( ${#servers[@]} - 1 ))); do
            entry=${servers[$(( (slice + turn) % ${#servers[@]} ))]}
            name=${entry%%=*} address=${entry#*=}
            output="$WORK/latency-$workload-$name-slice.txt"
            before=$(steal_ticks)
            # shellcheck disable=SC2086 # $extra holds separate dnsperf arguments
            if run_dnsperf "$output" "$name" "$address" "$queries" -l "$seconds" -c "$CLIENTS" \
                -q "$OUTSTANDING" -Q "$LATENCY_QPS" -v $extra; then
                cat "$output" >>"$WORK/latency-$workload-$name.txt"
                p99=$("$TOOL" dnsperf-metrics --file "$output" --workload "$workload" --server-name "$name" |
                    awk -F'\t' '$3 == "p99_latency_us" { print $4 }')
                [ -n "$p99" ] && slice_p99[$name]=$p99
            fi
            stolen[$name]=$(( stolen[$name] + $(steal_ticks) - before ))
        done
        # Each slice's p99 too, recorded only when every server has one: the report pairs them by
        # position (same round, minutes apart at most) and counts the rounds ours was lower in.
        if [ ${#slice_p99[@]} -eq ${#servers[@]} ]; then
            for entry in "${servers[@]}"; do
                record "$workload" "${entry%%=*}" slice_p99_latency_us "${slice_p99[${entry%%=*}]}"
            done
        fi
    done
    for entry in "${servers[@]}"; do
        name=${entry%%=*}
        output="$WORK/latency-$workload-$name.txt"
        if [ -s "$output" ]; then
            "$TOOL" dnsperf-metrics --file "$output" --workload "$workload" --server-name "$name" >>"$MEASUREMENTS"
            record "$workload" "$name" stolen_ms "$(( stolen[$name] * 1000 / $(getconf CLK_TCK) ))"
        fi
        [ "${KEEP:-0}" = 1 ] || rm -f "$output" "$WORK/latency-$workload-$name-slice.txt"
    done
}

# throughput WORKLOAD QUERIES "DNSPERF ARGS" REPETITION NAME=ADDRESS...: one repetition of the
# saturating runs, DURATION seconds per server, one server after the other. The first server moves
# by one each repetition (ours, NSD, Knot; then NSD, Knot, ours; ...): the host's speed drifts over
# tens of seconds, and a fixed order would hand the same place in every drift to the same server.
throughput() {
    local workload=$1 queries=$2 extra=$3 repetition=$4 entry turn; shift 4
    local servers=("$@")
    for turn in $(seq 0 $(( ${#servers[@]} - 1 ))); do
        entry=${servers[$(( (repetition - 1 + turn) % ${#servers[@]} ))]}
        log "$workload: ${entry%%=*}, ${DURATION}s saturating"
        # shellcheck disable=SC2086
        throughput_run "$workload" "${entry%%=*}" "${entry#*=}" "$queries" \
            -l "$DURATION" -c "$CLIENTS" -q "$OUTSTANDING" $extra
    done
}

# ---------------------------------------------------------------- build and generate
install_missing
log "building release binaries (authority, resolver, bench)"
(cd "$ROOT" && cargo build --release -q -p authority -p resolver -p bench)
TOOL=$ROOT/target/release/benchtool
# AUTHORITY_BINARY / RESOLVER_BINARY: measure binaries built elsewhere (e.g. another branch).
AUTHORITY=${AUTHORITY_BINARY:-$ROOT/target/release/authority}
RESOLVER=${RESOLVER_BINARY:-$ROOT/target/release/resolver}
# The resolver daemon's flags landed with the `daemon` branch; before that there is nothing to run.
RESOLVER_READY=0
"$RESOLVER" --help 2>/dev/null | grep -q -- '--forward' && RESOLVER_READY=1
NO_IP6=
"$RESOLVER" --help 2>/dev/null | grep -q -- '--no-ip6' && NO_IP6=--no-ip6

ZONE=$WORK/zone
mkdir -p "$ZONE"
"$TOOL" generate-zone --yaml "$ZONE/bench.test.yaml" --master "$ZONE/bench.test.zone"
"$TOOL" generate-queries --mix authoritative --count 200000 --output "$ZONE/queries-authoritative.txt"
"$TOOL" generate-queries --mix resolver --count 100000 --output "$ZONE/queries-resolver.txt"

# ---------------------------------------------------------------- 1. authoritative
workload_authoritative() {
    local ours=127.80.0.1 nsd=127.80.0.2 knot=127.80.0.3
    mkdir -p "$WORK/auth-nsd" "$WORK/auth-knot"
    write_nsd_config "$WORK/auth-nsd" "$nsd" "$PORT" "bench.test.=$ZONE/bench.test.zone"
    write_knot_config "$WORK/auth-knot" "$knot" "$PORT" bench.test. "$ZONE/bench.test.zone"
    start_ours_authority auth-ours "$ours" "bench.test.=$ZONE/bench.test.yaml"; local ours_pid=$STARTED_PID
    wait_answer "$ours" bench.test. >/dev/null
    start_nsd auth-nsd "$WORK/auth-nsd"; local nsd_pid=$STARTED_PID
    wait_answer "$nsd" bench.test. >/dev/null
    start_knot auth-knot "$WORK/auth-knot"; local knot_pid=$STARTED_PID
    wait_answer "$knot" bench.test. >/dev/null
    local queries=$ZONE/queries-authoritative.txt
    # One unmeasured pass each: page in the zone and the query path.
    for address in $ours $nsd $knot; do
        taskset -c "$CLIENT_CORE" dnsperf -s "$address" -p "$PORT" -d "$queries" -l 1 >/dev/null 2>&1 || true
    done
    for protocol in udp tcp; do
        for repetition in $(seq "$REPETITIONS"); do
            log "authoritative $protocol, repetition $repetition of $REPETITIONS"
            throughput "authoritative-$protocol" "$queries" "-m $protocol" "$repetition" \
                "ours=$ours" "nsd=$nsd" "knot=$knot"
            latency_sliced "authoritative-$protocol-latency-at-${LATENCY_QPS}qps" "$queries" \
                "-m $protocol" "ours=$ours" "nsd=$nsd" "knot=$knot"
        done
    done
    stop "$ours_pid"; stop "$nsd_pid"; stop "$knot_pid"
}

# ---------------------------------------------------------------- 1b. UDP workers (--only workers)
# Each server at 1 and at 2 UDP workers: ours --workers N, NSD server-count: N (with reuseport:
# yes, a socket per server process), Knot udp-workers: N. One dnsperf thread cannot saturate even
# one worker, and on 2 cores it has no core to spare for a second one: so nothing is pinned here.
# Servers and dnsperf (-T WORKERS_THREADS) share both cores; QPS is what the machine as a whole
# does, and the figure that ranks the servers is their capacity: queries answered per second of
# the server's own CPU time (all its threads and processes, /proc/PID/task/*/schedstat). The
# scaling ratios (2 workers / 1 worker, per repetition) say how each server's QPS and capacity
# hold up when its workers run side by side.
WORKERS_CLIENTS=${WORKERS_CLIENTS:-100}
WORKERS_THREADS=${WORKERS_THREADS:-2}
WORKERS_CORES=${WORKERS_CORES:-0,1}

# machine_ticks: "busy total steal" clock ticks of all cores together so far (/proc/stat "cpu").
machine_ticks() {
    awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $9 }' /proc/stat
}

# workers_run WORKLOAD SERVER ADDRESS PID QUERIES: one saturating run with every core shared; sets
# RUN_QPS and RUN_CAPACITY (empty when the run failed).
workers_run() {
    local workload=$1 server=$2 address=$3 pid=$4 queries=$5
    local output="$WORK/dnsperf-$workload-$server-$RANDOM.txt" dnsperf_pid
    local cpu_before cpu_after wall_before wall_after ticks_before ticks_after figures
    RUN_QPS="" RUN_CAPACITY=""
    taskset -c "$WORKERS_CORES" dnsperf -s "$address" -p "$PORT" -d "$queries" -T "$WORKERS_THREADS" \
        -c "$WORKERS_CLIENTS" -q "$OUTSTANDING" -l "$DURATION" >"$output" 2>&1 &
    dnsperf_pid=$!
    sleep 0.5
    cpu_before=$(tree_cpu_ns "$pid"); wall_before=$(date +%s%N); ticks_before=$(machine_ticks)
    sleep $(( DURATION - 1 ))
    cpu_after=$(tree_cpu_ns "$pid"); wall_after=$(date +%s%N); ticks_after=$(machine_ticks)
    wait "$dnsperf_pid" || { log "dnsperf failed against $server: $(tail -3 "$output")"; return 0; }
    "$TOOL" dnsperf-metrics --file "$output" --workload "$workload" --server-name "$server" >>"$MEASUREMENTS"
    figures=$(awk -v c0="$cpu_before" -v c1="$cpu_after" -v w0="$wall_before" -v w1="$wall_after" \
        -v t0="$ticks_before" -v t1="$ticks_after" -v w="$workload" -v n="$server" '
        /Queries per second:/ { qps = $4 }
        END {
            split(t0, a); split(t1, b)
            if (w1 <= w0 || b[2] <= a[2]) exit
            cpu = (c1 - c0) / (w1 - w0)
            printf "%s\t%s\tserver_cpu_percent\t%.1f\n", w, n, 100 * cpu
            printf "%s\t%s\tmachine_busy_percent\t%.1f\n", w, n, 100 * (b[1] - a[1]) / (b[2] - a[2])
            printf "%s\t%s\tstolen_percent\t%.1f\n", w, n, 100 * (b[3] - a[3]) / (b[2] - a[2])
            if (cpu > 0 && qps > 0) printf "%s\t%s\tqps_per_server_cpu\t%.0f\n", w, n, qps / cpu
        }' "$output")
    printf '%s\n' "$figures" >>"$MEASUREMENTS"
    RUN_QPS=$(awk '/Queries per second:/ { print $4 }' "$output")
    RUN_CAPACITY=$(printf '%s\n' "$figures" | awk -F'\t' '$3 == "qps_per_server_cpu" { print $4 }')
    [ "${KEEP:-0}" = 1 ] || rm -f "$output"
}

workload_workers() {
    local queries=$ZONE/queries-authoritative.txt count name address entry turn
    local -A pid_of=() address_of=() qps_of=() capacity_of=()
    local entries=()
    for count in 1 2; do
        local ours=127.80.1.$((10 * count + 1)) nsd=127.80.1.$((10 * count + 2)) knot=127.80.1.$((10 * count + 3))
        mkdir -p "$WORK/workers-$count-nsd" "$WORK/workers-$count-knot"
        NSD_SERVER_COUNT=$count write_nsd_config "$WORK/workers-$count-nsd" "$nsd" "$PORT" "bench.test.=$ZONE/bench.test.zone"
        KNOT_UDP_WORKERS=$count write_knot_config "$WORK/workers-$count-knot" "$knot" "$PORT" bench.test. "$ZONE/bench.test.zone"
        start_on "$WORKERS_CORES" "workers-$count-ours" env RUST_LOG=warn "$AUTHORITY" --workers "$count" \
            --listen "$ours:$PORT" "bench.test.=$ZONE/bench.test.yaml"
        pid_of[ours-$count]=$STARTED_PID; address_of[ours-$count]=$ours
        wait_answer "$ours" bench.test. >/dev/null
        start_on "$WORKERS_CORES" "workers-$count-nsd" nsd -d -c "$WORK/workers-$count-nsd/nsd.conf"
        pid_of[nsd-$count]=$STARTED_PID; address_of[nsd-$count]=$nsd
        wait_answer "$nsd" bench.test. >/dev/null
        start_on "$WORKERS_CORES" "workers-$count-knot" knotd -c "$WORK/workers-$count-knot/knot.conf"
        pid_of[knot-$count]=$STARTED_PID; address_of[knot-$count]=$knot
        wait_answer "$knot" bench.test. >/dev/null
        for name in ours nsd knot; do
            entries+=("$name-$count")
            # Each worker reads a socket of its own: as many UDP sockets on the address as workers.
            record "udp-$count-worker" "$name" udp_sockets \
                "$(ss -Hlun "src ${address_of[$name-$count]} and sport = :$PORT" | grep -c .)"
        done
    done
    for entry in "${entries[@]}"; do
        taskset -c "$WORKERS_CORES" dnsperf -s "${address_of[$entry]}" -p "$PORT" -d "$queries" -l 1 \
            -c "$WORKERS_CLIENTS" >/dev/null 2>&1 || true
    done
    for repetition in $(seq "$REPETITIONS"); do
        log "workers: repetition $repetition of $REPETITIONS"
        # Interleaved as elsewhere: the first of the six moves by one each repetition.
        for turn in $(seq 0 $(( ${#entries[@]} - 1 ))); do
            entry=${entries[$(( (repetition - 1 + turn) % ${#entries[@]} ))]}
            name=${entry%-*} count=${entry##*-}
            log "workers: $name at $count worker(s), ${DURATION}s saturating"
            workers_run "udp-$count-worker" "$name" "${address_of[$entry]}" "${pid_of[$entry]}" "$queries"
            qps_of[$entry]=$RUN_QPS capacity_of[$entry]=$RUN_CAPACITY
        done
        for name in ours nsd knot; do
            if [ -n "${qps_of[$name-1]}" ] && [ -n "${qps_of[$name-2]}" ]; then
                record udp-scaling-2-over-1 "$name" qps_scaling \
                    "$(awk -v a="${qps_of[$name-2]}" -v b="${qps_of[$name-1]}" 'BEGIN { printf "%.3f", a / b }')"
            fi
            if [ -n "${capacity_of[$name-1]}" ] && [ -n "${capacity_of[$name-2]}" ]; then
                record udp-scaling-2-over-1 "$name" capacity_scaling \
                    "$(awk -v a="${capacity_of[$name-2]}" -v b="${capacity_of[$name-1]}" 'BEGIN { printf "%.3f", a / b }')"
            fi
        done
    done
    for entry in "${entries[@]}"; do stop "${pid_of[$entry]}"; done
}

# ---------------------------------------------------------------- 1c. one saturated core (--only saturated)
# dnsperf makes a system call or two per query and saturates its own core before any server
# saturates its one (results/LOG.md, 14, 15, 24, 35): its QPS then ranks the client, not the
# servers. kxdpgun (Knot DNS's load generator) sends and receives through an AF_XDP socket, cheaply
# enough to offer one server core, from the other core, more queries than it can answer: the
# replies per second are then the server core's own limit. Each server with one UDP worker.
SATURATED_QPS=${SATURATED_QPS:-2000000}
# kxdpgun's XDP program takes every UDP datagram on the interface to ports 2000-65535 (the range of
# its own source ports): a server listening there would never see a query. Hence port 53 here.
SATURATED_PORT=53
# lo's MAC is all zeros, which kxdpgun 3.2 reads as unset and then fails to find a neighbour for:
# a broadcast destination and any locally administered source instead (lo reads neither).
KXDPGUN_LOOPBACK=(-I lo -R ff:ff:ff:ff:ff:ff -L 02:00:00:00:00:01)
SATURATED_SKIPPED=""
GUN_PID=""

# run_kxdpgun OUTPUT SECONDS ADDRESS: kxdpgun on the client core (its one thread pinned there with
# -F) at SATURATED_QPS for SECONDS. It sets up for 1 s, sends for SECONDS, then waits 1 s for the
# last replies; it exits 0 even when its XDP socket could not be set up (then it prints no summary).
run_kxdpgun() {
    local output=$1 seconds=$2 address=$3
    taskset -c "$CLIENT_CORE" timeout $(( seconds + 30 )) kxdpgun -t "$seconds" -Q "$SATURATED_QPS" \
        -i "$ZONE/queries-authoritative.txt" -p "$SATURATED_PORT" -F "$CLIENT_CORE" \
        "${KXDPGUN_LOOPBACK[@]}" "$address" >"$output" 2>&1
}

# saturated_run SERVER ADDRESS PID: one kxdpgun run of DURATION s; records kxdpgun's figures, the
# server's CPU (all its threads and processes, tree_cpu_ns), its replies per second of that CPU,
# and the time the hypervisor took from both cores, read over the middle DURATION - 1 s of the
# sending (from 0.5 s after it starts to 0.5 s before it ends).
saturated_run() {
    local server=$1 address=$2 pid=$3 output="$WORK/kxdpgun-$1-$RANDOM.txt" figures
    local cpu_before cpu_after wall_before wall_after server_before server_after client_before client_after
    run_kxdpgun "$output" "$DURATION" "$address" &
    GUN_PID=$!
    SERVER_PIDS+=("$GUN_PID")
    sleep 1.5
    cpu_before=$(tree_cpu_ns "$pid"); wall_before=$(date +%s%N)
    server_before=$(core_ticks "$SERVER_CORE"); client_before=$(core_ticks "$CLIENT_CORE")
    sleep $(( DURATION - 1 ))
    cpu_after=$(tree_cpu_ns "$pid"); wall_after=$(date +%s%N)
    server_after=$(core_ticks "$SERVER_CORE"); client_after=$(core_ticks "$CLIENT_CORE")
    wait "$GUN_PID" || log "kxdpgun against $server exited with $?: $(tail -2 "$output")"
    stop "$GUN_PID"; GUN_PID=""
    if ! figures=$("$TOOL" kxdpgun-metrics --file "$output" --workload saturated --server-name "$server" 2>&1); then
        log "saturated: no figures for $server: $figures"; return 0
    fi
    printf '%s\n' "$figures" >>"$MEASUREMENTS"
    printf '%s\n' "$figures" | awk -F'\t' -v c0="$cpu_before" -v c1="$cpu_after" -v w0="$wall_before" \
        -v w1="$wall_after" -v s0="$server_before" -v s1="$server_after" -v k0="$client_before" \
        -v k1="$client_after" -v n="$server" '
        $3 == "replies_per_second" { replies = $4 }
        END {
            split(s0, a, " "); split(s1, b, " "); split(k0, c, " "); split(k1, d, " ")
            if (w1 <= w0 || b[2] <= a[2] || d[2] <= c[2]) exit
            cpu = (c1 - c0) / (w1 - w0)
            printf "saturated\t%s\tserver_cpu_percent\t%.1f\n", n, 100 * cpu
            if (cpu > 0 && replies > 0) printf "saturated\t%s\tqps_per_server_cpu\t%.0f\n", n, replies / cpu
            steal = ((b[3] - a[3]) + (d[3] - c[3])) / ((b[2] - a[2]) + (d[2] - c[2]))
            printf "saturated\t%s\tstolen_percent\t%.1f\n", n, 100 * steal
        }' >>"$MEASUREMENTS"
    [ "${KEEP:-0}" = 1 ] || rm -f "$output"
}

# skip_saturated REASON: the workload cannot measure here; said in the log and the report's heading.
skip_saturated() {
    SATURATED_SKIPPED=$1
    log "saturated: SKIPPED: $1"
}

workload_saturated() {
    local servers=(ours nsd knot) name entry turn output figures replies
    local -A pid_of=() address_of=([ours]=127.80.2.1 [nsd]=127.80.2.2 [knot]=127.80.2.3)
    # Two kxdpgun at once on lo take each other's XDP hook and replies: neither would measure.
    local others
    others=$(pgrep -x kxdpgun | tr '\n' ' ' || true)
    if [ -n "$others" ]; then
        skip_saturated "another kxdpgun is running on this machine (pid ${others% }): lo's XDP hook is not ours to take"
        return 0
    fi
    if ! set_loopback_for_xdp; then skip_saturated "$LOOPBACK_STATE"; return 0; fi
    log "saturated: while kxdpgun runs, every UDP datagram on lo to ports 2000-65535 goes to it: other loopback UDP traffic on this machine is lost meanwhile"
    mkdir -p "$WORK/saturated-nsd" "$WORK/saturated-knot"
    write_nsd_config "$WORK/saturated-nsd" "${address_of[nsd]}" "$SATURATED_PORT" "bench.test.=$ZONE/bench.test.zone"
    KNOT_UDP_WORKERS=1 write_knot_config "$WORK/saturated-knot" "${address_of[knot]}" "$SATURATED_PORT" \
        bench.test. "$ZONE/bench.test.zone"
    start saturated-ours env RUST_LOG=warn "$AUTHORITY" --workers 1 \
        --listen "${address_of[ours]}:$SATURATED_PORT" "bench.test.=$ZONE/bench.test.yaml"
    pid_of[ours]=$STARTED_PID
    wait_answer "${address_of[ours]}" bench.test. SOA "$SATURATED_PORT" >/dev/null
    start_nsd saturated-nsd "$WORK/saturated-nsd"; pid_of[nsd]=$STARTED_PID
    wait_answer "${address_of[nsd]}" bench.test. SOA "$SATURATED_PORT" >/dev/null
    start_knot saturated-knot "$WORK/saturated-knot"; pid_of[knot]=$STARTED_PID
    wait_answer "${address_of[knot]}" bench.test. SOA "$SATURATED_PORT" >/dev/null
    # One unmeasured second each: pages in the zone and the query path, and shows whether AF_XDP
    # works here at all (no summary: no XDP socket; no reply: the frames never reached the server).
    for name in "${servers[@]}"; do
        output=$WORK/kxdpgun-warm-$name.txt
        run_kxdpgun "$output" 1 "${address_of[$name]}" || true
        if ! figures=$("$TOOL" kxdpgun-metrics --file "$output" --workload warm --server-name "$name" 2>&1); then
            skip_saturated "kxdpgun did not run (AF_XDP on lo needs a kernel with XDP sockets, CAP_NET_ADMIN and CAP_BPF): $figures"
            break
        fi
        replies=$(printf '%s\n' "$figures" | awk -F'\t' '$3 == "replies_per_second" { print $4 }')
        if [ "${replies:-0}" = 0 ]; then
            skip_saturated "kxdpgun sent, but $name answered nothing (the frames did not reach it: lo's accept_local and route_localnet, or a firewall?)"
            break
        fi
    done
    if [ -z "$SATURATED_SKIPPED" ]; then
        for repetition in $(seq "$REPETITIONS"); do
            log "saturated: repetition $repetition of $REPETITIONS"
            # The first server moves by one each repetition, as in `throughput`.
            for turn in $(seq 0 $(( ${#servers[@]} - 1 ))); do
                name=${servers[$(( (repetition - 1 + turn) % ${#servers[@]} ))]}
                log "saturated: $name, ${DURATION}s at $SATURATED_QPS qps offered"
                saturated_run "$name" "${address_of[$name]}" "${pid_of[$name]}"
            done
        done
        for name in "${servers[@]}"; do
            # One worker each: one UDP socket on its address.
            record saturated "$name" udp_sockets \
                "$(ss -Hlun "src ${address_of[$name]} and sport = :$SATURATED_PORT" | grep -c .)"
        done
    fi
    for entry in "${servers[@]}"; do stop "${pid_of[$entry]}"; done
    restore_loopback
}

# ---------------------------------------------------------------- 2. resolver cache hits
workload_resolver() {
    local upstream=127.80.0.20 ours=127.80.0.21 unbound=127.80.0.22 kresd=127.80.0.23
    mkdir -p "$WORK/cache-nsd" "$WORK/cache-unbound" "$WORK/cache-kresd"
    write_nsd_config "$WORK/cache-nsd" "$upstream" "$PORT" "bench.test.=$ZONE/bench.test.zone"
    write_unbound_config "$WORK/cache-unbound" "$unbound" "$PORT" \
        "stub-zone:" "  name: \"bench.test.\"" "  stub-addr: $upstream@$PORT"
    # FORWARD, not STUB: kresd 5.6 keeps a STUB answer as a whole packet for 5 s (its minimum TTL),
    # so a run would measure NSD; FORWARD caches the RRsets for their TTL, as ours and Unbound do.
    write_kresd_config "$WORK/cache-kresd" "$kresd" "$PORT" \
        "policy.add(policy.suffix(policy.FORWARD({'$upstream@$PORT'}), {todname('bench.test.')}))"
    start_nsd cache-nsd "$WORK/cache-nsd"; local nsd_pid=$STARTED_PID
    wait_answer "$upstream" bench.test. >/dev/null
    # The shared authoritative server gets the client core: it is the resolvers we measure.
    taskset -p -a -c "$CLIENT_CORE" "$nsd_pid" >/dev/null
    start_ours_resolver cache-ours "$ours" --forward "$upstream:$PORT" --cache-size 1000000
    local ours_pid=$STARTED_PID
    start_unbound cache-unbound "$WORK/cache-unbound"; local unbound_pid=$STARTED_PID
    start_kresd cache-kresd "$WORK/cache-kresd"; local kresd_pid=$STARTED_PID
    wait_port "$ours" "$PORT"; wait_port "$unbound" "$PORT"; wait_port "$kresd" "$PORT"
    local queries=$ZONE/queries-resolver.txt
    for pair in "ours $ours" "unbound $unbound" "kresd $kresd"; do
        set -- $pair
        log "resolver cache: warming $1 with one pass of the query list"
        taskset -c "$CLIENT_CORE" dnsperf -s "$2" -p "$PORT" -d "$queries" -n 1 -q 50 >"$WORK/warm-$1.txt" 2>&1 || true
    done
    for repetition in $(seq "$REPETITIONS"); do
        log "resolver cache hits, repetition $repetition of $REPETITIONS"
        throughput resolver-cache-hits "$queries" "" "$repetition" \
            "ours=$ours" "unbound=$unbound" "kresd=$kresd"
        latency_sliced "resolver-cache-hits-latency-at-${LATENCY_QPS}qps" "$queries" "" \
            "ours=$ours" "unbound=$unbound" "kresd=$kresd"
    done
    stop "$ours_pid"; stop "$unbound_pid"; stop "$kresd_pid"; stop "$nsd_pid"
}

# ---------------------------------------------------------------- 3. cold walks
workload_cold() {
    local lab=$WORK/lab ours=127.80.0.31 unbound=127.80.0.32 kresd=127.80.0.33
    "$TOOL" generate-lab --directory "$lab" --domains 200 --second-octet 81
    mkdir -p "$WORK/cold-unbound" "$WORK/cold-kresd"
    write_unbound_config "$WORK/cold-unbound" "$unbound" "$PORT" "  root-hints: \"$lab/root.hints\""
    # ALLOW_LOCAL: kresd drops glue in 127.0.0.0/8 unless told, as Unbound needs do-not-query-localhost: no.
    write_kresd_config "$WORK/cold-kresd" "$kresd" "$PORT" \
        "modules.load('hints > iterate')" "hints.root_file('$lab/root.hints')" \
        "policy.add(policy.all(policy.FLAGS({'ALLOW_LOCAL'})))"
    # The lab is on port 53: Unbound iterates to port 53 only. One NSD per lab address, holding
    # only the zones that address serves (`zones.list`: origin, file, address): one NSD holding
    # every zone would answer any name authoritatively at the root's address, and neither
    # resolver would ever see a referral. All on the client core, so the resolver under test has
    # core 0 to itself.
    local lab_pids=() lab_dirs=() ready=() address
    while read -r address; do
        local served=() dir="$WORK/lab-nsd-$address" origin file server
        while read -r origin file server; do
            [ "$server" = "$address" ] && served+=("$origin=$lab/$file")
        done <"$lab/zones.list"
        [ ${#served[@]} -gt 0 ] || continue
        mkdir -p "$dir"
        write_nsd_config "$dir" "$address" 53 "${served[@]}"
        start "lab-nsd-$address" nsd -d -c "$dir/nsd.conf"
        lab_pids+=("$STARTED_PID")
        lab_dirs+=("$dir")
        ready+=("$STARTED_PID $address ${served[0]%%=*}")
    done <"$lab/addresses.list"
    local entry
    for entry in "${ready[@]}"; do
        set -- $entry
        taskset -p -a -c "$CLIENT_CORE" "$1" >/dev/null
        "$TOOL" wait-ready --server "$2:53" --name "$3" --type SOA --timeout-seconds 60 \
            --started-at "$(date +%s.%N)" --pid "$1" >/dev/null
    done
    # lab_queries: queries answered by the whole lab since the last call (`stats` resets).
    lab_queries() {
        local total=0 dir count
        for dir in "${lab_dirs[@]}"; do
            count=$(nsd-control -c "$dir/nsd.conf" stats | awk -F= '$1 == "num.queries" { print $2 }')
            total=$((total + ${count:-0}))
        done
        echo "$total"
    }
    local names=$lab/names.txt count
    count=$(grep -c . "$names")
    for repetition in $(seq "$REPETITIONS"); do
        for server in ours unbound kresd; do
            log "cold walk: $server, $count names, repetition $repetition of $REPETITIONS"
            # Counting starts before the resolver does: priming queries count too.
            lab_queries >/dev/null
            if [ "$server" = ours ]; then
                # --no-ip6 where the daemon has it: Unbound runs do-ip6: no (the lab is IPv4 only).
                start_ours_resolver cold-ours "$ours" --root-hints "$lab/root.hints" --upstream-port 53 \
                    $NO_IP6
                local address=$ours
            elif [ "$server" = unbound ]; then
                start_unbound cold-unbound "$WORK/cold-unbound"
                local address=$unbound
            else
                # kresd's cache is a file: it outlives the process, so each walk starts without it.
                rm -rf "$WORK/cold-kresd/cache"
                start_kresd cold-kresd "$WORK/cold-kresd"
                local address=$kresd
            fi
            local pid=$STARTED_PID
            wait_port "$address" "$PORT"
            local cpu_before
            cpu_before=$(cpu_ns "$pid")
            taskset -c "$CLIENT_CORE" "$TOOL" walk --server "$address:$PORT" --names "$names" \
                --workload cold-walk --server-name "$server" >>"$MEASUREMENTS" 2>>"$WORK/walk-$server.log"
            # CPU time tells the resolver's own work apart from waiting (wake-ups, the lab's answers).
            record cold-walk "$server" cpu_us_per_name \
                "$(awk -v a="$cpu_before" -v b="$(cpu_ns "$pid")" -v n="$count" 'BEGIN { print (b - a) / 1000 / n }')"
            local queries
            queries=$(lab_queries)
            record cold-walk "$server" upstream_queries_per_name "$(awk -v q="$queries" -v n="$count" 'BEGIN { print q / n }')"
            stop "$pid"
        done
    done
    local lab_pid
    for lab_pid in "${lab_pids[@]}"; do stop "$lab_pid"; done
}

# ---------------------------------------------------------------- 4. memory
workload_memory_cache() {
    local upstream=127.80.0.40 ours=127.80.0.41 unbound=127.80.0.42 big=$WORK/cache-zone
    mkdir -p "$big" "$WORK/memory-nsd" "$WORK/memory-unbound"
    # 130,011 records in the generator's proportions (11 fixed ones, then 10 A : 1 MX : 1 CNAME :
    # 1 AAAA) hold exactly 100,000 A names.
    "$TOOL" generate-zone --records 130011 --yaml "$big/bench.test.yaml" --master "$big/bench.test.zone"
    "$TOOL" generate-queries --records 130011 --mix distinct-a --output "$big/names.txt"
    local count
    count=$(grep -c . "$big/names.txt")
    write_nsd_config "$WORK/memory-nsd" "$upstream" "$PORT" "bench.test.=$big/bench.test.zone"
    write_unbound_config "$WORK/memory-unbound" "$unbound" "$PORT" \
        "stub-zone:" "  name: \"bench.test.\"" "  stub-addr: $upstream@$PORT"
    start_nsd memory-nsd "$WORK/memory-nsd"; local nsd_pid=$STARTED_PID
    wait_answer "$upstream" bench.test. >/dev/null
    taskset -p -a -c "$CLIENT_CORE" "$nsd_pid" >/dev/null
    for repetition in $(seq "$REPETITIONS"); do
        for server in ours unbound; do
            log "memory: $server caching $count names, repetition $repetition of $REPETITIONS"
            if [ "$server" = ours ]; then
                start_ours_resolver memory-ours "$ours" --forward "$upstream:$PORT" --cache-size 1000000
                local address=$ours
            else
                start_unbound memory-unbound "$WORK/memory-unbound"
                local address=$unbound
            fi
            local pid=$STARTED_PID
            wait_port "$address" "$PORT"
            local before after peak
            before=$(kibibytes "$pid" VmRSS)
            taskset -c "$CLIENT_CORE" dnsperf -s "$address" -p "$PORT" -d "$big/names.txt" -n 1 -q 50 \
                >"$WORK/memory-dnsperf-$server.txt" 2>&1 || true
            after=$(kibibytes "$pid" VmRSS)
            peak=$(tree_peak "$pid")
            local completed
            completed=$(awk '/Queries completed:/ { print $3 }' "$WORK/memory-dnsperf-$server.txt")
            record memory-cache-100k "$server" bytes_per_cached_name \
                "$(awk -v a="$after" -v b="$before" -v n="${completed:-$count}" 'BEGIN { print (a - b) * 1024 / n }')"
            record memory-cache-100k "$server" peak_rss_mib "$(awk -v p="$peak" 'BEGIN { print p / 1024 }')"
            record memory-cache-100k "$server" completed_queries "${completed:-0}"
            stop "$pid"
        done
    done
    stop "$nsd_pid"
}

# wait_value ADDR NAME VALUE: until NAME A answers VALUE (polled with dig, 20 ms apart, for at most
# 900 s); prints the seconds since CHANGED_AT.
wait_value() {
    local deadline=$(( $(date +%s) + 900 ))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        if [ "$(dig +short +time=1 +tries=1 @"$1" -p "$PORT" "$2" A 2>/dev/null)" = "$3" ]; then
            awk -v start="$CHANGED_AT" -v now="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", now - start }'
            return 0
        fi
        sleep 0.02
    done
    return 1
}

# change_one_record DIR VALUE SERIAL: host1's address becomes VALUE in both files, and the master
# file's serial becomes SERIAL (NSD and Knot serve a reloaded zone only with a newer serial).
change_one_record() {
    sed -i -e "s/^'host1': {type: A, value: [0-9.]*}/'host1': {type: A, value: $2}/" "$1/bench.test.yaml"
    sed -i -e "s/^host1 IN A .*/host1 IN A $2/" \
        -e "s/^@ IN SOA \(.*\) [0-9]* \([0-9]* [0-9]* [0-9]* [0-9]*\)$/@ IN SOA \1 $3 \2/" "$1/bench.test.zone"
}

# reload_server SERVER PID DIR: ask the server to re-read its zone files, as an operator would.
reload_server() {
    case $1 in
        ours) kill -HUP "$2" ;;
        nsd) nsd-control -c "$3/nsd.conf" reload >/dev/null ;;
        knot) knotc -c "$3/knot.conf" zone-reload >/dev/null ;;
    esac
}

# workload_memory_zone: each server loads the ZONE_RECORDS-record zone (start to first answer, peak
# RSS), then one record is changed and the server reloads (reload to the changed answer). With
# BIG_ZONE_RECORDS set (e.g. 10000000), a second zone of that size is measured the same way (load
# only: its reload is a whole load again for NSD and Knot); ZONE_RECORDS=0 skips the first zone.
# Ours gets --zone-max-memory when ZONE_MAX_MEMORY is set.
workload_memory_zone() {
    [ "${ZONE_RECORDS:-1000000}" = 0 ] || memory_zone_run "${ZONE_RECORDS:-1000000}" reload
    [ -n "${BIG_ZONE_RECORDS:-}" ] && memory_zone_run "$BIG_ZONE_RECORDS" load-only
    return 0
}

# memory_zone_run RECORDS reload|load-only
memory_zone_run() {
    local address=127.80.0.50 records=$1 mode=$2
    local big=$WORK/zone-$records
    local ours_limit=()
    [ -n "${ZONE_MAX_MEMORY:-}" ] && ours_limit=(--zone-max-memory "$ZONE_MAX_MEMORY")
    mkdir -p "$big" "$big/nsd" "$big/knot"
    log "memory: generating a $records-record zone"
    "$TOOL" generate-zone --records "$records" --yaml "$big/bench.test.yaml" --master "$big/bench.test.zone"
    local pristine_yaml pristine_zone
    pristine_yaml=$(mktemp "$WORK/pristine-XXXXXX.yaml"); pristine_zone=$(mktemp "$WORK/pristine-XXXXXX.zone")
    cp "$big/bench.test.yaml" "$pristine_yaml"; cp "$big/bench.test.zone" "$pristine_zone"
    write_nsd_config "$big/nsd" "$address" "$PORT" "bench.test.=$big/bench.test.zone"
    write_knot_config "$big/knot" "$address" "$PORT" bench.test. "$big/bench.test.zone"
    for repetition in $(seq "$REPETITIONS"); do
        for server in ours nsd knot; do
            cp "$pristine_yaml" "$big/bench.test.yaml"; cp "$pristine_zone" "$big/bench.test.zone"
            log "memory: $server loading $records records, repetition $repetition of $REPETITIONS"
            case $server in
                ours) start "zone-$records-ours" env TOKIO_WORKER_THREADS=1 RUST_LOG=warn "$AUTHORITY" \
                          --listen "$address:$PORT" "${ours_limit[@]}" "bench.test.=$big/bench.test.yaml" ;;
                nsd) rm -f "$big/nsd/zone.list"; start_nsd "zone-$records-nsd" "$big/nsd" ;;
                knot) rm -rf "$big/knot/"*.mdb "$big/knot/journal" "$big/knot/timers"
                      start_knot "zone-$records-knot" "$big/knot" ;;
            esac
            local pid=$STARTED_PID seconds
            pss_watch_start "$pid"
            if ! seconds=$(wait_answer "$address" bench.test.); then
                pss_watch_stop >/dev/null
                log "memory: $server did not load the zone: $(tail -2 "$WORK/zone-$records-$server.log")"
                stop "$pid"; continue
            fi
            local peak
            peak=$(tree_peak "$pid")
            record "memory-zone-$records" "$server" load_seconds "$seconds"
            record "memory-zone-$records" "$server" peak_rss_mib "$(awk -v p="$peak" 'BEGIN { print p / 1024 }')"
            record "memory-zone-$records" "$server" peak_pss_mib "$(pss_watch_stop)"
            if [ "$mode" = reload ]; then
                # A new address each repetition, and a serial above the generated one.
                local value="10.99.$repetition.1"
                change_one_record "$big" "$value" "$(( 2026112501 + repetition ))"
                CHANGED_AT=$(date +%s.%N)
                pss_watch_start "$pid"
                reload_server "$server" "$pid" "$big/$server"
                if seconds=$(wait_value "$address" host1.bench.test. "$value"); then
                    record "memory-zone-$records" "$server" reload_one_change_seconds "$seconds"
                    peak=$(tree_peak "$pid")
                    record "memory-zone-$records" "$server" peak_rss_after_reload_mib "$(awk -v p="$peak" 'BEGIN { print p / 1024 }')"
                    # The old zone may still be held for a moment after the new answer (NSD's old
                    # server process exits after its successor starts): sample one second more.
                    sleep 1
                    record "memory-zone-$records" "$server" peak_pss_during_reload_mib "$(pss_watch_stop)"
                else
                    pss_watch_stop >/dev/null
                    log "memory: $server did not serve the changed record after a reload"
                fi
            fi
            stop "$pid"
        done
    done
    rm -f "$pristine_yaml" "$pristine_zone"
    [ "${KEEP:-0}" = 1 ] || rm -rf "$big"
}

# ---------------------------------------------------------------- run
set_halt_poll
wants auth && workload_authoritative
wants_only workers && workload_workers
wants_only saturated && workload_saturated
if wants resolver || wants cold || wants memory; then
    [ "$RESOLVER_READY" = 1 ] || log "our resolver daemon (--forward, --root-hints) is not built on this branch: resolver workloads measure nothing for ours"
fi
wants resolver && [ "$RESOLVER_READY" = 1 ] && workload_resolver
wants cold && [ "$RESOLVER_READY" = 1 ] && workload_cold
wants memory && [ "$RESOLVER_READY" = 1 ] && workload_memory_cache
{ wants memory || wants_only load; } && workload_memory_zone
wants signing && workload_signing

mkdir -p "$ROOT/bench/results"
STAMP=$(date -u +%Y-%m-%d-%H%M)
MODE="full: $REPETITIONS repetitions of ${DURATION}s"
[ "$QUICK" = 1 ] && MODE="quick smoke test: 1 repetition of 2s; not a measurement"
CPU=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
MEMORY=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet || echo ' (dirty)')
PEERS="$(nsd -v 2>&1 | head -1), $(knotd -V 2>&1 | head -1), Unbound $(unbound -V 2>&1 | awk '/^Version/ { print $2 }'), $(kresd --version 2>&1 | head -1), dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }')"
wants signing && PEERS="$PEERS, $(dnssec-signzone -V 2>&1 | head -1), $(ldns-signzone -v 2>&1 | head -1)"
PLACEMENT="Servers on core $SERVER_CORE with one worker; dnsperf (-T 1 -c $CLIENTS -q $OUTSTANDING) and the walk client on core $CLIENT_CORE"
# The saturated workload's lo settings (or why it measured nothing) go into the heading.
LOOPBACK_LINE=""
if wants_only saturated; then
    PEERS="$PEERS, kxdpgun $(kxdpgun -V 2>&1 | awk '{ print $NF }')"
    PLACEMENT="Servers on core $SERVER_CORE with one UDP worker (ours --workers 1, NSD server-count: 1, Knot udp-workers: 1), port $SATURATED_PORT; kxdpgun (one thread, AF_XDP on lo in generic mode, $SATURATED_QPS qps offered) on core $CLIENT_CORE"
    if [ -n "$SATURATED_SKIPPED" ]; then
        LOOPBACK_LINE=$'\n'"- Saturated workload SKIPPED, nothing measured: $SATURATED_SKIPPED"
    else
        LOOPBACK_LINE=$'\n'"- lo: $LOOPBACK_STATE"
    fi
fi
wants_only workers && PLACEMENT="Servers at 1 and 2 UDP workers (ours --workers N, NSD server-count: N with reuseport: yes, Knot udp-workers: N) and dnsperf (-T $WORKERS_THREADS -c $WORKERS_CLIENTS -q $OUTSTANDING) all sharing cores $WORKERS_CORES, nothing pinned apart; capacity = QPS / the server's own CPU time (all its threads and processes)"
HEADING="# Benchmark results $STAMP UTC

- Mode: $MODE; only: $ONLY
- Machine: $(nproc) cores, $CPU, $MEMORY, $(uname -sr)
- Commit: $COMMIT; ours: $AUTHORITY, $RESOLVER
- Peers: $PEERS
- vCPU idle: $HALT_POLL_STATE$LOOPBACK_LINE
- $PLACEMENT
- Each cell: median (min–max, n runs); ratio = ours median / peer median"
cp "$MEASUREMENTS" "$ROOT/bench/results/$STAMP.tsv"
"$TOOL" report --input "$MEASUREMENTS" --output "$ROOT/bench/results/$STAMP.md" --heading "$HEADING"
log "report: bench/results/$STAMP.md (raw figures: bench/results/$STAMP.tsv)"
