/*
 * wint.h — Internal interface between the files of the index writer:
 * writer.c (the public as_writer_* functions, columns, units, files, store
 * records, docs and meta), strtab.c (string interning), runs.c (spilled
 * runs and the term sources of the final merge), encode.c (postings,
 * positions and dictionary encoding) and dups.c (duplicate groups).
 */
#ifndef AS_WINT_H
#define AS_WINT_H

#include <stdio.h>
#include <string.h>

#include "ixint.h"
#include "storew.h"
#include "termhash.h"
#include "wfile.h"

#define MAX_RUNS 32 /* runs merged into one when there are this many */

/* ---- Interface to code in strtab.c ------------------------------------ */

typedef struct sent {
    const char *s;
    uint32_t len, hash;
    uint32_t slot;    /* where it sits in the table */
} sent;

/* A slot of the hash table: the hash, the id and the term's first bytes
 * in one 32-byte record, so a lookup usually touches one cache line (the
 * interning of every token is the writer's hottest loop). */
#define SLOT_PRE 15
typedef struct slot {
    uint64_t head;    /* the first 8 bytes, zero-padded (compared inline) */
    uint32_t hash;
    uint32_t id1;     /* id + 1, 0 = empty */
    uint8_t len;      /* min(len, 255) */
    char pre[SLOT_PRE]; /* the next bytes */
} slot;

typedef struct strtab {
    slot *slots;
    uint32_t mask;
    sent *e;
    uint32_t n, cap;
    char **chunks;    /* arena */
    size_t nchunks, chunkcap;
    size_t left;      /* bytes left in the last chunk */
    char *next;
    size_t bytes;     /* memory used, for the limit */
} strtab;

/* Returns the id of s[0..n) (adding it: *added = 1), UINT32_MAX on error. */
uint32_t as_strtab_intern(as_wctx *c, strtab *t, const char *s, size_t n, int *added);
/* The same with h and head from as_strtab_hash(s, n, &head), so that a
 * caller can hash a batch first and prefetch the slots (as_strtab_slot). */
uint32_t as_strtab_intern_h(as_wctx *c, strtab *t, const char *s, size_t n, uint32_t h,
                            uint64_t head, int *added);
uint32_t as_strtab_hash(const char *s, size_t n, uint64_t *head);
/* as_strtab_hash inline: as_term_hash (termhash.h, shared with the
 * analyzer, whose tokens carry it). */
static inline uint32_t as_strtab_hash_in(const char *s, size_t n, uint64_t *head)
{
    return as_term_hash(s, n, head);
}
/* Where a lookup of hash h starts (for a prefetch; NULL when empty). */
static inline const void *as_strtab_slot(const strtab *t, uint32_t h)
{
    return t->slots ? (const void *)&t->slots[h & t->mask] : NULL;
}
/* The id of s (hash h, head as above) if present, else UINT32_MAX: the
 * inline fast path of as_strtab_intern_h for terms seen before. */
static inline uint32_t as_strtab_find_h(const strtab *t, const char *s, size_t n, uint32_t h,
                                        uint64_t head)
{
    if (!t->slots || n > 8 + SLOT_PRE)
        return UINT32_MAX;
    size_t pl = n <= 8 ? 0 : n - 8;
    for (uint32_t j = h & t->mask;; j = (j + 1) & t->mask) {
        const slot *q = &t->slots[j];
        if (!q->id1)
            return UINT32_MAX;
        if (q->head == head && q->hash == h && q->len == n &&
            (pl == 0 || memcmp(q->pre, s + 8, pl) == 0))
            return q->id1 - 1;
    }
}
void as_strtab_free(strtab *t);

static inline int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);
    if (r)
        return r;
    return an < bn ? -1 : an > bn;
}


/* ---- The writer (writer.c) ---------------------------------------------- */

typedef struct wterm {
    uint8_t *buf;
    uint32_t len, cap;
    uint32_t prev1;   /* last doc + 1 in this run; 0 = none yet */
    uint32_t curdoc;  /* doc + 1 of the doc-local slot below */
    uint32_t slot;
} wterm;

typedef struct wunit {
    uint32_t first_doc, ndocs, file, council; /* council: interned id */
    uint8_t statement, score;
    uint32_t published, updated;
} wunit;

typedef struct wfilerec {
    char *path, *display;
    uint64_t size;
    int64_t mtime_ns;
    uint32_t crc32, first_doc, ndocs;
    uint8_t *acro;
    size_t acrolen;
} wfilerec;

typedef struct wcopy {
    const as_index *old;
    uint32_t old_first, n, new_first;
} wcopy;

/* What became of copied store blocks, for a summary and the tests. */
typedef struct as_wstore_stats {
    int base;            /* the base's vocab was kept */
    uint64_t verbatim;   /* blocks copied as they were */
    uint64_t recoded;    /* blocks copied by decoding and coding again */
} as_wstore_stats;

/* How the postings of copied files went through the final merge, for the
 * tests: whole blocks taken as they were (positions not decoded), and
 * postings that went one by one. */
typedef struct as_wmerge_stats {
    uint64_t blocks_taken;
    uint64_t postings_one_by_one;
} as_wmerge_stats;

struct as_writer {
    as_wctx c;
    char *dir, *tmpdir;
    size_t mem_limit;
    uint32_t high_min_df;     /* terms with a high list (format.h: high) */
    size_t pipe_chunk;        /* encode.c: postings bytes per chunk (0: default) */
    as_wfile f[IXF_N];

    strtab terms;
    wterm *tw;
    uint32_t twcap;
    size_t mem_post;

    /* doc-local scratch */
    uint32_t *lid, *lwdf, *lstart, *lfill, *tslot, *lpos;
    uint32_t *thash, *tid;    /* per token: hash, term id */
    uint64_t *thead;          /* per token: the hash's head bytes */
    size_t lcap, tcap;

    char **runs;
    size_t nruns, runcap, runseq;

    uint32_t ndocs;
    uint32_t crct[8][256];    /* crc32 tables of the hash column (writer.c) */
    uint32_t *doclen, *hash;
    uint8_t *kind;
    size_t dcap;
    uint64_t total_len;

    wunit *units;
    size_t nunits, ucap;
    strtab councils;
    uint32_t council_last1;   /* the last council's id + 1 (put_doc), 0: none */
    const char *council_p;    /* its string where as_writer_add_doc_n had it
                               * (in the current file only), NULL: none */

    wfilerec *files;
    size_t nfiles, fcap;
    int infile;

    /* store */
    as_gbuf sbuf, sfields, stexts;
    uint32_t sprevline, sprevpara;
    char *sprevsecbuf;        /* the block's previous record's section */
    size_t sprevseclen, sprevseccap;
    const char *sprevsecp;    /* where as_writer_add_doc_n had that section
                               * (in the current file only), NULL: none */
    int shavesec;
    uint32_t sfirst, sndocs;
    as_swriter sw;            /* compresses and writes blocks */
    as_wstore_stats *swstats; /* as_writer_set_base's (not owned) */

    wcopy *copies;
    size_t ncopies, ccap;
    as_wmerge_stats mstats;   /* copied postings in the merge */
    as_wmerge_stats *mstats_out; /* as_writer_set_merge_stats's (not owned) */

    /* results of the merge */
    uint64_t terms_nterms, dict_nblocks, dict_bindex_off, post_len, pos_len;
};

/* Before any file: the older generation unchanged files will be copied
 * from.  Its store vocab is then kept and extended (unless stale), so that
 * its blocks are copied verbatim (storew.h).  old must stay open until
 * as_writer_finish, which fills *st (if not NULL; the caller's).
 * Optional: without it the store is ranked afresh. */
int as_writer_set_base(as_writer *w, const as_index *old, as_wstore_stats *st);

/* as_writer_add with each token's as_strtab_hash (hash[k], head[k])
 * computed by the caller (an analysis thread), so that the writer's
 * thread, which alone interns, does not; NULL: computed here. */
int as_writer_add_h(as_writer *w, const as_doc_in *d, const as_token *toks, size_t ntoks,
                    const uint32_t *hash, const uint64_t *head);
/* One file's postings grouped by term, built on an analysis thread
 * (as_wpost_*: they touch no writer), so that the writer's thread interns
 * each distinct term of a file once, not every token, and appends a term's
 * postings of the whole file in one piece (as_writer_add_post): at 1M the
 * per-token probes of a table bigger than the caches were most of that
 * thread's time.  Terms are numbered in the order they first occur. */
typedef struct as_wpterm {
    uint64_t head;         /* as_strtab_hash's */
    uint32_t hash, len;
    uint32_t toff;         /* the term's bytes: terms + toff */
    uint32_t first, last;  /* the first and the last sentence holding it */
    /* its postings: bytes[boff, boff + blen); until as_wpost_finish, boff
     * counts its sentences and blen its tokens */
    uint32_t boff, blen;
} as_wpterm;

/* A sentence's tokens: those from k0 to the next run's k0 (p->nk for the
 * last). */
typedef struct as_wprun {
    uint32_t s, k0;
} as_wprun;

typedef struct as_wpost {
    as_wpterm *t;
    uint32_t nt, tcap;
    char *terms;
    size_t tbytes, tbcap;
    uint32_t *lid;         /* per token (nk of them): its term */
    uint32_t *pos;         /* per token: its position */
    size_t nk, kcap;
    uint32_t maxpos;       /* the largest position */
    as_wprun *runs;        /* per sentence with tokens, ascending */
    size_t nr, rcap;
    uint8_t *bytes;        /* per term: the in-memory postings (writer.c)
                            * without the first sentence's doc gap */
    uint32_t *slots;       /* local id + 1 by hash; mask + 1 of them */
    uint32_t mask;
} as_wpost;

/* Adds sentence s's tokens (in position order).  AS_OK, AS_ENOMEM, or
 * AS_EINVAL for a term of 0 or more than AS_TERM_BYTES bytes or tokens out
 * of position order (also after an earlier call's for the same sentence);
 * sentences must come in ascending order. */
int as_wpost_add(as_wpost *p, uint32_t s, const as_token *toks, size_t n);
/* as_wpost_add of as_analyze's tokens: their hash and head fields (the
 * analyzer's, as_strtab_hash's) are used, not made again per token. */
int as_wpost_add_an(as_wpost *p, uint32_t s, const as_token *toks, size_t n);
/* Optional, before the first as_wpost_add: room for about ntok tokens (and
 * their terms) at once, not grown by doubling; AS_OK or AS_ENOMEM. */
int as_wpost_reserve(as_wpost *p, size_t ntok);
/* Groups and encodes the postings once every sentence is in. */
int as_wpost_finish(as_wpost *p);
void as_wpost_free(as_wpost *p); /* frees the arrays; NULL is fine */
/* Appends the postings of p (built by as_wpost_finish), its sentence 0
 * being doc first, after the file's sentences were added with
 * as_writer_add_doc. */
int as_writer_add_post(as_writer *w, uint32_t first, const as_wpost *p);
/* as_writer_add without the postings (they come from as_writer_add_post):
 * the sentence's columns, unit and store record, doclen its token count. */
int as_writer_add_doc(as_writer *w, const as_doc_in *d, size_t doclen);
/* The same with strlen(d->text) given (the reader keeps it: as_sentence.len),
 * so that the text is not counted again.  The strings d points to must stay
 * as they are until as_writer_end_file (a page's do): a section or council
 * at the address of the file's previous one is taken as that string, not
 * measured and compared again. */
int as_writer_add_doc_n(as_writer *w, const as_doc_in *d, size_t doclen, size_t tlen);

/* Fetches the term table's slots of hashes about to be added into the
 * caches (a sentence ahead: the slot of a token is a likely miss). */
void as_writer_prefetch(const as_writer *w, const uint32_t *hash, size_t n);

/* The bytes of postings per chunk of a spilled build's final encoding
 * (encode.c: encode_pipe; 0: the default), so that a test can make many. */
void as_writer_set_pipe_chunk(as_writer *w, size_t bytes);

/* as_writer_finish fills *st (the caller's) with how the copied files'
 * postings were merged (as_wmerge_stats). */
void as_writer_set_merge_stats(as_writer *w, as_wmerge_stats *st);

void *as_wr_grow(as_wctx *c, void *p, size_t *cap, size_t need, size_t elem);
#define GROW(c, arr, cap, need) \
    ((arr) = as_wr_grow((c), (arr), &(cap), (need), sizeof *(arr)), (arr) != NULL)

/* ---- Interface to code in runs.c ----------------------------------------- */

/* Writes the in-memory postings out as a sorted run and frees them. */
int as_wr_spill(as_writer *w);
/* The term ids with postings in memory, in byte order (malloc'd). */
uint32_t *as_wr_live_ids(as_writer *w, size_t *n);

/* Term sources of the final merge. */
typedef struct tsrc {
    int type;                  /* 0 memory, 1 run, 2 old generation */
    /* memory */
    uint32_t *ids;
    size_t nids, i;
    /* run */
    FILE *fp;
    char *path;
    as_gbuf data;
    uint64_t last1;            /* the term's last doc + 1 in this run */
    /* old */
    as_ix_dictit it;
    const wcopy *segs;
    size_t nseg;
    /* the current term */
    char term[AS_TERM_BYTES];
    size_t tlen;
    const uint8_t *p;
    size_t plen;
    int done;
} tsrc;

/* Moves a source to its next term (done at the end). */
void as_wr_src_next(as_wctx *c, as_writer *w, tsrc *s);
/* The source whose current term comes first in byte order; NULL when all
 * are done. */
static inline tsrc *as_wr_src_min(tsrc *src, size_t n)
{
    tsrc *min = NULL;
    for (size_t i = 0; i < n; i++)
        if (!src[i].done &&
            (!min || bytes_cmp(src[i].term, src[i].tlen, min->term, min->tlen) < 0))
            min = &src[i];
    return min;
}
void as_wr_src_free(tsrc *s);

/* ---- Interface to code in encode.c ---------------------------------------- */

/* Encodes the postings, positions and dictionary of every term. */
void as_wr_write_postings(as_writer *w);

/* ---- Interface to code in dups.c ------------------------------------------ */

typedef struct dupres {
    uint32_t *members;   /* ndup, grouped, ascending within a group */
    uint32_t *starts;    /* ngroups + 1 */
    uint32_t *mapdoc, *mapgroup; /* ndup, ascending doc */
    uint32_t ndup, ngroups;
} dupres;
/* Groups byte-identical texts (reads the store back: after as_sw_sync).
 * Reads only w's columns and store, so it may run beside the encoding;
 * errors go to c. */
void as_wr_dups(as_writer *w, as_wctx *c, dupres *r);
void as_wr_dupres_free(dupres *r);

#endif
