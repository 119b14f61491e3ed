/*
 * format.h — The on-disk format of one native index generation, in prose,
 * and its constants.  Written by writer.c and its helpers (wint.h), read by
 * index.c, dict.c, postings.c and store.c (ixint.h).  All integers are
 * little-endian.
 *
 * A generation is a directory of six files:
 *
 *   meta       small; read whole and checked whole at open
 *   terms      the dictionary
 *   postings   docids and wdfs, block-compressed
 *   positions  word positions, block-compressed
 *   docs       per-sentence columns, units, files, duplicate groups
 *   store      sentence text, section and id, texts as token ids
 *
 * ---- Paged files (terms, postings, positions, docs, store) -------------
 *
 *   file   := header body crctab footer
 *   header := magic[4] u32 version u32 page_log2 u32 0 u64 body_len u64 0
 *   body   := body_len bytes (grammar per file below; offsets in the rest
 *             of this comment are relative to the body's first byte)
 *   crctab := u32 crc32 per page: page i is body[i<<page_log2, ...) (the
 *             last page may be short)
 *   footer := u32 crc32 of the 32 header bytes
 *
 * Why pages rather than one crc per file or per logical block: open must
 * cost ~1 ms whatever the index size, so big files cannot be checked at
 * open; and every structure a query navigates by (skip tables, dictionary
 * block index, columns, unit and file tables) must be checked before it is
 * trusted, not only the blocks it finally decodes.  A page is checked the
 * first time any byte of it is read (a bit per page records it, shared by
 * all threads), so a flipped byte anywhere a query reads gives AS_ECORRUPT
 * instead of a wrong answer, at a cost of 0.4% of the size (1 KiB pages) and
 * ~0.5 ns per byte on first touch.  The file size must be exactly
 * 32 + body_len + 4 * npages + 4 (a truncated file fails at open).
 *
 * ---- meta ---------------------------------------------------------------
 *
 *   meta   := header(page_log2 = 0) body footer
 *   body   := u64 field[MF_COUNT] councils acronyms
 *   footer := u32 crc32 of header and body
 *   councils := ncouncils x (name bytes, NUL), sorted by byte order
 *   acronyms := the corpus table: the union of every file's mined table,
 *               as as_acrotab_serialize() writes it (the curated table is
 *               added at open, so it follows the program, not the index)
 * The fields (enum mf below) hold versions, counts, BM25 statistics and the
 * offsets of the sections of the other files.  AS_FORMAT_VERSION or
 * AS_ANALYZER_VERSION different from the program's -> AS_EFORMAT.
 *
 * ---- terms (the dictionary) ---------------------------------------------
 *
 *   body   := dblock* zero-padding-to-8 bindex
 *   dblock := entry x min(AS_DICT_BLOCK, remaining terms)   front coding
 *   entry  := v shared v suffix_len suffix[suffix_len]
 *             v df  v cf-df  v max_wdf  v min_doclen  v post_len  v pos_len
 *             (v = LEB128 varint; shared == 0 for a block's first entry,
 *             so a block starts with its first term whole)
 *   bindex := nblocks x { u64 block_off u64 post_off u64 pos_off }
 * Terms are in byte order and their postings and positions lie in the same
 * order, so a term's post_off is its block's post_off plus the post_len of
 * the terms before it in the block.  A lookup binary-searches the block
 * index by each block's first term (in the mmap: nothing is loaded at open),
 * then scans at most AS_DICT_BLOCK entries.  Terms are 1..AS_TERM_BYTES
 * bytes.
 *
 * ---- postings -------------------------------------------------------------
 *
 * A term's postings are split into blocks of AS_BLOCK_SIZE docs (the last
 * block holds the rest); nblocks = ceil(df / AS_BLOCK_SIZE).
 *   plist  := skip? pblock x nblocks
 *   skip   := (only when nblocks > 1) nblocks x
 *             { u32 last_doc u32 doc_end u32 pos_end u16 max_wdf
 *               u16 min_doclen[4] }
 *             doc_end: end of the block's pblock, from the first pblock;
 *             pos_end: end of its posblock, from the term's pos_off;
 *             max_wdf saturates at 65535 (then the term's max_wdf is the
 *             bound); min_doclen[c]: the smallest doclen among the
 *             block's docs of wdf class c (wdf 1, 2, 3, and 4 or more),
 *             65535 when the class is empty or the length saturates (a
 *             lower bound either way)
 *   pblock := u8 gap_bits u8 wdf_bits packed(n, gap_bits, doc gap - 1)
 *             packed(n, wdf_bits, wdf - 1)
 *   packed(n, w, x) := n values of w bits (0..32), LSB first, padded to a
 *             byte: ceil(n * w / 8) bytes
 * The first gap of a block is from the previous block's last doc (the
 * first block's from -1), so a block decodes on its own given the skip
 * table, and a seek skips blocks by reading only skip entries.  A term in
 * every doc costs ~2 bytes per block.  Block-max pruning: BM25 rises with
 * wdf and falls with doclen for any k1, b, so the largest of f(1,
 * min_doclen[0]), f(2, min_doclen[1]), f(3, min_doclen[2]) and f(max_wdf,
 * min_doclen[3]) (over the classes the block has) bounds every score in
 * it, whatever the parameters.  Why classes: one pair (max_wdf, min_doclen)
 * mixes the longest wdf with the shortest sentence, two different docs; on
 * the bench corpus ("authority", 1M sentences) 1,365 of 3,572 blocks passed
 * such a bound against the final top-10 threshold, 18 pass the class
 * bound (exact block maxima: 10), for 6 bytes more per block.
 *
 * ---- high lists (impact tiers) ---------------------------------------------
 *
 * A term of df >= the writer's high_min_df (AS_HIGH_MIN_DF unless set,
 * as_writer_set_high_min_df) and more than one block has, right after its
 * last pblock and inside its post_len, a second list: those of its
 * postings that can score high.
 *   high   := v hdf  v L1  v L2  v L3  hskip? hblock x hnb
 *             hnb = ceil(hdf / AS_BLOCK_SIZE); hskip, hblock: as skip and
 *             pblock above, over these hdf postings (doc_end from the first
 *             hblock; pos_end is 0: no positions; a one-block list has no
 *             hskip and the term's max_wdf/min_doclen bound it)
 * The list holds exactly the postings with wdf >= 4, or wdf w <= 3 and
 * doclen <= Lw (0 <= Lw <= AS_HIGH_MAXLEN).  So every posting left out has
 * some wdf w <= 3 and doclen > Lw, and scores at most the largest
 * BM25(w, Lw + 1): a bound that holds for any k1, b and min_normlen,
 * computed at query time (engine_iter.c: impact tiers).  How the Lw are
 * chosen does not matter for correctness, only for speed: the cells (w,
 * doclen) are ranked by BM25 with AS_HIGH_K1, AS_HIGH_B (the shipped
 * parameters) and the generation's mean length, and taken in that order
 * while the postings in them and those of wdf >= 4 stay within df /
 * AS_HIGH_FRAC (so the list is about a sixteenth of the term's, unless its
 * wdf >= 4 postings alone are more); then each Lw runs on over the lengths
 * that hold no posting of wdf w, up to AS_HIGH_MAXLEN (the same list, a
 * tighter bound on what it leaves out).  A reader finds it where the last
 * skip entry's doc_end says the pblocks end; a term without one ends
 * there.  Why inside the term's bytes and not a pseudo-term: prefix
 * expansion, statistics and the Xapian export walk the dictionary and must
 * see only real terms, and the dictionary's format stays as it was.  Why:
 * a single common word or an AND of common words scores high only on few
 * docs, but every block of its list has one (a short sentence with the word
 * twice), so block-max bounds prune little; the high list is walked
 * instead, or its union with the other words' high lists drives the AND.
 * Cost on the bench corpus (1M sentences): postings 26.6 -> 28.9 MB.
 *
 * ---- positions ------------------------------------------------------------
 *
 *   poslist  := posblock x nblocks      (same blocks as the postings)
 *   posblock := u8 bits packed(P, bits, value)
 * P = the sum of the block's wdfs; per doc, in doc order: its first
 * position, then the gap to each next one (>= 0: a term may repeat at a
 * position).  bits == 0 only when P <= AS_POS_ZERO_MAX (bounds what a
 * damaged block can make a reader allocate).
 *
 * ---- docs -----------------------------------------------------------------
 *
 * Sections, each at an offset named in meta, 8-byte aligned (but groups and
 * members, which follow dupmap directly, 4-byte aligned):
 *   doclen  ndocs x u16   doclen, 0xffff = look up in overflow
 *   kind    ndocs x u8    as_kind (low 2 bits; the rest 0)
 *   hash    ndocs x u32   crc32 of the text (duplicate groups when copying)
 *   over    nover x { u32 doc u32 doclen }        ascending doc
 *   units   nunits x as_unit (28 bytes, the struct's own layout, so
 *           as_index_unit() returns a pointer into the mmap)
 *   files   nfiles x frec (48 bytes):
 *           { u64 size i64 mtime_ns u32 crc32 u32 first_doc u32 ndocs
 *             u32 path_len u32 display_len u32 acro_len u64 str_off }
 *           at str_off in the string pool: path NUL display NUL acro-bytes
 *           (the file's mined acronyms, as_acrotab_serialize())
 *   strings the string pool
 *   dupmap  ndupdocs x { u32 doc u32 group }       ascending doc
 *   groups  (ngroups + 1) x u32: group g's members are
 *           members[groups[g] .. groups[g+1])
 *   members ndupdocs x u32, ascending within a group
 * Groups are numbered in order of their first member.  Only groups of two or more identical texts are stored: most sentences are
 * unique and cost nothing here.
 *
 * ---- store ----------------------------------------------------------------
 *
 *   body   := sblock* zero-padding-to-8 vocab zero-padding-to-8 sindex
 *   sblock := v fields_len fields codes
 *   fields := per record: v text_len  v code_len  v section_code
 *             [section bytes]  v zigzag(line - previous line)
 *             v zigzag(paragraph - previous)  v sentence
 *             v id_shared  v id_len  [id_len id bytes]
 *             (section_code 0: the previous record's section, "" for the
 *             first; else section length + 1 and the bytes.  The id is the
 *             first id_shared bytes of the previous record's id, then the
 *             id_len bytes; "" = none.  "Previous" is 0 / "" for a block's
 *             first record.)
 *   codes  := per record, code_len bytes: its text as token ids (below)
 *   vocab  := u32 off[ntokens + 1]  bytes: token i is bytes[off[i],
 *             off[i + 1]), non-empty, all word bytes or all gap bytes
 *   sindex := nblocks x { u32 first_doc u32 ndocs u64 off u32 clen
 *                         u32 ulen }
 *             then one more entry: { u64 vocab_off u64 vocab_len
 *                                    u32 ntokens u32 0 }
 * ulen is the size of the block's raw form (storew.h): the same fields with
 * whole ids and without code_len, then the texts.
 *
 * Texts as token ids ("spaceless words", Moffat & Witten, Managing
 * Gigabytes): a text is cut into maximal runs of word bytes (ASCII letters
 * and digits, and every byte >= 0x80) and of gap bytes (the rest); a gap of
 * one space between two words is left out (the reader puts a space between
 * two words), every other run is a token of the vocab, coded as
 *   b0 < 0xc0                 id b0
 *   0xc0 <= b0 < 0xf0, b1     id 192 + ((b0 - 0xc0) << 8 | b1)
 *   0xf0 <= b0 < 0xff, b1 b2  id 12480 + ((b0 - 0xf0) << 16 | b1 << 8 | b2)
 *   0xff, u32 x               id 995520 + x
 * Ids: the tokens of the first blocks holding AS_STORE_SAMPLE bytes of
 * text by falling count (ties in byte order), then every new token in
 * order of first appearance.  An incremental build keeps the vocab of the
 * generation it copies from, ids and all, and appends its new tokens, so
 * that copied blocks stay valid byte for byte and are copied as they are
 * (storew.h; tokens of removed text may stay in the vocab); when that
 * vocab has gone stale, and with --rebuild, the ids are ranked afresh and
 * the store is then a function of the texts in docid order alone.
 *
 * Why not zlib: a hit's text must come out in a microsecond or two.
 * Inflating its 16 KiB block cost ~220,000 instructions (~2M for a top 10),
 * small blocks compress badly without a preset dictionary and priming one
 * costs a 32 KiB window per block; decoding ~27 ids through a table costs
 * ~3,000 with the walk to the record.  And the store is smaller: on the
 * bench corpus (1M sentences) 0.30 of the text (codes 0.21, a vocab of
 * 43,000 tokens in 0.5 MB) against 0.41 for zlib level 3 (0.44 level 1) in
 * 16 KiB blocks, and codes in half the time deflate took.  A block holds about
 * AS_STORE_BLOCK raw bytes and never spans two corpus files; a record is
 * found by walking the fields of the ones before it in its block.
 */
#ifndef AS_FORMAT_H
#define AS_FORMAT_H

#define AS_FORMAT_VERSION 5

#define AS_MAGIC_META "ASMT"
#define AS_MAGIC_TERMS "ASTM"
#define AS_MAGIC_POSTINGS "ASPO"
#define AS_MAGIC_POSITIONS "ASPS"
#define AS_MAGIC_DOCS "ASDC"
#define AS_MAGIC_STORE "ASST"

#define AS_HEADER_SIZE 32
#define AS_PAGE_LOG2 10          /* 1 KiB pages */

#define AS_BLOCK_SIZE 128        /* postings per block */
#define AS_SKIP_ENTRY 22         /* bytes per skip entry */
#define AS_DICT_BLOCK 16         /* terms per dictionary block */
#define AS_DICT_BINDEX 24        /* bytes per dictionary block index entry */
#define AS_TERM_BYTES 255        /* longest term */
#define AS_POS_ZERO_MAX 4096     /* see posblock */
#define AS_HIGH_MIN_DF 1024      /* default: terms with a high list */
#define AS_HIGH_FRAC 16          /* see high */
#define AS_HIGH_MAXLEN 1023      /* see high */
#define AS_HIGH_K1 0.8           /* see high: the impact order only */
#define AS_HIGH_B 0.5
#define AS_STORE_BLOCK 4096      /* target raw bytes per block */
#define AS_STORE_SAMPLE (1u << 20) /* text bytes that rank the first token ids */
#define AS_STORE_SINDEX 24
#define AS_UNIT_SIZE 28
#define AS_FREC_SIZE 48
#define AS_DOCLEN_ESC 0xffffu

/* The fields of meta, u64 each, in this order. */
enum mf {
    MF_FORMAT, MF_ANALYZER, MF_BUILT, MF_NDOCS, MF_TOTAL_LEN, MF_NTERMS,
    MF_NUNITS, MF_NFILES, MF_NCOUNCILS, MF_NOVER, MF_NGROUPS, MF_NDUPDOCS,
    /* docs sections */
    MF_DOCLEN_OFF, MF_KIND_OFF, MF_HASH_OFF, MF_OVER_OFF, MF_UNITS_OFF,
    MF_FILES_OFF, MF_STR_OFF, MF_STR_LEN, MF_DUPMAP_OFF, MF_GROUPS_OFF,
    MF_MEMBERS_OFF,
    /* terms */
    MF_DICT_NBLOCKS, MF_DICT_BINDEX_OFF,
    /* store */
    MF_STORE_NBLOCKS, MF_STORE_SINDEX_OFF,
    /* body lengths of the big files, cross-checked with their headers */
    MF_POST_LEN, MF_POS_LEN,
    /* the variable parts after the fields */
    MF_COUNCILS_LEN, MF_ACRO_LEN,
    MF_COUNT
};

#endif
