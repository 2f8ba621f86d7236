#!/usr/bin/env bash
# Instructions per operation, Huddle vs socketioxide, counted by callgrind: the
# noise-free companion of the criterion times (see benches/RESULTS.md).
#
#   benches/scripts/instructions.sh            # every operation, markdown table
#   benches/scripts/instructions.sh encode/chat_10k/huddle ...   # just these
#
# Builds the `count` bench (release profile), then runs each operation N times
# under `valgrind --tool=callgrind`, counting only the timed region.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=$(cargo bench -p huddle-benches --bench count --no-run --message-format=json 2>/dev/null |
    jq -r 'select(.reason == "compiler-artifact" and .target.name == "count") | .executable' | tail -1)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

count() { # name iterations -> instructions per call
    local file="$out/$(echo "$1" | tr / _)"
    valgrind --tool=callgrind --toggle-collect='count::measured*' \
        --callgrind-out-file="$file" "$bin" "$1" "$2" >/dev/null 2>&1
    local total
    total=$(awk '/^(summary|totals):/ { print $2; exit }' "$file")
    echo $((total / $2))
}

iterations() { # big inputs get fewer iterations: the count is per call anyway
    case "$1" in
    */chat_10k/* | */polling_50/*) echo 200 ;;
    *) echo 2000 ;;
    esac
}

if [ $# -gt 0 ]; then
    for name in "$@"; do echo "$name $(count "$name" "$(iterations "$name")")"; done
    exit 0
fi

echo "| operation | case | huddle (instr/op) | socketioxide (instr/op) | socketioxide / huddle |"
echo "| --- | --- | ---: | ---: | ---: |"
for direction in decode decode_validated decode_typed encode; do
    for case in small_event kilobyte_event chat_10k binary_event polling_50; do
        if [ "$case" = polling_50 ] && { [ "$direction" = decode_typed ] || [ "$direction" = decode_validated ]; }; then
            continue
        fi
        n=$(iterations "$case")
        ours=$(count "$direction/$case/huddle" "$n")
        theirs=$(count "$direction/$case/socketioxide" "$n")
        ratio=$(awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "%.2f", a / b }')
        echo "| $direction | $case | $ours | $theirs | ${ratio}x |"
    done
done
