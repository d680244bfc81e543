#!/usr/bin/env bash
# bench/callgrind_validation.sh: instructions per cold name and per cache hit (plain and DO=1) of
# ours and Unbound, both validating the signed lab, counted by callgrind (a count, not a clock).
#
#   bench/callgrind_validation.sh [NAMES] [PASSES]   (default 300 cold names, 500 passes over
#   the 16 cache-hit names; root for port 53, valgrind, dnsperf, unbound. KEEP=1 keeps the
#   profiles for callgrind_annotate.)
#
# As bench/validation.sh, on its own block (127.86): `authority --lab` signs a copy of zones/lab and
# writes the trust anchor. Each resolver runs under callgrind; after a warm-up (one wildcard name,
# the 16 names plain and with DO) the counters are zeroed before each phase and dumped after it:
# NAMES new names under the signed wildcard (a walk, an answer and its NSEC proof to validate),
# then the 16 names PASSES times plain, then PASSES times with DO (RRSIGs in every answer).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NAMES=${1:-300}
PASSES=${2:-500}
RELEASE=${CARGO_TARGET_DIR:-$ROOT/target}/release
LAB_BLOCK=127.86
PORT=5300
OURS=127.86.250.1
UNBOUND=127.86.250.2
WORK=$(mktemp -d /tmp/callgrind-validation.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    if [ "${KEEP:-0}" = 1 ]; then echo "profiles kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

for tool in valgrind callgrind_control callgrind_annotate dnsperf unbound; do
    command -v "$tool" >/dev/null || { echo "callgrind_validation: $tool is missing" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "callgrind_validation: run as root (the lab serves on port 53)" >&2; exit 2; }
if [ "${NO_BUILD:-0}" != 1 ]; then
    cargo build --release --quiet -p authority -p resolver -p bench --manifest-path "$ROOT/Cargo.toml"
fi

wait_udp() { # address port
    for _ in $(seq 600); do
        ss -Hlun "src $1 and sport = :$2" | grep -q . && return 0
        sleep 0.1
    done
    echo "callgrind_validation: nothing listens on $1:$2" >&2
    exit 1
}

mkdir -p "$WORK/zones" "$WORK/unbound"
for file in "$ROOT"/zones/lab/*.yaml "$ROOT"/zones/lab/root.hints; do
    sed "s/127\.53\./$LAB_BLOCK./g" "$file" >"$WORK/zones/${file##*/}"
done
"$RELEASE/authority" --lab "$WORK/zones" --port 53 --run-dir "$WORK/run" >"$WORK/lab.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 600); do grep -q "lab ready:" "$WORK/lab.log" && break; sleep 0.1; done
ANCHOR=$(sed -n 's/.*lab trust anchor: //p' "$WORK/lab.log" | tail -n 1)
[ -s "$ANCHOR" ] || { echo "callgrind_validation: the lab named no trust anchor" >&2; exit 1; }

printf '%s.\n' example.test www.example.test mail.example.test end.example.test short.example.test \
    host.sub.example.test start.chain.test hop1.alias.lab hop2.corp.lab www.glueless.test \
    explicit.wild.test deep.nest.wild.test www.shop.test mx.mail.test panel.hosting.lab \
    www.insecure.test | sed 's/$/ A/' >"$WORK/hits"
for index in $(seq "$NAMES"); do echo "c$index.wild.test."; done >"$WORK/cold"

# shellcheck source=peer_configs.sh
. "$ROOT/bench/peer_configs.sh"
write_unbound_config "$WORK/unbound" "$UNBOUND" "$PORT" \
    "  module-config: \"validator iterator\"" \
    "  trust-anchor-file: \"$ANCHOR\"" \
    "  root-hints: \"$WORK/zones/root.hints\"" \
    "  aggressive-nsec: no"

# dump PID LABEL PHASE: writes the counters since the last zeroing, prints their total.
dump() {
    local pid=$1 label=$2 phase=$3 file
    callgrind_control -d "$phase" "$pid" >/dev/null
    for _ in $(seq 200); do
        file=$(ls "$WORK/$label.out".* 2>/dev/null | xargs -r grep -lx "desc: Trigger: dump $phase" 2>/dev/null | head -n 1)
        [ -n "$file" ] && break
        sleep 0.1
    done
    [ -n "$file" ] || { echo "callgrind_validation: no $phase dump from $label" >&2; exit 1; }
    sleep 0.3
    mv "$file" "$WORK/$label-$phase.callgrind"
    callgrind_annotate "$WORK/$label-$phase.callgrind" 2>/dev/null |
        awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'
}
hits() { # address passes [dnsperf args]
    local address=$1 passes=$2; shift 2
    dnsperf -s "$address" -p "$PORT" -d "$WORK/hits" -n "$passes" -q 20 -t 30 "$@" >"$WORK/dnsperf.txt" 2>&1
    grep -q "Queries completed: *$((16 * passes)) " "$WORK/dnsperf.txt" ||
        { echo "callgrind_validation: not every query answered: $(grep completed "$WORK/dnsperf.txt")" >&2; exit 1; }
}

count() { # label address -- command...
    local label=$1 address=$2 pid cold plain signed
    shift 3
    valgrind --tool=callgrind --callgrind-out-file="$WORK/$label.out.%p" "$@" >"$WORK/$label.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_udp "$address" "$PORT"
    "$RELEASE/benchtool" walk --server "$address:$PORT" --names <(echo warm.wild.test.) \
        --workload warm --server-name "$label" >/dev/null
    sed 's/ A$//' "$WORK/hits" >"$WORK/hit-names"
    "$RELEASE/benchtool" walk --server "$address:$PORT" --names "$WORK/hit-names" \
        --workload warm --server-name "$label" >/dev/null
    hits "$address" 1
    hits "$address" 1 -D
    dig +short @"$address" -p "$PORT" www.example.test A +dnssec | grep -q . ||
        { echo "callgrind_validation: $label does not answer" >&2; exit 1; }
    callgrind_control -z "$pid" >/dev/null
    "$RELEASE/benchtool" walk --server "$address:$PORT" --names "$WORK/cold" \
        --workload cold --server-name "$label" >/dev/null
    cold=$(dump "$pid" "$label" cold)
    callgrind_control -z "$pid" >/dev/null
    hits "$address" "$PASSES"
    plain=$(dump "$pid" "$label" hits)
    callgrind_control -z "$pid" >/dev/null
    hits "$address" "$PASSES" -D
    signed=$(dump "$pid" "$label" hits-do)
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local queries=$((16 * PASSES))
    echo "$label $((cold / NAMES)) $((plain / queries)) $((signed / queries))"
}

export TOKIO_WORKER_THREADS=1 RUST_LOG=warn
ours=$(count ours "$OURS" -- "$RELEASE/resolver" --listen "$OURS:$PORT" --allow-loopback-upstream \
    --root-hints "$WORK/zones/root.hints" --trust-anchor "$ANCHOR" --no-ip6 --cache-size 1000000)
unbound=$(count unbound "$UNBOUND" -- unbound -d -c "$WORK/unbound/unbound.conf")
echo "instructions (callgrind), both validating: $NAMES cold wildcard names, $((16 * PASSES)) cache hits per phase"
printf '%-28s %12s %12s %8s\n' phase ours unbound ratio
read -r _ ours_cold ours_plain ours_signed <<<"$ours"
read -r _ unbound_cold unbound_plain unbound_signed <<<"$unbound"
for row in "per cold name:$ours_cold:$unbound_cold" "per cache hit:$ours_plain:$unbound_plain" \
    "per cache hit, DO=1:$ours_signed:$unbound_signed"; do
    IFS=: read -r phase a b <<<"$row"
    printf '%-28s %12s %12s %8s\n' "$phase" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
done
