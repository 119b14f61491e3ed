/*
 * storew.c — Compressing and writing store blocks on a thread of their own
 * (see storew.h).  One producer (the index writer), one consumer, a small
 * ring of jobs under one mutex: the queue bounds the memory held by blocks
 * waiting to be compressed (AS_SW_QUEUE x ~16 KiB).
 */
#include "storew.h"

#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "format.h"
#include "varint.h"

/* zlib level: measured on the 1M bench store (176 MB of records, 16 KiB
 * blocks, one core): level 6 5.8 s for 0.365 of the records, 3 3.4 s for
 * 0.390, 2 3.1 s for 0.400, 1 2.8 s for 0.413.  Level 1 would save 0.6 s
 * of CPU at 1M (the index 0.75 x text instead of 0.72); it waits for
 * assess-search to check every hit's store pages before printing any (see
 * the lifecycle test's flipped store byte, which level 1 moves into a later
 * hit's page). */
#define ZLEVEL 3

/* Compresses (unless verbatim) and writes one block; on the thread, or
 * inline when there is none. */
static void do_job(as_wctx *c, as_swriter *s, as_swjob *j)
{
    const uint8_t *out = j->data;
    size_t clen = j->n;
    if (c->rc == AS_OK && !j->verbatim) {
        uLong bound = deflateBound(&s->z, (uLong)j->n);
        s->zout.n = 0;
        if (as_gbuf_room(c, &s->zout, bound)) {
            deflateReset(&s->z);
            s->z.next_in = j->data;
            s->z.avail_in = (uInt)j->n;
            s->z.next_out = s->zout.p;
            s->z.avail_out = (uInt)bound;
            if (deflate(&s->z, Z_FINISH) != Z_STREAM_END)
                as_wctx_fail(c, AS_ENOMEM, "store: deflate failed");
            out = s->zout.p;
            clen = bound - s->z.avail_out;
        }
    }
    if (c->rc == AS_OK) {
        as_gbuf_u32(c, &s->sindex, j->first);
        as_gbuf_u32(c, &s->sindex, j->ndocs);
        as_gbuf_u64(c, &s->sindex, s->f.body_len);
        as_gbuf_u32(c, &s->sindex, (uint32_t)clen);
        as_gbuf_u32(c, &s->sindex, j->verbatim ? j->ulen : (uint32_t)j->n);
        as_wfile_write(c, &s->f, out, clen);
        s->nblocks++;
    }
    if (!j->verbatim)
        free(j->data);
    j->data = NULL;
}

static void *run(void *arg)
{
    as_swriter *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->n == 0 && !s->closing)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->n == 0 && s->closing)
            break;
        as_swjob j = s->q[s->head];
        pthread_mutex_unlock(&s->mu);
        do_job(&s->c, s, &j);
        pthread_mutex_lock(&s->mu);
        s->head = (s->head + 1) % AS_SW_QUEUE;
        s->n--;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void as_sw_open(as_wctx *c, as_swriter *s, const char *dir)
{
    memset(s, 0, sizeof *s);
    s->f.fd = -1;
    as_wfile_open(c, &s->f, dir, "store", AS_MAGIC_STORE, 1);
    if (c->rc != AS_OK)
        return;
    if (deflateInit2(&s->z, ZLEVEL, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory (zlib)");
        return;
    }
    s->zinit = 1;
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        return;
    if (pthread_cond_init(&s->cv, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        return;
    }
    if (pthread_create(&s->th, NULL, run, s) != 0) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        return; /* then blocks are compressed inline */
    }
    s->threaded = 1;
}

static void push(as_wctx *c, as_swriter *s, as_swjob *j)
{
    if (!s->threaded) {
        do_job(c, s, j);
        return;
    }
    pthread_mutex_lock(&s->mu);
    while (s->n == AS_SW_QUEUE)
        pthread_cond_wait(&s->cv, &s->mu);
    s->q[(s->head + s->n) % AS_SW_QUEUE] = *j;
    s->n++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void as_sw_block(as_wctx *c, as_swriter *s, uint8_t *raw, size_t n, uint32_t first,
                 uint32_t ndocs)
{
    if (c->rc != AS_OK) {
        free(raw);
        return;
    }
    as_swjob j = {raw, n, 0, first, ndocs, 0};
    push(c, s, &j);
}

void as_sw_copy(as_wctx *c, as_swriter *s, const uint8_t *bytes, uint32_t clen,
                uint32_t ulen, uint32_t first, uint32_t ndocs)
{
    if (c->rc != AS_OK)
        return;
    as_swjob j = {(uint8_t *)(uintptr_t)bytes, clen, 1, first, ndocs, ulen};
    push(c, s, &j);
}

static void stop(as_swriter *s)
{
    if (!s->threaded)
        return;
    pthread_mutex_lock(&s->mu);
    s->closing = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->th, NULL);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    s->threaded = 0;
}

void as_sw_sync(as_wctx *c, as_swriter *s)
{
    stop(s);
    if (s->c.rc != AS_OK)
        as_wctx_fail(c, s->c.rc, "%s", s->c.msg);
}

void as_sw_free(as_swriter *s)
{
    stop(s);
    for (unsigned i = 0; i < s->n; i++) { /* left by a failed thread */
        as_swjob *j = &s->q[(s->head + i) % AS_SW_QUEUE];
        if (!j->verbatim)
            free(j->data);
    }
    s->n = 0;
    as_wfile_drop(&s->f);
    as_gbuf_free(&s->sindex);
    as_gbuf_free(&s->zout);
    if (s->zinit)
        deflateEnd(&s->z);
    s->zinit = 0;
}
