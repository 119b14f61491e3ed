#!/usr/bin/env bash
# make-seeds.sh — regenerates the committed seed corpora in tests/fuzz/seeds/
# from the bundled reports (corpus/), the reader's test fixtures
# (tests/fixtures/pages/) and a generation built by bin/assess-index.
# Run from the repository root after `make`; the output is committed, so
# this only needs running when the input formats change.  Each seed's first
# byte(s) follow the input layout documented at the top of its target.
set -eu
S=tests/fuzz/seeds
rm -rf "$S"
mkdir -p "$S/fuzz_reader" "$S/fuzz_analyze" "$S/fuzz_query" "$S/fuzz_index"

# --- fuzz_reader: byte 0 = shape (0 .txt, 1 .md, 2 .tsv) | 4 for a manifest row
shape() { case "$1" in *.md) echo 1;; *.tsv) echo 2;; *) echo 0;; esac; }
n=0
while IFS= read -r -d '' f; do
    b=$(shape "$f")
    name=$(printf '%s' "${f#tests/fixtures/pages/}" | tr '/ ' '__')
    { printf "\\x$(printf %02x "$b")"; cat "$f"; } > "$S/fuzz_reader/$name"
    n=$((n + 1))
done < <(find tests/fixtures/pages corpus -type f \( -name '*.txt' -o -name '*.md' -o -name '*.tsv' \) \
           ! -name MANIFEST.tsv -print0 | sort -z)
for f in corpus/*/*.txt; do
    c=$(basename "$(dirname "$f")")
    { printf '\x04'; cat "$f"; } > "$S/fuzz_reader/manifest-$c.txt"
    # the report as Markdown: headings marked with '#'
    { printf '\x01'; sed -E 's/^(Key findings|The local authority commitment|What people expect|Learning, improvement and innovation)/## \1/' "$f"; } \
        > "$S/fuzz_reader/markdown-$c.md"
done
{ printf '\x02'; cat tests/fixtures/expected/durham.tsv; } > "$S/fuzz_reader/expected-durham.tsv"

# --- fuzz_analyze: text; paragraphs of the reports, fixture pages, and the
# acronym table of a real generation (starts with "ASAC")
for f in corpus/*/*.txt; do
    c=$(basename "$(dirname "$f")")
    awk -v out="$S/fuzz_analyze/para-$c-" 'NF { n++; printf "%s", $0 > (out n) ; close(out n) }' "$f"
done
for f in abbreviations.txt invalid-utf8.txt noise.txt wrapped-crlf.txt findings.tsv; do
    cp "tests/fixtures/pages/$f" "$S/fuzz_analyze/fixture-$f"
done
printf 'co-production strengths-based North-East technology\xe2\x80\x91enabled 2022/23 68.42%% \xc2\xa31.5m 1,000' \
    > "$S/fuzz_analyze/compounds-numbers"
printf 'Deprivation of Liberty Safeguards (DoLS) and Local Government and Social Care Ombudsman (LGSCO); SARs, TEC.' \
    > "$S/fuzz_analyze/acronyms"
printf 'people\xe2\x80\x99s carers\x27 don\x27t Caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d' > "$S/fuzz_analyze/apostrophes"
G=$(mktemp -d "${TMPDIR:-/tmp}/mkseeds.XXXXXX")
trap 'rm -rf "$G"' EXIT
./bin/assess-index --index "$G/idx" corpus
meta="$G/idx/$(cat "$G/idx/CURRENT")/meta"
size=$(stat -c %s "$meta")
# meta: 32-byte header, u64 fields (MF_ACRO_LEN is field 30, the last),
# councils, the acronym table, a 4-byte crc: the table is just before the crc.
acro_len=$(od -An -tu8 -j $((32 + 30 * 8)) -N8 "$meta" | tr -d ' ')
dd if="$meta" of="$S/fuzz_analyze/acrotab-bundled" bs=1 skip=$((size - 4 - acro_len)) count="$acro_len" 2>/dev/null
head -c 4 "$S/fuzz_analyze/acrotab-bundled" | grep -q ASAC

# --- fuzz_query: byte 0 = switches (1 fixed lexicon, 2 index, 4 any,
# 8 literal, 16 max_expansion 3, 32 filter line first)
q() { printf "\\x$1%s" "$3" > "$S/fuzz_query/$2"; }
q 02 word hoarding
q 02 acronym 'SAR learning'
q 02 phrase '"Team Around the Adult"'
q 02 filters 'council:durham score:3 hoarding'
q 02 prefix 'complaint*'
q 12 prefix-capped 'c* s*'
q 02 compound 'co-production'
q 02 expansion 'Safeguarding Adults Reviews'
q 02 boolean '(care OR support) -hoarding NOT complaints'
q 02 ranges 'score:<=2 year:2023..2024 statement:"safe pathways" theme:3 kind:finding care'
q 01 fixed-lexicon 'TEC DoLS technology-enabled care'
q 00 no-lexicon 'learning "direct payments" OR advocacy'
q 06 any 'learning complaints audits'
q 0a literal 'What did the (SAR) say about well-led: "learning"?'
q 22 filter-line "$(printf 'durham\nlearning')"
q 62 filter-line-score "$(printf '<=2\ncare')"
q 02 unbalanced '(care OR'
q 02 curly "$(printf '\xe2\x80\x9ccare act\xe2\x80\x9d \xe2\x80\x93 support')"

# --- fuzz_index: byte 0 = file (0 meta 1 terms 2 postings 3 positions
# 4 docs 5 store) | 128 to repair checksums; then 5-byte ops
# {op, pos0, pos1, pos2, val} (0 xor 1 set 2 truncate 3 append 4 edge u32
# 5 copy)
ix() { printf "$2" > "$S/fuzz_index/$1"; }
files=(meta terms postings positions docs store)
for f in 0 1 2 3 4 5; do
    nm=${files[$f]}
    fx=$(printf '\\x%02x' $((128 + f)))
    rw=$(printf '\\x%02x' "$f")
    ix "$nm-untouched" "$rw"
    ix "$nm-raw-flip" "$rw\\x00\\x40\\x00\\x00\\x01"
    ix "$nm-raw-truncate" "$rw\\x02\\x00\\x10\\x00\\x00"
    ix "$nm-raw-extend" "$rw\\x03\\x00\\x00\\x00\\x07"
    ix "$nm-fixed-flip-early" "$fx\\x00\\x30\\x00\\x00\\x01"
    ix "$nm-fixed-flip-mid" "$fx\\x00\\x00\\x08\\x00\\x80"
    ix "$nm-fixed-edge" "$fx\\x04\\x48\\x00\\x00\\x0b"
    ix "$nm-fixed-truncate" "$fx\\x02\\x00\\x02\\x00\\x00"
    ix "$nm-fixed-extend" "$fx\\x03\\x00\\x00\\x00\\x20"
done
ls "$S"/* | wc -l
