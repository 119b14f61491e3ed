#!/usr/bin/env bash
# dump.sh — assess-index --dump on the bundled corpus and on bad input:
# the must-show sentences of the foundation issue, warnings, exit codes.
. "$(dirname "$0")/lib/testlib.bash"

cd "$SRC" || exit 2
out=$("$IDX_BIN" --dump corpus/ 2>"$T/err"); rc=$?
expect_rc "--dump corpus/: exit 0" 0 $rc
expect_eq "--dump corpus/: no warnings" "" "$(cat "$T/err")"

line=$(printf '%s\n' "$out" | grep -F '"text":"One of the areas was the further development of technology enabled care (TEC)."')
expect_match "TEC sentence: Lincolnshire" '"council":"Lincolnshire County Council"' "$line"
expect_match "TEC sentence: statement 9 and its name" '"statement":9,"statement_name":"Learning, improvement and innovation"' "$line"
expect_match "TEC sentence: theme 4, score 3" '"theme":4,"score":3,"score_label":"Evidence shows a good standard"' "$line"
expect_match "TEC sentence: dates" '"published":"2023-11-17","updated":"2023-11-20"' "$line"
expect_match "TEC sentence: finding" '"kind":"finding"' "$line"
expect_match "TEC sentence: path and line" '"path":"corpus/lincolnshire-county-council/learning-improvement-and-innovation.txt","line":25' "$line"
commit=$(printf '%s\n' "$out" | grep '"council":"Lincolnshire County Council"' | grep '"kind":"commitment"' | jfield text)
expect_eq "Lincolnshire commitment paragraph: three commitment sentences" \
"We focus on continuous learning, innovation and improvement across our organisation and the local system.
We encourage creative ways of delivering equality of experience, outcome and quality of life for people.
We actively contribute to safe, effective practice and research." "$commit"
expect_nomatch "no page chrome or score lines" '"text":"[^"]*(Downloads|Indicative score|Evidence shows a good standard)' "$out"

line=$(printf '%s\n' "$out" | grep -F '"text":"Local authority data showed that there were 118 complaints received between February 2023 and January 2024."')
expect_match "Durham complaints: council from the manifest" '"council":"Durham County Council"' "$line"
expect_match "Durham complaints: section" '"section":"Learning from feedback"' "$line"
expect_match "Durham complaints: finding, score 3" '"score":3,.*"kind":"finding"' "$line"
expect_match "Durham complaints: unknown dates are null" '"published":null,"updated":null' "$line"
line=$(printf '%s\n' "$out" | grep -F '"text":"Continuous learning, improvement and professional development"')
expect_match "Durham sub-heading is a heading" '"kind":"heading"' "$line"

# every line is valid JSON (python3 if present; else a structural check)
if command -v python3 >/dev/null; then
    printf '%s\n' "$out" | python3 -c 'import sys,json
for l in sys.stdin: json.loads(l)' 2>"$T/err"
    expect_rc "every dump line is valid JSON" 0 $?
fi

# bad input: warnings name the file, the rest is read, exit 1
mkdir -p "$T/bad"
cp corpus/durham-county-council/learning-improvement-and-innovation.txt "$T/bad/good.txt"
: > "$T/bad/empty.txt"
printf 'Lincolnshire County Council assessment\n\x00\x01binary' > "$T/bad/binary.txt"
out=$("$IDX_BIN" --dump "$T/bad" 2>"$T/err"); rc=$?
expect_rc "bad files: exit 1" 1 $rc
expect_match "empty file named in a warning" "^assess-index: .*empty\.txt: " "$(cat "$T/err")"
expect_match "binary file named in a warning" "^assess-index: .*binary\.txt: " "$(cat "$T/err")"
expect_match "the good file is still read" '118 complaints' "$out"
finish
