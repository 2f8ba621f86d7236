#!/usr/bin/env bash
# Runs the codec benchmarks several times and prints the comparison table of
# benches/RESULTS.md: per case and direction, the median over runs of each
# side's median time, and the socketioxide/Huddle time ratio (computed within
# each run, where both sides ran side by side) as median [min-max].
#
#   benches/scripts/criterion-runs.sh [RUNS] [-- criterion args]   # default 3 runs
#   benches/scripts/criterion-runs.sh --table-only [RUNS]           # table of saved runs
#
# Each run is saved as the criterion baseline `run-<k>` in target/criterion.
# Criterion args after `--` go before the case filter (e.g. `-- --measurement-time 5`).
set -euo pipefail
cd "$(dirname "$0")/../.."

table_only=false
if [ "${1:-}" = --table-only ]; then
    table_only=true
    shift
fi
runs=${1:-3}
shift || true
[ "${1:-}" = -- ] && shift
extra=("$@")

# Each case runs in its own process: glibc malloc's state after one case changes
# the next one's times (binary_event encode after chat_10k: about 4x slower, on
# both sides at random; gone with a fresh process or with tcache disabled), and
# that would measure benchmark order, not codecs.
cases=(small_event kilobyte_event chat_10k binary_event polling_50)
if ! $table_only; then
    cargo bench -p huddle-benches --bench codec --no-run
    for k in $(seq 1 "$runs"); do
        for case in "${cases[@]}"; do
            echo "run $k/$runs: $case" >&2
            cargo bench -p huddle-benches --bench codec -- \
                --warm-up-time 1 --measurement-time 3 --noplot \
                --save-baseline "run-$k" "${extra[@]}" "/$case/" >/dev/null 2>&1
        done
    done
fi

for k in $(seq 1 "$runs"); do
    for dir in target/criterion/*/*/"run-$k"; do
        [ -f "$dir/estimates.json" ] || continue
        jq -c --argjson run "$k" -s \
            '{group: .[0].group_id, fn: .[0].function_id, bytes: (.[0].throughput.Bytes // 0),
              run: $run, ns: .[1].median.point_estimate}' \
            "$dir/benchmark.json" "$dir/estimates.json"
    done
done | jq -rs '
  def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                     else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def ns: if . >= 10000 then "\(. / 1000 * 100 | round / 100) µs" else "\(. * 10 | round / 10) ns" end;
  def mbs($bytes): if $bytes > 0 then "\($bytes / . * 1000 | round)" else "-" end;
  def r2: . * 100 | round / 100;
  def row($case; $dir; $ours; $theirs; $bytes):
    ([range(0; [$ours | length, ($theirs | length)] | min)] | map($theirs[.] / $ours[.])) as $ratios
    | ($ours | median) as $o | ($theirs | median) as $t
    | "| \($case) | \($dir) | \($o | ns) | \($o | mbs($bytes)) | \($t | ns) | \($t | mbs($bytes)) | **\($ratios | median | r2)x** [\($ratios | min | r2)-\($ratios | max | r2)] | \($ratios | length) |";
  ["small_event", "kilobyte_event", "chat_10k", "binary_event", "polling_50"] as $cases
  | ["decode", "decode_typed", "encode"] as $dirs
  | group_by(.group) | map({key: .[0].group, value: {bytes: .[0].bytes,
      fns: (group_by(.fn) | map({key: .[0].fn, value: (sort_by(.run) | map(.ns))}) | from_entries)}})
  | from_entries as $g
  | "| case | operation | Huddle | Huddle MB/s | socketioxide | socketioxide MB/s | socketioxide / Huddle [min-max] | runs |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ($cases[] as $c | $dirs[] as $d | $g["\($d)/\($c)"] // empty | . as $e
      | row($c; $d; $e.fns.huddle; $e.fns.socketioxide; $e.bytes),
        (if $e.fns.huddle_validated then
           row($c; "decode (validated)"; $e.fns.huddle_validated; $e.fns.socketioxide; $e.bytes)
         else empty end))'
