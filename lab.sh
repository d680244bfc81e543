#!/usr/bin/env bash
# The lab: a miniature Internet on loopback, offline, and our resolver walking it from the root.
#
#   ./lab.sh            build, start `authority --lab zones/lab` and `resolver`, serve until Ctrl-C
#   ./lab.sh --check    the same, then run a few queries, print them, stop; exit 0 when all pass
#                       (LAB_SMOKE=1 ./lab.sh does the same; for CI)
#
# As root the lab servers use port 53 on their 127.53.x.y addresses and the resolver listens on
# 127.53.53.53:53. As another user the lab servers use port 5353, the resolver listens on
# 127.53.53.53:5300 and sends every upstream query to port 5353 (--upstream-port).
# LAB_PORT and RESOLVER_PORT override those ports; LAB_BLOCK=127.54 moves the lab from 127.53.x.y
# to 127.54.x.y (a copy of zones/lab, so two labs can run side by side); LAB_BINARIES=DIR uses
# binaries already built there instead of building. The logs are kept in lab-logs/ (or LAB_LOGS).
# Nothing outside 127.0.0.0/8 is touched.
set -euo pipefail

cd "$(dirname "$0")"

mode=serve
if [ "${LAB_SMOKE:-0}" = 1 ]; then
    mode=check
fi
for argument in "$@"; do
    case "$argument" in
        --check) mode=check ;;
        -h | --help)
            sed -n '2,14s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *)
            echo "lab.sh: unknown argument: $argument (try --help)" >&2
            exit 2
            ;;
    esac
done

lab_block=${LAB_BLOCK:-127.53}
if ! [[ $lab_block =~ ^127\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$ ]]; then
    echo "lab.sh: LAB_BLOCK=$lab_block: expected 127.N with N from 0 to 255 (e.g. LAB_BLOCK=127.54)" >&2
    exit 2
fi
resolver_address=$lab_block.53.53
if [ "$(id -u)" = 0 ]; then
    lab_port=${LAB_PORT:-53}
    resolver_port=${RESOLVER_PORT:-53}
else
    lab_port=${LAB_PORT:-5353}
    resolver_port=${RESOLVER_PORT:-5300}
fi

# Seconds to wait for a server's ready line; a ready server is seen at once.
ready_timeout=30

if [ -n "${LAB_BINARIES:-}" ]; then
    # Already built (e.g. by CI's test step): use them as they are.
    binaries=$LAB_BINARIES
else
    echo "lab.sh: building release binaries (cargo build --release -p authority -p resolver)"
    cargo build --release --quiet -p authority -p resolver
    binaries=${CARGO_TARGET_DIR:-target}/release
fi

work_directory=$(mktemp -d "${TMPDIR:-/tmp}/lab.XXXXXX")
# The logs outlive the lab (a user reads them after Ctrl-C); each run overwrites the last one's.
log_directory=${LAB_LOGS:-lab-logs}
mkdir -p "$log_directory"
log_directory=$(cd "$log_directory" && pwd)
authority_log=$log_directory/authority.log
resolver_log=$log_directory/resolver.log
: >"$authority_log"
: >"$resolver_log"

# The zones: zones/lab as it is, or a copy moved to another address block.
zone_directory=zones/lab
if [ "$lab_block" != 127.53 ]; then
    zone_directory=$work_directory/zones
    mkdir "$zone_directory"
    for file in zones/lab/*.yaml zones/lab/root.hints; do
        sed "s/127\.53\./$lab_block./g" "$file" >"$zone_directory/${file##*/}"
    done
fi
authority_pid=
resolver_pid=

stop() {
    local status=$?
    trap - EXIT INT TERM
    for pid in $resolver_pid $authority_pid; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $resolver_pid $authority_pid; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "$mode" = check ] && [ "$status" != 0 ]; then
        echo "--- authority log"; cat "$authority_log" 2>/dev/null || true
        echo "--- resolver log"; cat "$resolver_log" 2>/dev/null || true
    fi
    rm -rf "$work_directory"
    if [ "$mode" = serve ]; then
        echo "lab.sh: logs kept in $authority_log and $resolver_log" >&2
    fi
    exit "$status"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits until LOG has PATTERN (a ready line), or fails if PID died or time ran out.
wait_ready() {
    local name=$1 pid=$2 log=$3 pattern=$4 waited=0
    until grep -q "$pattern" "$log" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "lab.sh: $name exited before it was ready:" >&2
            cat "$log" >&2
            explain_taken_address "$log"
            exit 1
        fi
        if [ "$waited" -ge $((ready_timeout * 10)) ]; then
            echo "lab.sh: $name not ready after ${ready_timeout}s:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
}

# After a server failed to start: when its last line says an address is taken, say which and how
# to run this lab elsewhere (usually another lab, e.g. a second ./lab.sh, holds it).
explain_taken_address() {
    local taken
    taken=$(grep -o 'cannot listen on [^ ]*' "$1" | tail -n 1 | sed 's/cannot listen on //') || true
    if [ -n "$taken" ] && grep -q 'already in use' "$1"; then
        echo "lab.sh: $taken is taken (another lab? \`ss -lnup 'sport = :${taken##*:}'\` names the process)." >&2
        echo "lab.sh: stop it, or run this lab elsewhere: LAB_BLOCK=127.54 ./lab.sh (other addresses)" \
            "or LAB_PORT=5354 RESOLVER_PORT=5301 ./lab.sh (other ports)." >&2
    fi
}

# The lab signs its zones with keys it makes in the run directory (never in zones/lab) and writes
# the root's trust anchor there.
RUST_LOG=${RUST_LOG:-info} NO_COLOR=1 "$binaries/authority" --lab "$zone_directory" --port "$lab_port" \
    --run-dir "$work_directory/run" >"$authority_log" 2>&1 &
authority_pid=$!
# "lab ready:" follows the whole plan, logged once every address is bound.
wait_ready authority "$authority_pid" "$authority_log" "lab ready:"

resolver_arguments=(
    --listen "$resolver_address:$resolver_port"
    --root-hints "$zone_directory/root.hints"
    --allow-loopback-upstream
    --control "$work_directory/resolver.sock"
)
if [ "$lab_port" != 53 ]; then
    resolver_arguments+=(--upstream-port "$lab_port")
fi
# The trust anchor the lab names in its log; given to the resolver once it can validate.
trust_anchor=$(sed -n 's/.*lab trust anchor: //p' "$authority_log" | tail -n 1)
if [ -n "$trust_anchor" ] && "$binaries/resolver" --help 2>/dev/null | grep -q -- '--trust-anchor'; then
    resolver_arguments+=(--trust-anchor "$trust_anchor")
    validating=1
fi
RUST_LOG=${RUST_LOG:-info} NO_COLOR=1 "$binaries/resolver" "${resolver_arguments[@]}" \
    >"$resolver_log" 2>&1 &
resolver_pid=$!
wait_ready resolver "$resolver_pid" "$resolver_log" "ready: listening on"

port_option=
dig_port_option=
if [ "$resolver_port" != 53 ]; then
    port_option=" -p $resolver_port"
    dig_port_option=" -p $resolver_port"
fi

echo
echo "The lab is up. Its servers (address → zones):"
sed -n 's/.*lab plan: /  /p' "$authority_log"
echo
echo "Resolver: $resolver_address:$resolver_port, walking the lab from $zone_directory/root.hints."
echo "Query it:"
echo "  $binaries/rdig @$resolver_address$port_option www.example.test"
echo "  $binaries/rdig @$resolver_address$port_option start.chain.test        # CNAME chain across three zones"
echo "  $binaries/rdig @$resolver_address$port_option www.glueless.test       # glueless delegation"
echo "  $binaries/rdig @$resolver_address$port_option example.test MX"
echo "  $binaries/rdig @$resolver_address$port_option -x 127.53.0.1"
echo "  dig @$resolver_address$dig_port_option large.big.test TXT             # over 1232 bytes: TCP fallback"
trace_port_option=
if [ "$lab_port" != 53 ]; then
    trace_port_option=" -p $lab_port"
fi
echo "  $binaries/rdig$trace_port_option +trace +roots=$zone_directory/root.hints www.example.test  # walk it yourself"
echo "Statistics: $binaries/resolver --control $work_directory/resolver.sock stats"
if [ -n "$trust_anchor" ]; then
    echo "DNSSEC: the lab is signed; root trust anchor $trust_anchor (BIND syntax: ${trust_anchor%.ds}.conf)"
    echo "  $binaries/rdig +dnssec @$resolver_address$port_option www.example.test      # ad (secure)"
    echo "  $binaries/rdig +dnssec @$resolver_address$port_option www.insecure.test     # no ad (unsigned child)"
    echo "  $binaries/rdig +dnssec @$resolver_address$port_option www.bogus.test        # bogus: server failure (its DS matches no key)"
fi

if [ "$mode" = serve ]; then
    echo
    echo "Logs: $authority_log, $resolver_log (kept after the lab stops). Ctrl-C stops both."
    # Returns when either server exits (or on Ctrl-C through the trap).
    wait -n "$authority_pid" "$resolver_pid" || true
    echo "lab.sh: a server stopped; stopping the lab" >&2
    exit 1
fi

# --check: a few queries through the resolver, each compared with what the lab zones hold.
failures=0
query() {
    local name=$1 type=$2 expected=$3
    local answer
    answer=$("$binaries/rdig" "@$resolver_address" -p "$resolver_port" "$name" "$type" \
        +short +timeout=5 +tries=2 2>&1 | tr '\n' ' ' | sed 's/ *$//') || true
    if [ "$answer" = "$expected" ]; then
        printf '  ok    %-24s %-5s %s\n' "$name" "$type" "$answer"
    else
        printf '  FAIL  %-24s %-5s got [%s], expected [%s]\n' "$name" "$type" "$answer" "$expected"
        failures=$((failures + 1))
    fi
}
echo
echo "Checking answers through the resolver:"
query www.example.test A "example.test. 192.0.2.10"
query start.chain.test A "hop1.alias.lab. hop2.corp.lab. end.example.test. 192.0.2.99"
query www.glueless.test A "198.51.100.92"
query anything.wild.test A "203.0.113.80"
query host.sub.example.test TXT '"inside the sub-delegation"'
query 1.0.53.127.in-addr.arpa PTR "a.root-servers.lab."
if "$binaries/rdig" "@$resolver_address" -p "$resolver_port" missing.example.test A +timeout=5 +tries=2 \
    2>&1 | grep -q 'status: NXDOMAIN'; then
    printf '  ok    %-24s %-5s %s\n' missing.example.test A NXDOMAIN
else
    printf '  FAIL  %-24s %-5s %s\n' missing.example.test A "expected NXDOMAIN"
    failures=$((failures + 1))
fi
large_count=$("$binaries/rdig" "@$resolver_address" -p "$resolver_port" large.big.test TXT +short \
    +timeout=5 +tries=2 2>/dev/null | grep -c '^"record' || true)
if [ "$large_count" = 20 ]; then
    printf '  ok    %-24s %-5s %s\n' large.big.test TXT "20 records (over 1232 bytes, via TCP)"
else
    printf '  FAIL  %-24s %-5s %s records, expected 20\n' large.big.test TXT "$large_count"
    failures=$((failures + 1))
fi
# DNSSEC verdicts (when the resolver was given the lab's trust anchor): a signed zone's answer
# carries ad, the unsigned child's does not, the zone whose DS matches no key is SERVFAIL.
verdict() {
    local name=$1 expected=$2 header flags status got
    header=$("$binaries/rdig" "@$resolver_address" -p "$resolver_port" "$name" A +dnssec \
        +timeout=5 +tries=2 2>&1 | grep -E '^;; (->>HEADER<<-|flags:)' | tr '\n' ' ')
    status=$(printf '%s' "$header" | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
    flags=$(printf '%s' "$header" | sed -n 's/.*flags:\([^;]*\);.*/\1/p')
    case "$status:$flags" in
        NOERROR:*" ad"*) got=secure ;;
        NOERROR:*) got=insecure ;;
        SERVFAIL:*) got=bogus ;;
        *) got="status ${status:-none}" ;;
    esac
    if [ "$got" = "$expected" ]; then
        printf '  ok    %-24s %-5s %s\n' "$name" A "$got"
    else
        printf '  FAIL  %-24s %-5s got %s, expected %s\n' "$name" A "$got" "$expected"
        failures=$((failures + 1))
    fi
}
if [ "${validating:-0}" = 1 ]; then
    verdict www.example.test secure
    verdict anything.wild.test secure
    verdict www.insecure.test insecure
    verdict www.bogus.test bogus
fi
if [ "$failures" != 0 ]; then
    echo "lab.sh: $failures check(s) failed" >&2
    exit 1
fi
echo "lab.sh: all checks passed"
