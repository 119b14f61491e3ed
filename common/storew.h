/*
 * storew.h — Interface to storew.c: the writer side of the sentence store
 * (format.h: store).  Blocks are deflated and written by a thread of their
 * own, so that compression (as costly as a third of the analysis) runs
 * beside the writer instead of inside it; the file comes out the same as
 * if every block were compressed in turn, because blocks are independent
 * and written in the order given.
 */
#ifndef AS_STOREW_H
#define AS_STOREW_H

#include <pthread.h>
#include <stdint.h>
#include <zlib.h>

#include "wfile.h"

#define AS_SW_QUEUE 16

typedef struct as_swjob {
    uint8_t *data;       /* raw records (owned), or compressed bytes */
    size_t n;
    int verbatim;        /* compressed already (a copied block); not owned */
    uint32_t first, ndocs, ulen;
} as_swjob;

typedef struct as_swriter {
    as_wfile f;          /* the store file: the thread's until as_sw_sync */
    as_gbuf sindex;      /* block index entries (format.h) */
    uint64_t nblocks;
    z_stream z;
    int zinit;
    as_gbuf zout;
    as_wctx c;           /* the thread's errors */
    pthread_t th;
    int threaded;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    as_swjob q[AS_SW_QUEUE];
    unsigned head, n;
    int closing;
} as_swriter;

/* Creates dir/store and starts the thread (or works inline if it cannot). */
void as_sw_open(as_wctx *c, as_swriter *s, const char *dir);
/* Queues a block of raw records; takes raw (malloc'd) in every case. */
void as_sw_block(as_wctx *c, as_swriter *s, uint8_t *raw, size_t n, uint32_t first,
                 uint32_t ndocs);
/* Queues a compressed block as it is; bytes must stay valid until
 * as_sw_sync. */
void as_sw_copy(as_wctx *c, as_swriter *s, const uint8_t *bytes, uint32_t clen,
                uint32_t ulen, uint32_t first, uint32_t ndocs);
/* Waits for every queued block and stops the thread: from here on s->f,
 * s->sindex and s->nblocks are the caller's.  The thread's error, if any,
 * becomes c's. */
void as_sw_sync(as_wctx *c, as_swriter *s);
/* Stops and frees everything (after as_sw_sync or instead of it). */
void as_sw_free(as_swriter *s);

#endif
