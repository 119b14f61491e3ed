/*
 * index.h — Interface to the native index: writing one generation
 * (writer.c and friends) and reading one (index.c, postings.c, dict.c,
 * store.c).  The on-disk format is written out in prose in format.h.
 *
 * Model: documents are sentences, numbered 0..N-1 (docids) in canonical
 * order: corpus files in byte order of their path, sentences in file order.
 * A *unit* is a run of consecutive sentences of one file sharing metadata
 * (council, statement, score, dates); every filter except kind is a property
 * of units, so a filter becomes a set of docid ranges.  Identical sentence
 * texts form a duplicate group.
 *
 * An index directory holds generations gen-NNNNNN/ and CURRENT naming the
 * live one (generation.c); readers mmap a generation read-only, never lock
 * and never write.
 */
#ifndef AS_INDEX_H
#define AS_INDEX_H

#include "as.h"
#include "analyze.h"

#define AS_DOC_END UINT32_MAX
#define AS_NONE UINT32_MAX

/* ---- Shared records ---------------------------------------------------- */

typedef struct as_unit {
    uint32_t first_doc, ndocs;
    uint32_t file;      /* index into files */
    uint32_t council;   /* index into councils, AS_NONE if unknown */
    uint8_t statement;  /* 0..9 */
    uint8_t theme;      /* 0..4 */
    uint8_t score;      /* 0..4 */
    uint32_t published; /* yyyymmdd or 0 */
    uint32_t updated;
} as_unit;

typedef struct as_file_state {
    const char *path;   /* canonical absolute path (index-owned when read) */
    const char *display;/* path as shown to users */
    uint64_t size;
    int64_t mtime_ns;
    uint32_t crc32;     /* zlib crc32 of the raw file bytes */
    uint32_t first_doc, ndocs;
} as_file_state;

/* A sentence as stored (store + columns). */
typedef struct as_docrec {
    const char *text;    /* NUL-terminated; valid until the next as_index_doc
                            call with the same buffer or as_docbuf_free */
    const char *section; /* NUL-terminated; "" when none */
    uint32_t line, paragraph, sentence;
    uint32_t doclen;     /* BM25 length: number of terms (with positions) */
    int kind;
    const char *id;      /* NUL-terminated id (a .tsv "id" column), NULL when
                            none; valid as text is */
} as_docrec;

/* Holds the last sentence read (its text, section and id).  Zero-initialise;
 * one per thread; fields private. */
typedef struct as_docbuf {
    void *p;
    size_t cap, n;
    uint64_t block;       /* cached block + 1; 0 = none */
    const void *ix;       /* the index the block came from */
} as_docbuf;
void as_docbuf_free(as_docbuf *b);

typedef struct as_index as_index; /* an open generation (below) */

/* ---- Writing a generation ---------------------------------------------- */

typedef struct as_writer as_writer;

typedef struct as_writer_opts {
    size_t mem_limit;    /* bytes of in-memory postings before spilling a
                            sorted run to disk; 0 = default (256 MiB) */
    const char *tmpdir;  /* where runs go; NULL = inside the generation dir */
} as_writer_opts;

/* Starts writing a generation into the empty directory gendir. */
int as_writer_open(const char *gendir, const as_writer_opts *o,
                   as_writer **out, as_err *err);
/* Files must be added in canonical order (byte order of path). */
/* Terms of at least df postings (and more than one block) get a high list
 * (format.h: high); the default is AS_HIGH_MIN_DF.  For tests, which need
 * small corpora to have them; call before adding anything. */
void as_writer_set_high_min_df(as_writer *w, uint32_t df);
int as_writer_begin_file(as_writer *w, const as_file_state *fs);
/* Adds one sentence of the current file: the tokens are as_analyze()'s for
 * d->text.  meta may differ between sentences (a new unit starts whenever it
 * does). */
typedef struct as_doc_in {
    const as_meta *meta;
    const char *text;
    const char *section; /* NULL = none */
    int kind;
    uint32_t line, paragraph, sentence;
    const char *id;      /* NULL = none (a .tsv "id" column, kept in the store) */
} as_doc_in;
int as_writer_add(as_writer *w, const as_doc_in *d, const as_token *toks,
                  size_t ntoks);
/* Acronym definitions mined from the current file (kept per file so that
 * an incremental build can recompute the corpus table exactly). */
int as_writer_end_file(as_writer *w, const as_acrotab *mined);
/* Copies file `file` of an open older generation into this one unchanged:
 * its sentences, columns, terms, positions and mined acronyms, without
 * re-analysis.  Used by incremental builds; files still in path order. */
int as_writer_copy_file(as_writer *w, const as_index *old, uint32_t file);
/* Merges runs, computes duplicate groups, acronym table and statistics,
 * writes every file with header and crc32, fsyncs.  The writer is freed. */
int as_writer_finish(as_writer *w, as_err *err);
/* Abandons the generation (files left for the caller to remove). */
void as_writer_abort(as_writer *w);
const char *as_writer_errmsg(const as_writer *w);

/* ---- Reading a generation ---------------------------------------------- */

/* Opens the live generation of an index directory (reads CURRENT; if that
 * generation vanished meanwhile, re-reads CURRENT and retries).  Validates
 * headers, versions (AS_EFORMAT: "rebuild") and the small files' crc32.
 * Big files are checked block by block as blocks are read. */
int as_index_open(const char *indexdir, as_index **out, as_err *err);
int as_index_open_gen(const char *gendir, as_index **out, as_err *err);
void as_index_close(as_index *ix); /* NULL is fine */

/* Full verification of every byte (crc32s, internal consistency). */
int as_index_verify(const as_index *ix, as_err *err);
/* Sticky: AS_ECORRUPT after any cursor/store read found damage; AS_OK otherwise. */
int as_index_status(const as_index *ix);
const char *as_index_errmsg(const as_index *ix);

const char *as_index_gen_dir(const as_index *ix);
int64_t as_index_built(const as_index *ix); /* unix time */
uint32_t as_index_ndocs(const as_index *ix);
uint64_t as_index_total_len(const as_index *ix); /* sum of doclens */
uint64_t as_index_nterms(const as_index *ix);

uint32_t as_index_doclen(const as_index *ix, uint32_t doc);
int as_index_kind(const as_index *ix, uint32_t doc);

uint32_t as_index_nunits(const as_index *ix);
const as_unit *as_index_unit(const as_index *ix, uint32_t u);
/* All units as one array (*n of them), their pages checked once; NULL (and
 * *n = 0) if a page is damaged.  Unlike as_index_unit the fields are not
 * range-checked: a caller indexes nothing with them unchecked (the engine's
 * filters compare them only).  For scans over every unit. */
const as_unit *as_index_units(const as_index *ix, uint32_t *n);
uint32_t as_index_unit_of(const as_index *ix, uint32_t doc);
/* The units whose council is c, ascending (*n of them; none for c >=
 * ncouncils), so that a council filter need not test every unit.  Made on
 * the first call (one pass over the units) and kept until close; *units
 * points into the index.  AS_OK, AS_ENOMEM, or AS_ECORRUPT when the units'
 * pages are damaged (recorded). */
int as_index_council_units(const as_index *ix, uint32_t c, const uint32_t **units, uint32_t *n);
/* The same for the units of statement s (0..AS_NSTATEMENTS), and of
 * score s (0..4). */
int as_index_statement_units(const as_index *ix, uint32_t s, const uint32_t **units, uint32_t *n);
int as_index_score_units(const as_index *ix, uint32_t s, const uint32_t **units, uint32_t *n);

uint32_t as_index_ncouncils(const as_index *ix);
const char *as_index_council(const as_index *ix, uint32_t c); /* sorted */

uint32_t as_index_nfiles(const as_index *ix);
int as_index_file(const as_index *ix, uint32_t f, as_file_state *out);

const as_acrotab *as_index_acronyms(const as_index *ix);

/* Members of doc's duplicate group, ascending (including doc itself).  For a
 * unique sentence: *n == 1, (*members)[0] == doc. */
void as_index_dups(const as_index *ix, uint32_t doc, const uint32_t **members,
                   uint32_t *n);
/* The first member of doc's duplicate group (doc itself when unique or on
 * damage) and the group's size in *n: as_index_dups without building a
 * unique sentence's one-entry list (no allocation). */
uint32_t as_index_dup_first(const as_index *ix, uint32_t doc, uint32_t *n);

/* Reads the stored sentence. */
int as_index_doc(const as_index *ix, uint32_t doc, as_docbuf *buf,
                 as_docrec *out);

/* ---- Dictionary -------------------------------------------------------- */

typedef struct as_term {
    uint32_t df;        /* documents containing the term */
    uint64_t cf;        /* total occurrences */
    uint32_t max_wdf;   /* over all docs: bounds for pruning */
    uint32_t min_doclen;
    uint64_t post_off;  /* opaque locations for cursors */
    uint64_t post_len;
    uint64_t pos_off;
    uint64_t pos_len;
} as_term;

/* AS_OK, or AS_ENOTFOUND. */
int as_index_find_term(const as_index *ix, const char *t, size_t len,
                       as_term *out);
/* Calls fn for every term starting with prefix, in byte order, until fn
 * returns non-zero (that value is returned). */
typedef int (*as_term_fn)(void *arg, const char *term, size_t len,
                          const as_term *info);
int as_index_each_term(const as_index *ix, const char *prefix, size_t plen,
                       as_term_fn fn, void *arg);

/* ---- Postings cursors -------------------------------------------------- */

/* A cursor over one term's postings (docid ascending).  Caller-allocated
 * (on the stack is fine); no cleanup needed.  Public fields are read-only. */
typedef struct as_pcur {
    uint32_t doc;   /* current docid, AS_DOC_END when exhausted */
    uint32_t wdf;   /* within-document frequency of the current doc */
    /* Read-only, for block-max pruning: the current block's last docid, a
     * bound on its wdfs and on its doclens (valid after init, next, seek and
     * seek_block); block_mindl[c] bounds the doclens of the block's docs of
     * wdf class c: wdf 1, 2, 3, and 4 or more (format.h: skip), so BM25 of
     * (c + 1, block_mindl[c]) for c < 3 and of (block_maxwdf, block_mindl[3])
     * bound the scores of the classes' docs. */
    uint32_t block_last, block_maxwdf, block_mindoclen;
    uint32_t block_mindl[4];
    /* private */
    const as_index *ix;
    uint64_t skip_off, data_off, data_len, pos_off, pos_len;
    const uint8_t *skipp;         /* the skip table in the mapping */
    uint32_t skok_lo, skok_n;     /* skip entries [skok_lo, skok_lo + skok_n)
                                   * lie on pages known checked */
    uint64_t skpg_lo, skpg_hi;    /* those pages (skok_n > 0) */
    uint32_t df, nb, block;       /* current block */
    uint32_t term_maxwdf, term_mindoclen;
    uint32_t i, n;                /* index within decoded block, its size */
    int decoded;                  /* block docs decoded? */
    int lazy;                     /* a probe's: on doc/wdf/i of block, whose
                                   * docs[] hold its gaps, not yet summed
                                   * (2: their sums fit in 32 bits) */
    int posdecoded;               /* positions of block decoded? */
    uint32_t docs[128], wdfs[128];
    const uint8_t *wdfp;          /* the block's packed wdfs - 1 */
    size_t wdfbytes;              /* bytes readable from wdfp: the run's
                                   * and the file's after it */
    unsigned wdfw;                /* their bit width */
    uint32_t nw;                  /* n once wdfs[] holds them, else 0 */
    uint32_t posstart[129];       /* offsets into the positions per doc */
    const uint8_t *posdata;       /* the block's packed positions */
    size_t poslen;
    unsigned posw;
    uint32_t *posheap;            /* grown positions buffer, else posbuf */
    uint32_t poscap;
    uint32_t posbuf[1024];
} as_pcur;

/* After init the cursor is on the first posting (doc == AS_DOC_END when
 * the term has none).  Damage found while reading ends the list (doc ==
 * AS_DOC_END) and makes as_index_status() AS_ECORRUPT. */
void as_pcur_init(as_pcur *c, const as_index *ix, const as_term *t);
void as_pcur_release(as_pcur *c); /* frees a grown positions buffer */
/* Advance to the next posting; returns the new doc (AS_DOC_END at end). */
uint32_t as_pcur_next(as_pcur *c);
/* Advance to the first doc >= target (never backwards). */
uint32_t as_pcur_seek(as_pcur *c, uint32_t target);
/* as_pcur_seek for a membership check: the same doc and wdf, but a block
 * it enters is not decoded, its gaps are only summed up to target (half a
 * block on average, where a seek decodes all of it); the cursor is left on
 * that posting, and every other operation decodes the block first. */
uint32_t as_pcur_probe(as_pcur *c, uint32_t target);
/* Moves a and b (cursors of two lists, never backwards) to the first doc
 * both are on, or stops at the first doc >= lim one of them is on,
 * whichever comes first; returns min(a->doc, b->doc): no doc before it
 * that either passed is in both lists.  An intersection of two interleaved
 * lists, stepping inside their decoded blocks. */
uint32_t as_pcur_meet(as_pcur *a, as_pcur *b, uint32_t lim);
/* as_pcur_meet without a limit, four docs of each list against four of
 * the other's at a step where their densities are near (at most
 * AS_MEET_DENSE apart, postings.c), as_pcur_meet's steps else: for a walk
 * of the intersection of two such lists (the lead walk's free).  Where
 * the meets are short (few postings a meet), as_pcur_meet costs less. */
uint32_t as_pcur_meet_dense(as_pcur *a, as_pcur *b);
/* as_pcur_next(a), then as_pcur_meet_dense(a, b): the next doc of both
 * lists after a's, but the wdf of a cursor left inside a decoded block is
 * not read (it holds some earlier posting's) until as_pcur_read_wdf. */
uint32_t as_pcur_next_meet_dense(as_pcur *a, as_pcur *b);
/* Reads the wdf of the cursor's posting (after as_pcur_next_meet_dense). */
void as_pcur_read_wdf(as_pcur *c);
/* Shallow move for block-max pruning: position on the block that would
 * contain target without decoding it; then block_last/block_maxwdf/
 * block_mindoclen describe that block.  Returns block_last, or AS_DOC_END
 * past the end.  A following as_pcur_seek(target) decodes. */
uint32_t as_pcur_seek_block(as_pcur *c, uint32_t target);
/* The same for the block after the current one (seek_block(block_last +
 * 1) without searching the skip table). */
uint32_t as_pcur_next_block(as_pcur *c);
/* The term's high list (format.h: high) as a term of its own for
 * as_pcur_init (df = its postings, no positions; cf, max_wdf and
 * min_doclen are t's, bounds only), and lmax = L1, L2, L3: every posting of
 * t not in it has a wdf w <= 3 and doclen > lmax[w - 1].  AS_OK,
 * AS_ENOTFOUND (t has none), AS_ECORRUPT. */
int as_pcur_high(const as_index *ix, const as_term *t, as_term *hi, uint32_t lmax[3]);
/* Positions (ascending) of the current doc: *n = wdf values into *pos,
 * which belongs to the cursor: valid until its next positions call, move or
 * release.  Only this doc's positions are decoded (a phrase checks a few
 * docs of a block, not all of them). */
int as_pcur_positions(as_pcur *c, const uint32_t **pos, uint32_t *n);

#endif
