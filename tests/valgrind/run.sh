#!/usr/bin/env bash
# run.sh — the CLI tests (tests/cli/*.sh) with both programs under valgrind
# memcheck: AS_BIN points at wrapper scripts that exec
#   valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
#            --errors-for-leak-kinds=definite <the real program>
# so a memory error or a definite leak makes the program exit 99 (which the
# test sees as a failure) and leaves a report in a per-process log.  The pass
# fails when any CLI test fails or any log is non-empty (valgrind runs with
# -q, so it writes only errors); the first reports are printed.
#
# Usage (from the repository root, after `make`):
#   bash tests/valgrind/run.sh [TEST.sh ...]
# Env: VG_BIN (directory with the programs, default bin/), VALGRIND_ALL=1
# to include the tests excluded below, VG_KEEP=1 to keep the logs.
#
# Excluded by default: lifecycle.sh.  It takes 90 s natively (20 incremental
# builds and 5 rebuilds while a search loop runs, two 24-file corpora
# of 1000 rows, kill -9 at ten moments of a rebuild, every index file flipped
# at three offsets with a --check and a search each) — an hour or more at
# memcheck's 20-50x slowdown — and its kill -9 timings and the concurrent
# lock test assume native speed.  The programs' code paths it drives (the
# incremental build, the lock, --check on damaged files) are covered here by
# dump.sh / analyst.sh / search_corpus.sh only in part; the damaged-index
# paths are covered by the fuzz_index target under ASan instead.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VG_BIN=${VG_BIN:-$ROOT/bin}
EXCLUDE=" lifecycle.sh "
[ "${VALGRIND_ALL:-0}" = 1 ] && EXCLUDE=" "

if ! command -v valgrind >/dev/null; then
    echo "valgrind-check: valgrind is not installed" >&2
    exit 2
fi
for p in assess-index assess-search; do
    if [ ! -x "$VG_BIN/$p" ]; then
        echo "valgrind-check: $VG_BIN/$p missing (run make first)" >&2
        exit 2
    fi
done

W=$(mktemp -d "${TMPDIR:-/tmp}/as-valgrind.XXXXXX")
LOGS="$W/logs"
mkdir -p "$W/bin" "$LOGS"
cleanup() { [ "${VG_KEEP:-0}" = 1 ] && echo "logs kept in $LOGS" || rm -rf "$W"; }
trap cleanup EXIT

# The programs are copied first, so that a rebuild in the tree during the
# run (minutes long) cannot swap them under the tests.
mkdir -p "$W/real"
for p in assess-index assess-search; do
    cp "$VG_BIN/$p" "$W/real/$p"
    cat > "$W/bin/$p" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck -q --error-exitcode=99 --leak-check=full \\
  --errors-for-leak-kinds=definite --show-leak-kinds=definite \\
  --log-file="$LOGS/$p.%p.log" "$W/real/$p" "\$@"
EOF
    chmod +x "$W/bin/$p"
done
# The Xapian plugin is looked for beside the program (common/xplugin.h).
cp "$VG_BIN/assess-xapian.so" "$W/real/" 2>/dev/null || true

if [ $# -gt 0 ]; then tests=("$@"); else tests=("$ROOT"/tests/cli/*.sh); fi
failed=0
for t in "${tests[@]}"; do
    name=$(basename "$t")
    if [ "${EXCLUDE#* $name }" != "$EXCLUDE" ]; then
        echo "== $name: skipped under valgrind (see tests/valgrind/run.sh)"
        continue
    fi
    start=$(date +%s)
    out=$(AS_BIN="$W/bin" AS_SRCDIR="$ROOT" bash "$t" 2>&1)
    rc=$?
    echo "== $name: $(printf '%s\n' "$out" | tail -n 1) ($(( $(date +%s) - start )) s)"
    if [ $rc -ne 0 ]; then
        printf '%s\n' "$out" | grep -A8 '^not ok' | head -n 60
        failed=1
    fi
done

runs=$(find "$LOGS" -name '*.log' | wc -l)
bad=$(find "$LOGS" -name '*.log' -size +0 | sort)
if [ -n "$bad" ]; then
    echo "valgrind reported errors in $(printf '%s\n' "$bad" | wc -l) of $runs runs:"
    for f in $(printf '%s\n' "$bad" | head -n 5); do echo "--- $f"; head -n 40 "$f"; done
    failed=1
fi
if [ $failed -ne 0 ]; then
    echo "valgrind-check: FAILED"
    exit 1
fi
echo "valgrind-check: $runs program runs under memcheck, no errors, no definite leaks"
