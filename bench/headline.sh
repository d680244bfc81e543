#!/usr/bin/env bash
# Writes the README's benchmark headline: per workload, the table of the newest bench/results/*.md
# (by its date-time name) that ran it (a run with `--only auth` leaves the resolver's rows to an
# older full run), between the markers `<!-- bench-headline:start -->` and `<!-- bench-headline:end -->`
# of README.md. Per workload, the rows that say the most: queries per second and the capacity row
# (queries per second of server-core time), or for a fixed-rate latency workload the per-slice
# p99; for a workload with none of them, its first row. Run it after bench/run.sh; `--check` exits 1 when README.md is out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

readme=README.md
start='<!-- bench-headline:start -->'
end='<!-- bench-headline:end -->'

# Newest first: a workload's rows come from the first file that has it.
reports=$(ls bench/results/ | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{4}\.md$' | sort -r | sed 's#^#bench/results/#')
if [ -z "$reports" ]; then
    echo "headline.sh: no bench/results/YYYY-MM-DD-HHMM.md to read" >&2
    exit 1
fi
report=$(printf '%s\n' "$reports" | head -n 1)

# shellcheck disable=SC2086 # one file name a word: the names are YYYY-MM-DD-HHMM.md
table=$(awk '
    function flush_section() {
        if (section != "" && !skip && !printed && first != "") print_row(first)
    }
    function print_row(line,    cells, n, i, ratios, peer) {
        n = split(line, cells, /[ ]*\|[ ]*/)
        ratios = ""
        for (i = 1; i <= n; i++) {
            if (header[i] ~ /^ours\//) {
                peer = substr(header[i], 6)
                ratios = ratios (ratios == "" ? "" : ", ") peer " " cells[i]
            }
        }
        printf "| %s | %s | %s | %s |\n", section, cells[2], cells[4], ratios
        printed = 1
        if (!(source in used)) { used[source] = 1; sources[++nsources] = source; modes[source] = source_mode; commits[source] = source_commit }
    }
    FNR == 1 { flush_section(); section = "" }
    /^- Mode:/ { mode = substr($0, 9) }
    /^- Commit:/ { split($0, parts, /[:;] */); commit = parts[2] }
    /^### / {
        flush_section(); section = substr($0, 5); printed = 0; first = ""
        # A section is flushed when the next begins, possibly in the next file: remember its own.
        source = FILENAME; source_mode = mode; source_commit = commit
        skip = (section in shown); shown[section] = 1
        next
    }
    /^\| metric/ { split($0, header, /[ ]*\|[ ]*/); next }
    /^\|---/ { next }
    /^\| / && section != "" && !skip {
        if (first == "") first = $0
        # At a fixed rate (the latency workloads) the rate says nothing: only the p99 is shown.
        if (section ~ /latency/ ? $0 ~ /^\| p99 latency of each slice/ : $0 ~ /^\| (queries|replies) per second/) print_row($0)
    }
    END {
        flush_section()
        printf "\nFrom"
        for (i = 1; i <= nsources; i++) printf "%s `%s` (%s; commit %s)", (i == 1 ? "" : ";"), sources[i], modes[sources[i]], commits[sources[i]]
        printf ": each figure is the median of the run'"'"'s repetitions; a ratio is ours / the peer'"'"'s, so above 1 is better for rates and below 1 for latencies.\n"
    }
' $reports)

new_block=$(printf '%s\n\n| workload | metric | ours | ours / peer |\n|---|---|---|---|\n%s\n%s' "$start" "$table" "$end")

if ! grep -qF "$start" "$readme" || ! grep -qF "$end" "$readme"; then
    echo "headline.sh: $readme has no $start ... $end markers" >&2
    exit 1
fi
updated=$(awk -v start="$start" -v end="$end" -v block="$new_block" '
    $0 == start { print block; skipping = 1; next }
    $0 == end { skipping = 0; next }
    !skipping { print }
' "$readme")

if [ "${1:-}" = --check ]; then
    if [ "$updated" != "$(cat "$readme")" ]; then
        echo "headline.sh: $readme's headline is not that of the newest results (newest: $report); run bench/headline.sh" >&2
        exit 1
    fi
    exit 0
fi
printf '%s\n' "$updated" >"$readme"
echo "headline.sh: $readme headline written from the newest results (newest: $report)"
