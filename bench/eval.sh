#!/bin/sh
# eval.sh — the Vaswani (NPL) retrieval evaluation behind `make eval`:
# converts the collection to a .tsv findings corpus (header "id<TAB>text",
# one abstract a row), indexes it with assess-index, runs the 93 queries
# through `assess-search --batch` (any word may match, BM25, 1000 results,
# the id column as docid) and scores the run with treceval (trec_eval's
# rules, see common/treceval.h) against the published Terrier BM25 figure.
#
# Environment (set by bench/Makefile): BIN (assess-index, assess-search),
# TOOLS (treceval), VASWANI (docs.tsv, queries.tsv, qrels.txt), WORK (scratch
# directory), SEARCH_ARGS (extra assess-search options, e.g. "--k1 1.2
# --b 0.75"; empty = the shipped defaults).
set -eu

: "${BIN:?}" "${TOOLS:?}" "${VASWANI:?}" "${WORK:?}"
SEARCH_ARGS=${SEARCH_ARGS:-}

for f in docs.tsv queries.tsv qrels.txt; do
    if [ ! -f "$VASWANI/$f" ]; then
        echo "eval: $VASWANI/$f is missing (set VASWANI=DIR to the Vaswani collection)" >&2
        exit 2
    fi
done
for p in assess-index assess-search; do
    if [ ! -x "$BIN/$p" ]; then
        echo "eval: $BIN/$p is missing (build it with: make -C .. all)" >&2
        exit 2
    fi
done

rm -rf "$WORK"
mkdir -p "$WORK/corpus"

# docs.tsv is docid TAB title TAB text; the collection has no titles, but a
# title, when present, is kept in front of the text.  Tabs and line breaks
# cannot occur inside fields (the file is one record a line).
awk -F '\t' 'BEGIN { print "id\ttext" }
    { t = ($2 != "") ? $2 " " $3 : $3; if (t != "") print $1 "\t" t }' \
    "$VASWANI/docs.tsv" > "$WORK/corpus/vaswani.tsv"

"$BIN/assess-index" --index "$WORK/index" "$WORK/corpus"

# Queries are in capitals; lower-case them so that no word is read as an
# acronym or as the operators OR / NOT / AND (Terrier lower-cases too).
awk -F '\t' '{ print $1 "\t" tolower($2) }' "$VASWANI/queries.tsv" > "$WORK/queries.tsv"

# Exit status 1 (no hits for any query) is not an error here.
# shellcheck disable=SC2086
"$BIN/assess-search" --index "$WORK/index" --batch $SEARCH_ARGS \
    < "$WORK/queries.tsv" > "$WORK/run.txt" || [ $? -eq 1 ]

"$TOOLS/treceval" -c "$VASWANI/qrels.txt" "$WORK/run.txt" > "$WORK/eval-complete.txt"
"$TOOLS/treceval" "$VASWANI/qrels.txt" "$WORK/run.txt" > "$WORK/eval-trec.txt"

get() { awk -v m="$1" '$1 == m && $2 == "all" { print $3 }' "$2"; }
nq=$(get num_q "$WORK/eval-complete.txt")
missing=$(get num_q_missing "$WORK/eval-complete.txt")
map=$(get map "$WORK/eval-complete.txt")
p10=$(get P_10 "$WORK/eval-complete.txt")
ndcg=$(get ndcg_cut_10 "$WORK/eval-complete.txt")
map_t=$(get map "$WORK/eval-trec.txt")
docs=$(($(wc -l < "$WORK/corpus/vaswani.tsv") - 1))

echo "Vaswani (NPL): $docs documents, $nq queries with judgments ($missing without results)"
echo "assess-search ${SEARCH_ARGS:-(shipped defaults)}"
printf '  MAP      %s   (published Terrier BM25: 0.2965)\n' "$map"
printf '  P@10     %s\n' "$p10"
printf '  nDCG@10  %s\n' "$ndcg"
if [ "$missing" != 0 ]; then
    printf '  (MAP over the %s queries with results only, trec_eval default: %s)\n' \
        "$((nq - missing))" "$map_t"
fi
awk -v m="$map" 'BEGIN { if (m + 0 >= 0.2965) print "  target MAP >= 0.2965: met"; else print "  target MAP >= 0.2965: NOT met" }'
echo "run: $WORK/run.txt"
