#!/bin/sh
# Runs every fuzz target for SECONDS each (CI: `fuzz/run.sh 30`); exits non-zero on the first
# crash, leaving the input in fuzz/artifacts/<target>/. Needs cargo-fuzz (`cargo install cargo-fuzz
# --locked`); RUSTC_BOOTSTRAP=1 lets the stable toolchain accept the -Z flags cargo-fuzz passes.
set -eu
seconds=${1:?usage: fuzz/run.sh SECONDS}
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
targets="authority_query yaml_zone yaml_flow_lines resolver_client_query resolver_scrub rpz_zone"

# Seeds: the example zones for the loader, a few well-formed queries for the handler (the first
# byte picks UDP (even) or TCP (odd)), so the fuzzer starts deep inside the parsers. The resolver
# targets' seeds (a query with an upstream reply template, replies to scrub) are in seeds/.
mkdir -p corpus/yaml_zone corpus/yaml_flow_lines corpus/authority_query corpus/resolver_client_query corpus/resolver_scrub corpus/rpz_zone
cp seeds/resolver_client_query/* corpus/resolver_client_query/
cp seeds/resolver_scrub/* corpus/resolver_scrub/
cp seeds/rpz_zone/* corpus/rpz_zone/
cp ../zones/examples/*.yaml corpus/yaml_zone/
cp ../zones/examples/*.yaml seeds/yaml_flow_lines/* corpus/yaml_flow_lines/
printf '\000\276\357\001\000\000\001\000\000\000\000\000\000\003www\007example\004test\000\000\001\000\001' \
    > corpus/authority_query/seed-www-a-udp
printf '\001\276\357\001\000\000\001\000\000\000\001\000\000\007example\004test\000\000\377\000\001\000\000\051\004\320\000\000\200\000\000\000' \
    > corpus/authority_query/seed-any-edns-tcp

cargo fuzz build --debug-assertions
for target in $targets; do
    echo "== fuzz $target for ${seconds}s"
    # -rss_limit_mb: an input that makes us allocate without bound is a finding, not an OOM kill.
    # -timeout: one input taking over 10 s is a hang (an unbounded loop).
    cargo fuzz run --debug-assertions "$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 -max_len=65537 -print_final_stats=1
done
