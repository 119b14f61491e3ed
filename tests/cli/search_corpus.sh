#!/usr/bin/env bash
# search_corpus.sh — assess-search on the bundled corpus: the must-show
# queries of the search engine issue, with exact sentences, order, exit codes.
. "$(dirname "$0")/lib/testlib.bash"

IDX="$T/idx"
"$IDX_BIN" --index "$IDX" "$SRC/corpus" >/dev/null 2>"$T/err"
expect_rc "index the bundled corpus" 0 $?
s() { "$SRCH_BIN" --index "$IDX" "$@"; }
texts() { s --json -n 1000 "$@" | jfield text; }

TEC='One of the areas was the further development of technology enabled care (TEC).'
TEC2='While many examples of TEC were provided, the local authority and staff have received training to ensure it is considered as part of assessments.'

# 1. the demo query: the definition first, then the sentence reached through the acronym
expect_eq "technology enabled care: two hits in order" "$TEC
$TEC2" "$(texts "technology enabled care")"
out=$(s "technology enabled care")
expect_eq "text output: first hit is the TEC sentence" "$TEC" "$(printf '%s\n' "$out" | sed -n 2p)"
expect_match "text output: header names Lincolnshire, statement, score, date" \
  '^Lincolnshire County Council · Learning, improvement and innovation · score 3 · 2023-11-17$' \
  "$(printf '%s\n' "$out" | sed -n 1p)"
expect_match "text output: path:line" \
  '^corpus/lincolnshire-county-council/learning-improvement-and-innovation.txt:[0-9]+$' \
  "$(printf '%s\n' "$out" | sed -n 3p)"
expect_match "text output names the acronym expansion used" '^\(TEC = technology enabled care\)$' "$out"

# 2. compounds
CO1='The local authority recognised co-production was an area of development for them.'
CO2="There was an increasing focus on this work and the local authority had developed a 'rainbow of coproduction' toolkit which had been used effectively in several projects, for example, with carers to develop the carers 'plan on a page'."
CO3='They worked with carers to recognise where services could improve or in coproduction with communities to redesign their Durham Locate service, which was ongoing at the time of our assessment.'
expected=$(printf '%s\n' "$CO1" "$CO2" "$CO3" | sort)
expect_eq "co-production finds the three sentences" "$expected" "$(texts co-production | sort)"
expect_eq "coproduction finds the same three" "$expected" "$(texts coproduction | sort)"
expect_eq "co production finds the same three" "$expected" "$(texts "co production" | sort)"

# 3. hoarding, SAR learning, Ombudsman
H1='The local authority was improving its response to hoarding as a challenging issue in the area through the development of the Breakthrough service.'
H2='Some specialist training was identified and delivered to support staff groups who needed it, such as for substance misuse, autism, and hoarding in the mental health teams.'
expect_eq "hoarding: exactly the two Durham sentences" "$(printf '%s\n' "$H1" "$H2" | sort)" "$(texts hoarding | sort)"
S1='There were clear systems to ensure that learning from complaints, Safeguarding Adults Reviews (SAR) and any internal audits were shared.'
S2='The shared learning from a SAR led to the development of the Team Around the Adult as teams took action to address the learning points.'
expect_eq "SAR learning: exactly the two Lincolnshire sentences" "$(printf '%s\n' "$S1" "$S2" | sort)" "$(texts "SAR learning" | sort)"
expect_match "Ombudsman finds the LGSCO sentence" '^Responses to the LGSCO were timely and compliant\.$' "$(texts Ombudsman)"

# 4. phrases, filters, prefixes, exit codes
expect_eq "\"Team Around the Adult\": one sentence" "$S2" "$(texts '"Team Around the Adult"')"
out=$(s "waiting lists" 2>/dev/null); rc=$?
expect_rc "waiting lists: exit 1" 1 $rc
expect_eq "waiting lists: prints nothing" "" "$out"
out=$(s '"direct payments"' 2>/dev/null); rc=$?
expect_rc "\"direct payments\": exit 1" 1 $rc
expect_eq "\"direct payments\": prints nothing" "" "$out"
s 'score:2 hoarding' >/dev/null 2>&1
expect_rc "score:2 hoarding: exit 1" 1 $?
expect_eq "council:durham score:3 hoarding: two" "2" "$(texts 'council:durham score:3 hoarding' | wc -l | tr -d ' ')"
expect_eq "--council durham --score 3 hoarding: the same two" "2" "$(texts --council durham --score 3 hoarding | wc -l | tr -d ' ')"
expect_eq "complaint*: six sentences" "6" "$(texts 'complaint*' | grep -ci complaint)"
expect_eq "complaint*: nothing else" "6" "$(texts 'complaint*' | wc -l | tr -d ' ')"

# 5. kind weighting and duplicate collapsing
out=$(s --json -n 1000 "continuous learning")
first_kind=$(printf '%s\n' "$out" | head -n 1 | jfield kind)
expect_eq "continuous learning: a finding ranks first" "finding" "$first_kind"
commit_rank=$(printf '%s\n' "$out" | grep -n '"kind":"commitment"' | head -n 1 | cut -d: -f1)
finding_rank=$(printf '%s\n' "$out" | grep -n '"council":"Durham County Council".*"kind":"finding"' | head -n 1 | cut -d: -f1)
if [ -n "$commit_rank" ] && [ -n "$finding_rank" ] && [ "$finding_rank" -lt "$commit_rank" ]; then
    ok "continuous learning: Durham findings above the commitment sentence"
else
    nok "continuous learning: Durham findings above the commitment sentence" "$out"
fi
out=$(s --json "equality of experience")
expect_eq "equality of experience: the shared commitment sentence once" "1" "$(printf '%s\n' "$out" | wc -l | tr -d ' ')"
expect_eq "equality of experience: in 2 reports" "2" "$(printf '%s\n' "$out" | jnum reports)"
expect_match "text output says it appears in 2 reports" 'in 2 reports' "$(s "equality of experience")"
expect_eq "--all lists both copies" "2" "$(s --all --json "equality of experience" | wc -l | tr -d ' ')"

# errors
out=$(s '(hoarding' 2>&1); rc=$?
expect_rc "syntax error: exit 2" 2 $rc
expect_match "syntax error: one line pointing at the problem" 'column' "$out"
out=$("$SRCH_BIN" --index "$T/none" hoarding 2>&1); rc=$?
expect_rc "missing index: exit 2" 2 $rc
expect_match "missing index: says how to build one" 'assess-index' "$out"
"$SRCH_BIN" --bogus x >/dev/null 2>&1
expect_rc "unknown option: exit 2" 2 $?
"$SRCH_BIN" --help | grep -q '^usage: assess-search'
expect_rc "--help: usage on stdout, exit 0" 0 $?
finish
