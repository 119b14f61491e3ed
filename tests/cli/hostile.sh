#!/usr/bin/env bash
# hostile.sh — hostile corpora and queries: a FIFO, a symbolic link loop and
# a 50 MB single-line file are warned about (once each) and the rest is
# indexed; a 100,000-character query and a one-letter prefix are bounded.
. "$(dirname "$0")/lib/testlib.bash"

C="$T/c"
mkdir -p "$C/sub"
cp "$SRC/corpus/durham-county-council/learning-improvement-and-innovation.txt" "$C/durham.txt"
printf 'path\tcouncil\nhuge.txt\tHugeshire Council\ndurham.txt\tDurham County Council\n' > "$C/MANIFEST.tsv"
mkfifo "$C/pipe.txt"
ln -s .. "$C/sub/loop"
{ printf 'Learning, improvement and innovation\n\nScore: 2\n\n'
  yes 'word' | head -c 50000000 | tr '\n' ' '; printf '\n'; } > "$C/huge.txt"

out=$(timeout 300 "$IDX_BIN" --index "$T/idx" "$C" 2>&1); rc=$?
expect_rc "hostile corpus: assess-index finishes with exit 1 (files warned about)" 1 $rc
expect_match "the FIFO is skipped with a warning" 'pipe\.txt: .*FIFO' "$out"
expect_match "the symlink loop is refused with a warning" 'loop: .*loop' "$out"
expect_match "the 50 MB line is split with one folded warning" 'huge\.txt: sentence over 8192 bytes at line 5 split \([0-9]+ times\)$' "$out"
expect_eq "each problem is one line" "3" "$(printf '%s\n' "$out" | wc -l | tr -d ' ')"
expect_eq "the rest is indexed" "2" "$("$SRCH_BIN" --index "$T/idx" --json hoarding | wc -l | tr -d ' ')"
expect_match "the huge file is indexed too" 'Hugeshire Council' "$("$SRCH_BIN" --index "$T/idx" --json -n 1 word)"

q=$(head -c 100000 /dev/zero | tr '\0' 'a')
out=$("$SRCH_BIN" --index "$T/idx" "$q" 2>&1); rc=$?
expect_rc "a 100,000-character query: exit 2" 2 $rc
expect_match "a 100,000-character query: says it is too long" 'query too long' "$out"
out=$("$SRCH_BIN" --index "$T/idx" --count 'a*' 2>&1); rc=$?
expect_rc "a* is answered" 0 $rc
finish
