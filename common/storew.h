/*
 * storew.h — Interface to storew.c: the writer side of the sentence store
 * (format.h: store).  The index writer hands over blocks of records in
 * their raw form; a thread of its own turns the texts into token ids
 * (building the vocab as it goes) and writes the blocks, so that this work
 * runs beside the writer instead of inside it.  The file comes out the same
 * whatever the threading.
 *
 * A fresh build ranks its own vocab (format.h: store).  An incremental
 * build given a base (as_sw_base: the older generation it copies unchanged
 * files from) keeps the base's vocab, ids and all, and appends the tokens
 * new to it, so that blocks copied from the base are written verbatim
 * (their codes mean the same): decoding and coding them again was a third
 * of a one-file run at 1M sentences.  A base whose vocab has gone stale
 * (more than a quarter of its tokens used by none of its blocks: text
 * removed since it was ranked) is not kept: the vocab is ranked afresh and
 * every block coded again, as in a fresh build, whose store bytes the
 * result then equals.  Blocks copied from a generation other than the base
 * are always decoded and coded again.
 *
 * The raw form of a block (format.h: store, with whole ids and texts):
 *   raw    := v fields_len fields texts
 *   fields := per record: v text_len  v section_code [section bytes]
 *             v zigzag(line - previous line)  v zigzag(paragraph - previous)
 *             v sentence  v id_len [id bytes]
 *   texts  := the records' texts, concatenated
 * (as_ix_walk_start/next in ixint.h read it).
 */
#ifndef AS_STOREW_H
#define AS_STOREW_H

#include <pthread.h>
#include <stdint.h>

#include "wfile.h"

/* Blocks queued for the thread, at most (~4 KiB of raw text each, so
 * ~1 MiB).  Deep enough that the writer's thread does not wait on it: at
 * 16 (a quarter of a 1M-sentence file's blocks) the writer's thread spent
 * over half of a 1M build blocked here, consuming no analysed files, and
 * the analysis threads stood at their window (indexer/build.c) for ~0.25 s
 * each of a ~2 s ingest; at 256 neither waits (measured with temporary
 * timers, 2 threads). */
#define AS_SW_QUEUE 256

typedef struct as_index as_index;

typedef struct as_swjob {
    uint8_t *data;       /* raw form (owned), or an old block's bytes */
    size_t n;
    const as_index *old; /* a copy: the generation data lies in (not owned);
                            with data NULL: the base to take (as_sw_base) */
    uint32_t first, ndocs, ulen;
} as_swjob;

/* A token of the block being coded that the memo (stok.h) did not have:
 * where it lies in the job's data. */
typedef struct as_swtok {
    uint32_t off, len, hash;
    uint32_t at;         /* its index among the block's tokens (s->ids) */
    uint64_t head;       /* as_stok_head of its bytes */
    uint64_t tail;       /* its last 8 bytes when longer than 8, else 0 */
    uint32_t hint;       /* the store writer's hint once split (storew.c) */
    uint32_t slot;       /* its memo entry (stok.h) */
} as_swtok;

typedef struct as_swriter {
    as_wfile f;          /* the store file: the thread's until as_sw_sync */
    as_gbuf sindex;      /* block index entries (format.h) */
    uint64_t nblocks;
    as_gbuf out;         /* a coded block */
    as_gbuf codes;       /* its records' codes */
    as_gbuf fields;      /* its records' fields */
    uint32_t *ids;       /* its tokens' ids, in order */
    as_swtok *tk;        /* its tokens the memo did not have */
    size_t nids, ntk, tkcap; /* room for tkcap in both */
    struct as_stok_memo *memo; /* the memo (stok.h) */
    size_t *rend;        /* per record of the block: the end of its tokens */
    struct as_ix_rec *recs; /* per record of the block: its fields (one walk) */
    size_t rendcap;
    /* The vocab: token i is vbytes[voff[i], voff[i + 1]). */
    as_gbuf vbytes;
    uint32_t *voff, *vhash;
    uint64_t *vhead;     /* as_stok_head of each (a token of <= 8 bytes: its
                          * bytes, compared with one load) */
    uint64_t *vcount;    /* occurrences in the sample (until frozen) */
    uint32_t ntok, tokcap;
    uint32_t *ht;        /* token id + 1 by hash, open addressing; 0 = empty */
    uint32_t htmask;
    int frozen;          /* the sample is ranked: ids are final */
    const as_index *base; /* the vocab is base's, extended (not owned) */
    uint64_t nverbatim, nrecoded; /* copied blocks written as they were / coded again */
    as_swjob *pend;      /* raw blocks of the sample, not yet written */
    size_t npend, pendcap;
    uint64_t pendtext;
    as_wctx c;           /* the thread's errors */
    pthread_t th;
    int threaded;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    as_swjob q[AS_SW_QUEUE];
    unsigned head, n;
    int closing;
    int pwait, cwait;    /* the producer / the thread waits on cv */
} as_swriter;

/* Creates dir/store and starts the thread (or works inline if it cannot). */
void as_sw_open(as_wctx *c, as_swriter *s, const char *dir);
/* Before any block: offers old's vocab as the base of this one (see the
 * head of this file).  old must stay valid until as_sw_sync. */
void as_sw_base(as_wctx *c, as_swriter *s, const as_index *old);
/* Queues a block of raw records; takes raw (malloc'd) in every case. */
void as_sw_block(as_wctx *c, as_swriter *s, uint8_t *raw, size_t n, uint32_t first,
                 uint32_t ndocs);
/* Queues block bytes of the older generation old (its sindex clen, ulen):
 * written as they are when old is the base taken, else decoded with old's
 * vocab and coded again.  bytes and old must stay valid until as_sw_sync. */
void as_sw_copy(as_wctx *c, as_swriter *s, const as_index *old, const uint8_t *bytes,
                uint32_t clen, uint32_t ulen, uint32_t first, uint32_t ndocs);
/* Waits for every queued block, stops the thread and writes the vocab:
 * from here on s->f, s->sindex (with the vocab entry after the nblocks
 * block entries) and s->nblocks are the caller's.  The thread's error, if
 * any, becomes c's. */
void as_sw_sync(as_wctx *c, as_swriter *s);
/* After as_sw_sync (and as_wfile_flush of s->f): block b in its raw form
 * in out (out->n bytes).  AS_EIO in c when it does not read back. */
void as_sw_raw_block(as_wctx *c, as_swriter *s, uint64_t b, as_gbuf *out);
/* Stops and frees everything (after as_sw_sync or instead of it). */
void as_sw_free(as_swriter *s);

#endif
