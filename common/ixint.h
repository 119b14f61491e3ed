/*
 * ixint.h — Internal interface between the files of the native index:
 * index.c (opening, pages and checksums, columns, units, files, dups,
 * verification), dict.c (dictionary), postings.c (cursors), store.c
 * (sentence store) and writer.c.  Not for use outside them: the public
 * interface is index.h, the format is format.h.
 */
#ifndef AS_IXINT_H
#define AS_IXINT_H

#include <stdatomic.h>
#include <stdint.h>

#include "format.h"
#include "index.h"

/* The paged files of a generation, in a fixed order. */
enum { IXF_TERMS, IXF_POSTINGS, IXF_POSITIONS, IXF_DOCS, IXF_STORE, IXF_N };
extern const char *const as_ix_file_names[IXF_N]; /* "terms", ... */
extern const char *const as_ix_file_magic[IXF_N];

/* Unit scores 0..4 (0: none), the lists of as_index_score_units. */
#define AS_IX_NSCORES 5u

/* The commonest tokens of the store's vocab, checked together on first use
 * (store.c: as_ix_store_vocab). */
#define AS_IX_VOC_HOT 1024u

/* ---- Interface to code in index.c ------------------------------------- */

typedef struct ixfile {
    const uint8_t *map;       /* whole file, read-only mmap (NULL if empty) */
    size_t maplen;
    const uint8_t *body;
    uint64_t len;             /* body_len */
    const uint8_t *crcs;      /* npages x u32 */
    uint64_t npages;
    unsigned page_log2;
    _Atomic uint32_t *ok;     /* bit per page: checked and good */
} ixfile;

struct as_index {
    char *dir;
    ixfile f[IXF_N];
    uint64_t mf[MF_COUNT];    /* meta fields */
    uint8_t *meta;            /* meta file bytes (malloc'd) */
    size_t metalen;
    uint32_t ndocs;
    const char **councils;    /* ncouncils pointers into meta */
    as_acrotab *acro;
    /* Sticky damage report: the first message wins (claim, then ready). */
    _Atomic int status;
    _Atomic int msgclaim, msgready;
    char msg[512];
    /* One-element member lists for unique sentences, made on demand in
     * chunks (see as_index_dups). */
    _Atomic(uint32_t *) *ident;
    size_t nident;
    /* Where each run of 2^AS_IX_DUPIDX_SHIFT docids starts in the duplicate
     * map (nruns + 1 entries), made on the first duplicate lookup and kept
     * until close (see dup_index in index.c). */
    _Atomic(uint32_t *) dupidx;
    /* The store's vocab (format.h: store), located at open; its first
     * voc_hot tokens (the commonest) are page-checked together on first
     * use, so that decoding them needs no check per token. */
    uint64_t voc_off, voc_len;
    uint32_t voc_ntok, voc_hot;
    /* Made with voc_hot: ids below voc_valid (<= voc_hot) also have
     * offsets known good (ascending, inside the bytes checked), and bit
     * id % 64 of voc_word[id / 64] tells whether the token is a word
     * (as_ix_wordbyte of its first byte), so decoding them tests nothing. */
    uint32_t voc_valid;
    uint64_t voc_word[AS_IX_VOC_HOT / 64];
    _Atomic int voc_hot_ok;
    _Atomic int voc_claim;    /* the thread making them (others do without) */
    /* The units of each council (as_index_council_units), statement
     * (as_index_statement_units) and score (as_index_score_units): values
     * + 1 offsets, then the unit numbers; made on first use, kept until
     * close. */
    _Atomic(uint32_t *) cunits, sunits, scunits;
};

/* Docids per entry of the duplicate map's run index (as_index.dupidx). */
#define AS_IX_DUPIDX_SHIFT 8

/* Checks pages p0..p1 of file f (slow path of ix_need). */
int as_ix_check_pages(const as_index *ix, int f, uint64_t p0, uint64_t p1);
/* Records damage (sticky) and returns AS_ECORRUPT.  fmt names the thing. */
int as_ix_corrupt(const as_index *ix, int f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Makes sure body bytes [off, off+len) of file f exist and their pages are
 * checked.  AS_OK or AS_ECORRUPT (recorded). */
static inline int ix_need(const as_index *ix, int f, uint64_t off, uint64_t len)
{
    const ixfile *x = &ix->f[f];
    if (off > x->len || len > x->len - off)
        return as_ix_corrupt(ix, f, "offset %llu+%llu past the end (%llu)",
                             (unsigned long long)off, (unsigned long long)len,
                             (unsigned long long)x->len);
    if (len == 0)
        return AS_OK;
    uint64_t p0 = off >> x->page_log2, p1 = (off + len - 1) >> x->page_log2;
    for (uint64_t p = p0; p <= p1; p++) {
        uint32_t bits = atomic_load_explicit(&x->ok[p >> 5], memory_order_acquire);
        if (!(bits >> (p & 31) & 1))
            return as_ix_check_pages(ix, f, p, p1);
    }
    return AS_OK;
}

/* Puts the damage message (without the directory) into err; AS_ECORRUPT. */
int as_ix_verr(const as_index *ix, as_err *err);
uint32_t as_ix_hash(const as_index *ix, uint32_t doc); /* text crc32, 0 on damage */
/* A file's mined acronyms (serialized), pointing into the mmap. */
int as_ix_file_acro(const as_index *ix, uint32_t f, const uint8_t **p, size_t *len);

/* ---- Interface to code in dict.c -------------------------------------- */

/* Walks the dictionary in byte order from a block on. */
typedef struct as_ix_dictit {
    const as_index *ix;
    uint64_t blk, nblk;
    unsigned i, n;            /* entry within block, entries in block */
    const uint8_t *p, *end;   /* rest of the block */
    uint64_t post_off, pos_off;
    char term[AS_TERM_BYTES + 1];
    size_t tlen;
    as_term t;
} as_ix_dictit;

/* Positions it before the first term of block blk. */
int as_ix_dictit_start(as_ix_dictit *it, const as_index *ix, uint64_t blk);
/* 1: it->term/tlen/t hold the next term; 0: end; < 0: damage. */
int as_ix_dictit_next(as_ix_dictit *it);
/* Full check of the dictionary (order, entry fields) for as_index_verify. */
/* doclens: every doc's length (verify reads them once). */
int as_ix_dict_verify(const as_index *ix, const uint32_t *doclens, as_err *err);

/* ---- Interface to code in postings.c ----------------------------------- */

/* Decodes every posting of t and checks it (for as_index_verify). */
int as_ix_postings_verify(const as_index *ix, const char *term, size_t tlen,
                          const as_term *t, const uint32_t *doclens, as_err *err);

/* ---- Interface to code in store.c -------------------------------------- */

/* Store block index entry i (checked). */
typedef struct as_ix_sblock {
    uint32_t first_doc, ndocs, clen, ulen;
    uint64_t off;
} as_ix_sblock;
int as_ix_store_block(const as_index *ix, uint64_t i, as_ix_sblock *out);
/* The store block holding doc. */
int as_ix_store_find(const as_index *ix, uint32_t doc, uint64_t *blk);
int as_ix_store_verify(const as_index *ix, as_err *err);

/* A vocab (format.h: store): token i is bytes[off[i], off[i + 1]), off
 * little-endian u32s.  With ix, they lie in ix's store (body offsets
 * offs_at and bytes_at) and every read is page-checked; without, in
 * memory the caller trusts (the writer's own). */
typedef struct as_ix_vocab {
    const as_index *ix;
    const uint8_t *offs, *bytes;
    uint64_t offs_at, bytes_at, nbytes;
    uint32_t ntok;
    uint32_t hot;              /* ids below are checked already */
} as_ix_vocab;
/* The generation's vocab; AS_OK or AS_ECORRUPT. */
int as_ix_store_vocab(const as_index *ix, as_ix_vocab *v);
/* Decodes the n code bytes at p into exactly tlen bytes at out; 0, or -1
 * when they do not decode to that. */
int as_ix_decode(const as_ix_vocab *v, const uint8_t *p, size_t n, uint8_t *out, size_t tlen);
/* Writes the raw form (storew.h) of the coded block [p, p + n) of ndocs
 * records into out, which must come to exactly ulen bytes; 0, or -1 when
 * the block is damaged. */
int as_ix_block_raw(const as_ix_vocab *v, const uint8_t *p, size_t n, uint32_t ndocs,
                    uint8_t *out, size_t ulen);

/* A record of a block, raw (text) or coded (codes, id as a front-coded
 * piece: the first id_shared bytes of the previous record's id, then
 * id[0, id_len)). */
typedef struct as_ix_rec {
    const uint8_t *text, *codes, *section, *id;
    size_t tlen, clen, slen, id_shared, id_len;
    uint32_t line, paragraph, sentence;
    int sec_new;               /* the section is given (not the previous one's) */
} as_ix_rec;
/* Walks a block's records in order (0, or -1 when damaged): start on the
 * raw form (storew.h) or the coded one (format.h). */
typedef struct as_ix_rwalk {
    const uint8_t *f, *fend;   /* fields */
    const uint8_t *t, *tend;   /* texts or codes */
    const uint8_t *sec;
    size_t slen;
    uint32_t line, para;
    int coded;
} as_ix_rwalk;
int as_ix_walk_start(as_ix_rwalk *w, const uint8_t *p, size_t n);
int as_ix_walk_start_coded(as_ix_rwalk *w, const uint8_t *p, size_t n);
int as_ix_walk_next(as_ix_rwalk *w, as_ix_rec *r);

/* Word bytes (format.h: store): ASCII letters and digits, bytes >= 0x80. */
static inline int as_ix_wordbyte(uint8_t b)
{
    return (uint8_t)((b | 32) - 'a') < 26 || (uint8_t)(b - '0') < 10 || b >= 0x80;
}

#endif
