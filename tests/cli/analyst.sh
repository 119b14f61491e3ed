#!/usr/bin/env bash
# analyst.sh — the analyst's tool: context, counts, CSV, explain,
# suggestions, terminal safety, --list and --stats.
. "$(dirname "$0")/lib/testlib.bash"

IDX="$T/idx"
"$IDX_BIN" --index "$IDX" "$SRC/corpus" >/dev/null 2>&1
expect_rc "index the bundled corpus" 0 $?
s() { "$SRCH_BIN" --index "$IDX" "$@"; }

# 1. -C 1: the sentence before and after, never across a paragraph
out=$(s --json -C 1 hoarding)
l1=$(printf '%s\n' "$out" | grep -F 'improving its response to hoarding')
expect_match "-C 1: sentence before the first hoarding hit" '"before":\["Learning and development were shared across the sector through strong infrastructure arrangements such as the Supporting the Provider Market Team and Care Academy."\]' "$l1"
expect_match "-C 1: nothing after the last sentence of a paragraph" '"after":\[\]' "$l1"
l2=$(printf '%s\n' "$out" | grep -F 'hoarding in the mental health teams')
expect_match "-C 1: before the second hit" '"before":\["Staff received appropriate training and support to be able to carry out assessments in line with their job roles and in most cases had time to keep up to date with training."\]' "$l2"
expect_match "-C 1: after the second hit" "\"after\":\\[\"The local authority's review of their reablement service, for example, found a minimal specialist training offer.\"\\]" "$l2"
txt=$(s -C 1 hoarding)
expect_match "-C 1 text: context lines marked with |" '^\| Staff received appropriate training' "$txt"

# 2. --by council: exact counts equal to the listed hits
s --json -n 100000 learning > "$T/all.json"
for c in "Durham County Council" "Lincolnshire County Council"; do
    n=$(grep -cF "\"council\":\"$c\"" "$T/all.json")
    r=$(grep -F "\"council\":\"$c\"" "$T/all.json" | jfield path | sort -u | wc -l | tr -d ' ')
    line=$(s --by council --json learning | grep -F "\"council\":\"$c\"")
    expect_eq "--by council: $c sentences and reports" "{\"council\":\"$c\",\"sentences\":$n,\"reports\":$r}" "$line"
done
tab=$(s --by council learning)
expect_match "--by council table: header" '^council +sentences +reports$' "$tab"
expect_match "--by council table: a bar of #" 'Durham County Council +[0-9]+ +1 +#+$' "$tab"
expect_eq "--count equals the listed hits" "$(wc -l < "$T/all.json" | tr -d ' ') sentences in 2 reports" "$(s --count learning)"

# 3. CSV round trip, and a formula made inert
mkdir -p "$T/fx"
printf 'council\tstatement\tscore\ttext\n' > "$T/fx/fixture.tsv"
printf 'Testshire Council\t7\t2\t=HYPERLINK("http://x") is a formula about hoarding.\n' >> "$T/fx/fixture.tsv"
printf 'Testshire Council\t7\t2\tAn escape \033[31mred\033[0m about zebras.\n' >> "$T/fx/fixture.tsv"
"$IDX_BIN" --index "$T/fidx" "$T/fx" >/dev/null 2>&1
if command -v python3 >/dev/null; then
    s --csv -n 1000 complaints > "$T/c.csv"
    s --json -n 1000 complaints > "$T/c.json"
    python3 - "$T/c.csv" "$T/c.json" > "$T/rt" 2>&1 <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
objs = [json.loads(l) for l in open(sys.argv[2])]
assert len(rows) == len(objs) and rows, (len(rows), len(objs))
for r, o in zip(rows, objs):
    for k in ('council', 'statement_name', 'kind', 'text', 'path', 'section'):
        assert r[k] == (o[k] or ''), (k, r[k], o[k])
    for k in ('line', 'paragraph', 'sentence', 'statement', 'score', 'rank', 'reports'):
        assert int(r[k]) == o[k], (k, r[k], o[k])
    assert abs(float(r['weight']) - o['weight']) <= 1e-12 * o['weight']
print('ok', len(rows))
PY
    expect_match "--csv round-trips to the --json fields" '^ok [0-9]+' "$(cat "$T/rt")"
fi
cell=$("$SRCH_BIN" --index "$T/fidx" --csv hoarding | sed -n 2p)
expect_match "--csv: a formula cell made inert" "\"'=HYPERLINK\\(\"\"http://x\"\"\\) is a formula about hoarding\\.\"" "$cell"

# 4. --explain: the acronym expansion and contributions that sum to the score
ex=$(s --json --explain "SAR learning")
if command -v python3 >/dev/null; then
    printf '%s\n' "$ex" | python3 -c '
import json, sys
n = 0
for l in sys.stdin:
    o = json.loads(l); n += 1
    total = sum(e["weight"] for e in o["explain"]) * o["kind_weight"]
    assert abs(total - o["weight"]) <= 1e-9 * o["weight"], (total, o["weight"])
    assert any(e["term"] == "^sar" and e["via"] == "acronym" for e in o["explain"]), o["explain"]
print("ok", n)' > "$T/ex" 2>&1
    expect_eq "--explain: contributions sum to each weight, ^sar via acronym" "ok 2" "$(cat "$T/ex")"
fi
expect_match "--explain text names the expansion" 'SAR = Safeguarding Adults Reviews' "$(s --explain "SAR learning")"

# 5. suggestions
out=$(s hordings 2>&1); rc=$?
expect_rc "hordings: exit 1" 1 $rc
expect_match "hordings: suggests hoarding" 'did you mean: hoarding' "$out"
out=$(s --suggest=auto --json hordings 2>/dev/null); rc=$?
expect_rc "--suggest=auto: exit 0" 0 $rc
expect_eq "--suggest=auto: the two hoarding sentences" "2" "$(printf '%s\n' "$out" | grep -c hoarding)"
expect_match "coprodution suggests coproduction" 'did you mean: coproduction' "$(s coprodution 2>&1)"
expect_match "council:durhm suggests Durham" 'did you mean council:"Durham County Council"' "$(s council:durhm learning 2>&1)"

# 6. an ESC from the corpus never reaches the terminal raw
if command -v script >/dev/null; then
    script -qec "$SRCH_BIN --index $T/fidx --color=always zebras" /dev/null > "$T/tty" 2>&1
    if grep -q $'\033\[31mred' "$T/tty"; then nok "ESC from the corpus reached the terminal raw" "$(cat -v "$T/tty")"
    else ok "ESC from the corpus is not passed raw to a terminal"; fi
    expect_match "ESC shown as ^[" '\^\[\[31mred' "$(cat "$T/tty")"
    # long sentences wrap at word boundaries to the terminal width
    script -qec "stty cols 60; $SRCH_BIN --index $IDX hoarding" /dev/null > "$T/narrow" 2>&1
    long=$(sed 's/\x1b\[[0-9;]*m//g; s/\r//' "$T/narrow" | grep -v 'corpus/\|·' | awk 'length($0) > 60' | wc -l | tr -d ' ')
    expect_eq "on a 60-column terminal no sentence line is wider than 60" "0" "$long"
    expect_match "the wrapped sentence goes on to the next line" '^of the Breakthrough service\.' "$(sed 's/\x1b\[[0-9;]*m//g; s/\r//' "$T/narrow")"
fi
txt=$("$SRCH_BIN" --index "$T/fidx" zebras)
expect_nomatch "ESC not raw in plain output either" $'\033' "$txt"

# --list and --stats
expect_match "--list councils" 'Durham County Council +[0-9]+ +1' "$(s --list councils)"
expect_match "--list statements" '^9 Learning, improvement and innovation +69 +2$' "$(s --list statements)"
st=$(s --stats)
expect_match "--stats: sentences" '^sentences +69$' "$st"
expect_match "--stats: reports" '^reports +2 ' "$st"
finish
