# bench/signing.sh: the DNSSEC signing workload (`run.sh --only signing`, and part of a full run),
# sourced by run.sh, whose helpers (start, wait_answer, record, throughput...) it uses.
#
#   signing-N          full signing of an N-record zone (SIGN_RECORDS, default 1,000,000), ECDSAP256SHA256
#                      with one key signing everything, NSEC: `authority --print-signed` vs
#                      `dnssec-signzone` vs `ldns-signzone`, each reading its zone file and writing the
#                      signed one, pinned to the server core, one thread (dnssec-signzone -n 1)
#   signing-reload-N   our server: start (load + full sign) vs SIGHUP reload after one renamed name
#                      (the other signatures reused) vs the same reload of the zone unsigned
#   authoritative-udp-dnssec   workload 1's zone and queries with DO=1 (dnsperf -D): ours signing it
#                      vs NSD and Knot serving our printed signed zone (the same records and keys)

SIGN_ADDRESS=127.80.0.60
DNSSEC_OURS=127.80.0.61
DNSSEC_NSD=127.80.0.62
DNSSEC_KNOT=127.80.0.63

# opt_in_signing YAML KEYS: the generated zone asks to be signed (NSEC) with the keys in KEYS
# (relative to the file), on its apex SOA record, the place octoDNS keeps provider settings.
opt_in_signing() {
    local yaml=$1 keys=$2
    awk -v keys="$keys" '
        { print }
        !done && $0 == "  - type: SOA" { print "    octodns: {dnssec: {keys: " keys "}}"; done = 1 }
    ' "$yaml" >"$yaml.tmp"
    mv "$yaml.tmp" "$yaml"
    grep -q 'octodns: {dnssec' "$yaml" || { log "signing: no apex SOA in $yaml"; return 1; }
}

# timed_sign WORKLOAD SERVER COMMAND...: one signing run on the server core; records its CPU (user +
# system) and wall seconds. CPU time is the figure to compare: on a machine shared with other work
# the wall time holds the waits for the core (a 10,000-record dnssec-signzone took 34 s of wall
# time for 2.8 s of CPU while builds ran). The tool's own output goes to $WORK/sign-SERVER.out.
timed_sign() {
    local workload=$1 server=$2 times wall user system; shift 2
    times=$WORK/sign-$server.time
    if ! /usr/bin/time -o "$times" -f '%e %U %S' taskset -c "$SERVER_CORE" "$@" \
        >"$WORK/sign-$server.out" 2>"$WORK/sign-$server.err"; then
        log "signing: $server failed: $(tail -3 "$WORK/sign-$server.err")"
        return 0
    fi
    read -r wall user system <"$times"
    record "$workload" "$server" sign_cpu_seconds "$(awk -v u="$user" -v s="$system" 'BEGIN { print u + s }')"
    record "$workload" "$server" sign_seconds "$wall"
}

# rrsig_count FILE: RRSIG records in a master file written one record per line as `owner TTL class
# type` (ours writes RFC 3597 `TYPE46`).
rrsig_count() { awk '$4 == "RRSIG" || $4 == "TYPE46" { n++ } END { print n + 0 }' "$1"; }

# reload_after_renaming PID YAML SERIAL: renames the first `hostN` A record to `signing-probeSERIAL`
# (one name out, one in: the record count stays, so a zone at MAX_RECORDS_PER_ZONE still loads) and
# sets the SOA serial (a changed zone must change its serial, or the reload is refused), sends
# SIGHUP and waits for the new name's NOERROR answer; prints "wall-seconds cpu-seconds" from the
# signal (the server's CPU time over the reload: it serves no queries meanwhile, so that is the
# reload's cost).
reload_after_renaming() {
    local pid=$1 yaml=$2 serial=$3 wall cpu_before cpu_after
    sed -i -e "0,/serial: [0-9]*/s//serial: $serial/" \
        -e "0,/^'host[0-9]*': {type: A,/s//'signing-probe$serial': {type: A,/" "$yaml"
    cpu_before=$(tree_cpu_ns "$pid")
    STARTED_AT=$(date +%s.%N)
    STARTED_PID=$pid
    kill -HUP "$pid"
    wall=$(wait_answer "$SIGN_ADDRESS" "signing-probe$serial.bench.test." A) || return 1
    cpu_after=$(tree_cpu_ns "$pid")
    echo "$wall $(awk -v a="$cpu_before" -v b="$cpu_after" 'BEGIN { print (b - a) / 1e9 }')"
}

workload_signing() {
    local records=${SIGN_RECORDS:-1000000} dir=$WORK/signing
    local workload=signing-$records reload_workload=signing-reload-$records
    mkdir -p "$dir/keys" "$dir/bind" "$dir/ldns" "$dir/unsigned" "$dir/std"
    log "signing: generating a $records-record zone and the keys (ECDSAP256SHA256, one key each)"
    "$TOOL" generate-zone --records "$records" --yaml "$dir/bench.test.yaml" --master "$dir/bench.test.zone"
    cp "$dir/bench.test.yaml" "$dir/unsigned/bench.test.yaml"
    opt_in_signing "$dir/bench.test.yaml" keys
    "$AUTHORITY" keygen bench.test. --dir "$dir/keys" >/dev/null
    local bind_key ldns_key
    bind_key=$(cd "$dir/bind" && dnssec-keygen -q -K . -a ECDSAP256SHA256 -f KSK bench.test.)
    cat "$dir/bench.test.zone" "$dir/bind/$bind_key.key" >"$dir/bind/bench.test.zone"
    ldns_key=$(cd "$dir/ldns" && ldns-keygen -a ECDSAP256SHA256 -k bench.test.)

    local tools=(ours bind ldns) repetition turn tool
    for repetition in $(seq "$REPETITIONS"); do
        for turn in 0 1 2; do
            tool=${tools[$(( (repetition - 1 + turn) % 3 ))]}
            log "signing: $tool signs $records records, repetition $repetition of $REPETITIONS"
            case $tool in
                ours) timed_sign "$workload" ours "$AUTHORITY" --print-signed "bench.test.=$dir/bench.test.yaml"
                      cp "$WORK/sign-ours.out" "$dir/ours.signed" ;;
                # -z: the one key signs every RRset (a CSK); -n 1: one signing thread, as ours;
                # -O full: one record per line, as the others write; -d: its dsset file's directory.
                bind) timed_sign "$workload" dnssec-signzone dnssec-signzone -q -z -n 1 -O full \
                          -d "$dir/bind" -o bench.test. -f "$dir/bind.signed" \
                          "$dir/bind/bench.test.zone" "$dir/bind/$bind_key" ;;
                ldns) timed_sign "$workload" ldns-signzone ldns-signzone -o bench.test. \
                          -f "$dir/ldns.signed" "$dir/bench.test.zone" "$dir/ldns/$ldns_key" ;;
            esac
        done
    done
    # The same work done: as many signatures in each signed zone.
    [ -f "$dir/ours.signed" ] && record "$workload" ours rrsig_records "$(rrsig_count "$dir/ours.signed")"
    [ -f "$dir/bind.signed" ] && record "$workload" dnssec-signzone rrsig_records "$(rrsig_count "$dir/bind.signed")"
    [ -f "$dir/ldns.signed" ] && record "$workload" ldns-signzone rrsig_records "$(rrsig_count "$dir/ldns.signed")"
    rm -f "$dir/"*.signed "$WORK/sign-"*.out

    # Reload with one renamed name: the signed zone (start = full sign) and the unsigned one.
    local serial=2026112501 pid seconds variant yaml name measured
    for variant in signed unsigned; do
        yaml=$dir/bench.test.yaml
        [ "$variant" = unsigned ] && yaml=$dir/unsigned/bench.test.yaml
        start_ours_authority "sign-reload-$variant" "$SIGN_ADDRESS" "bench.test.=$yaml"; pid=$STARTED_PID
        if ! seconds=$(wait_answer "$SIGN_ADDRESS" bench.test.); then
            log "signing: ours did not load the $variant zone: $(tail -2 "$WORK/sign-reload-$variant.log")"
            stop "$pid"; continue
        fi
        if [ "$variant" = signed ]; then
            record "$reload_workload" ours-start-full-sign seconds "$seconds"
            record "$reload_workload" ours-start-full-sign cpu_seconds \
                "$(awk -v ns="$(tree_cpu_ns "$pid")" 'BEGIN { print ns / 1e9 }')"
            name=ours
        else
            name=ours-unsigned
        fi
        for repetition in $(seq "$REPETITIONS"); do
            serial=$(( serial + 1 ))
            log "signing: $variant reload after one renamed name, repetition $repetition of $REPETITIONS"
            if measured=$(reload_after_renaming "$pid" "$yaml" "$serial"); then
                record "$reload_workload" "$name" seconds "${measured% *}"
                record "$reload_workload" "$name" cpu_seconds "${measured#* }"
            fi
        done
        stop "$pid"
    done

    # DO=1 queries: workload 1's zone signed by ours at start, and as printed for NSD and Knot.
    cp "$ZONE/bench.test.yaml" "$dir/std/bench.test.yaml"
    opt_in_signing "$dir/std/bench.test.yaml" ../keys
    "$AUTHORITY" --print-signed "bench.test.=$dir/std/bench.test.yaml" >"$dir/std/bench.test.signed"
    mkdir -p "$WORK/dnssec-nsd" "$WORK/dnssec-knot"
    write_nsd_config "$WORK/dnssec-nsd" "$DNSSEC_NSD" "$PORT" "bench.test.=$dir/std/bench.test.signed"
    write_knot_config "$WORK/dnssec-knot" "$DNSSEC_KNOT" "$PORT" bench.test. "$dir/std/bench.test.signed"
    start_ours_authority dnssec-ours "$DNSSEC_OURS" "bench.test.=$dir/std/bench.test.yaml"; local ours_pid=$STARTED_PID
    wait_answer "$DNSSEC_OURS" bench.test. >/dev/null
    start_nsd dnssec-nsd "$WORK/dnssec-nsd"; local nsd_pid=$STARTED_PID
    wait_answer "$DNSSEC_NSD" bench.test. >/dev/null
    start_knot dnssec-knot "$WORK/dnssec-knot"; local knot_pid=$STARTED_PID
    wait_answer "$DNSSEC_KNOT" bench.test. >/dev/null
    local queries=$ZONE/queries-authoritative.txt address
    for address in $DNSSEC_OURS $DNSSEC_NSD $DNSSEC_KNOT; do
        taskset -c "$CLIENT_CORE" dnsperf -s "$address" -p "$PORT" -d "$queries" -D -l 1 >/dev/null 2>&1 || true
    done
    for repetition in $(seq "$REPETITIONS"); do
        log "authoritative udp with DO=1, repetition $repetition of $REPETITIONS"
        throughput authoritative-udp-dnssec "$queries" "-m udp -D" "$repetition" \
            "ours=$DNSSEC_OURS" "nsd=$DNSSEC_NSD" "knot=$DNSSEC_KNOT"
    done
    stop "$ours_pid"; stop "$nsd_pid"; stop "$knot_pid"
}
