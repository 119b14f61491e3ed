#!/usr/bin/env bash
# run.sh — runs one fuzz target for a while (used by tests/fuzz/fuzz.mk).
#
#   bash tests/fuzz/run.sh TARGET SECONDS [fresh]
#
# The working corpus is build/fuzz/corpus/TARGET: with "fresh" it is
# replaced by a copy of the committed seeds (tests/fuzz/seeds/TARGET), else
# the seeds are merged into what earlier runs found.  A crashing input lands
# in build/fuzz/artifacts/TARGET-*; the whole log in build/fuzz/logs/
# TARGET.log.  Exit status: libFuzzer's (0 clean, non-zero on any crash,
# leak, timeout, out-of-memory or failed invariant).  Prints the final
# statistics: executions, coverage (cov: edges, ft: features), corpus.
set -u
t=$1 secs=$2 fresh=${3:-}
B=${FUZZ_BUILD:-build/fuzz}
case $t in
    # queries may be longer than the 4096-byte limit so that it is reached
    fuzz_query)   opts=(-max_len=5000 -dict=tests/fuzz/query.dict) ;;
    fuzz_reader)  opts=(-max_len=65536) ;;
    fuzz_analyze) opts=(-max_len=16384) ;;
    # ops are 5 bytes: up to 12 of them, at any length from the start
    fuzz_index)   opts=(-max_len=64 -len_control=0) ;;
    *) echo "run.sh: unknown target $t" >&2; exit 2 ;;
esac
mkdir -p "$B/corpus" "$B/artifacts" "$B/logs"
[ "$fresh" = fresh ] && rm -rf "${B:?}/corpus/$t"
mkdir -p "$B/corpus/$t"
cp tests/fuzz/seeds/"$t"/* "$B/corpus/$t/"
echo "== $t: $secs s"
# -timeout: a single input running 10 s is a hang; -rss_limit_mb: bounded
# memory is one of the limits under test.
"$B/$t" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${opts[@]}" \
    -max_total_time="$secs" -artifact_prefix="$B/artifacts/$t-" "$B/corpus/$t" \
    > "$B/logs/$t.log" 2>&1
rc=$?
grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units|^stat::peak_rss_mb' \
    "$B/logs/$t.log" | sed 's/^/   /'
if [ $rc -ne 0 ]; then
    grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)' "$B/logs/$t.log" | tail -n 60
    echo "$t: FAILED (exit $rc; log $B/logs/$t.log; input in $B/artifacts/)"
fi
exit $rc
