/*
 * wfile.c — Writing the index's paged files and growable buffers (see
 * wfile.h for the interface, format.h for the file layout).
 */
#include "wfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "as.h"
#include "crc.h"
#include "format.h"
#include "varint.h"

#define WBUF (1u << 18)

/* Written bytes whose write-back is started at once (sync_file_range),
 * not left to the fsync at close: a 1M-sentence build writes ~110 MB, all
 * of it still dirty at the end (the kernel's background write-back waits
 * for 10% of memory or 30 s), and the fsyncs of the postings and positions
 * were a serial wait of ~30 ms after the encoding. */
#define WB_AHEAD ((uint64_t)8 << 20)

void as_wctx_fail(as_wctx *c, int code, const char *fmt, ...)
{
    if (c->rc != AS_OK)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->rc = code;
}

static void io_fail(as_wctx *c, const as_wfile *f, const char *what)
{
    as_wctx_fail(c, AS_EIO, "%s: %s%s%s", f->path ? f->path : "?", what,
                 *what ? ": " : "", strerror(errno));
}

static int write_all(as_wctx *c, as_wfile *f, const uint8_t *p, size_t n)
{
    f->written += n;
    while (n > 0) {
        ssize_t k = write(f->fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            io_fail(c, f, "write");
            return -1;
        }
        if (k == 0) {
            errno = ENOSPC;
            io_fail(c, f, "write");
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

void as_wfile_open(as_wctx *c, as_wfile *f, const char *dir, const char *name,
                   const char *magic, int paged)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (c->rc != AS_OK)
        return;
    size_t n = strlen(dir) + strlen(name) + 2;
    f->path = malloc(n);
    f->buf = malloc(WBUF);
    if (!f->path || !f->buf) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return;
    }
    snprintf(f->path, n, "%s/%s", dir, name);
    memcpy(f->magic, magic, 4);
    f->paged = paged;
    f->fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (f->fd < 0) {
        io_fail(c, f, "create");
        return;
    }
    uint8_t hdr[AS_HEADER_SIZE] = {0};
    write_all(c, f, hdr, sizeof hdr); /* the real header comes at close */
}

/* Folds the current page's bytes not yet in its crc (the last ones of the
 * buffer) into it. */
static void fold_page(as_wfile *f)
{
    uint32_t n = f->pfill - f->pdone;
    if (n > 0)
        f->pcrc = as_crc32(f->pcrc, f->buf + f->bn - n, n); /* crc.c: zlib's value */
    f->pdone = f->pfill;
}

static void flush_buf(as_wctx *c, as_wfile *f)
{
    if (f->paged)
        fold_page(f); /* its bytes leave the buffer */
    if (f->bn > 0 && c->rc == AS_OK && f->fd >= 0)
        write_all(c, f, f->buf, f->bn);
    f->bn = 0;
#ifdef SYNC_FILE_RANGE_WRITE
    /* only started, not waited for; its errors are the fsync's to report */
    if (f->fd >= 0 && f->written - f->started >= WB_AHEAD) {
        sync_file_range(f->fd, (off_t)f->started, (off_t)(f->written - f->started),
                        SYNC_FILE_RANGE_WRITE);
        f->started = f->written;
    }
#endif
}

static void push_crc(as_wctx *c, as_wfile *f)
{
    if (f->ncrc == f->crccap) {
        size_t nc = f->crccap ? 2 * f->crccap : 1024;
        uint32_t *p = realloc(f->crcs, nc * sizeof *p);
        if (!p) {
            as_wctx_fail(c, AS_ENOMEM, "out of memory");
            return;
        }
        f->crcs = p;
        f->crccap = nc;
    }
    fold_page(f);
    f->crcs[f->ncrc++] = f->pcrc;
    f->pcrc = 0;
    f->pfill = f->pdone = 0;
}

void as_wfile_write(as_wctx *c, as_wfile *f, const void *vp, size_t n)
{
    const uint8_t *p = vp;
    if (c->rc != AS_OK || f->fd < 0)
        return;
    f->body_len += n;
    if (!f->paged) /* meta is small: one crc over all of it */
        for (size_t k = 0; k < n; k += 1u << 30)
            f->allcrc = (uint32_t)crc32(f->allcrc, p + k,
                                        (uInt)(n - k < (1u << 30) ? n - k : (1u << 30)));
    while (n > 0) {
        size_t take = n;
        if (f->paged) {
            size_t room = ((size_t)1 << AS_PAGE_LOG2) - f->pfill;
            if (take > room)
                take = room;
        }
        if (take > WBUF - f->bn)
            take = WBUF - f->bn;
        memcpy(f->buf + f->bn, p, take);
        f->bn += take;
        if (f->paged) {
            /* The page's crc is taken when it is whole (or its bytes leave
             * the buffer): one call per KiB, not one per write (most are a
             * few bytes, where zlib's crc32 costs several times more per
             * byte). */
            f->pfill += (uint32_t)take;
            if (f->pfill == (1u << AS_PAGE_LOG2))
                push_crc(c, f);
        }
        p += take;
        n -= take;
        if (f->bn == WBUF)
            flush_buf(c, f);
        if (c->rc != AS_OK)
            return;
    }
}

void as_wfile_varint(as_wctx *c, as_wfile *f, uint64_t v)
{
    uint8_t b[10];
    as_wfile_write(c, f, b, varint_put(b, v));
}

void as_wfile_u32(as_wctx *c, as_wfile *f, uint32_t v)
{
    uint8_t b[4];
    put32(b, v);
    as_wfile_write(c, f, b, 4);
}

void as_wfile_u64(as_wctx *c, as_wfile *f, uint64_t v)
{
    uint8_t b[8];
    put64(b, v);
    as_wfile_write(c, f, b, 8);
}

void as_wfile_align(as_wctx *c, as_wfile *f, unsigned a)
{
    static const uint8_t zero[16];
    size_t pad = (size_t)((a - f->body_len % a) % a);
    as_wfile_write(c, f, zero, pad);
}

void as_wfile_flush(as_wctx *c, as_wfile *f)
{
    flush_buf(c, f);
}

void as_wfile_pread(as_wctx *c, as_wfile *f, void *vp, size_t n, uint64_t off)
{
    uint8_t *p = vp;
    if (c->rc != AS_OK)
        return;
    off += AS_HEADER_SIZE;
    while (n > 0) {
        ssize_t k = pread(f->fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            io_fail(c, f, "read back");
            return;
        }
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
}

void as_wfile_close(as_wctx *c, as_wfile *f)
{
    if (f->fd < 0)
        return;
    uint8_t hdr[AS_HEADER_SIZE] = {0};
    memcpy(hdr, f->magic, 4);
    put32(hdr + 4, AS_FORMAT_VERSION);
    put32(hdr + 8, f->paged ? AS_PAGE_LOG2 : 0);
    put64(hdr + 16, f->body_len);
    if (c->rc == AS_OK) {
        uint8_t b[4];
        if (f->paged) {
            if (f->pfill > 0)
                push_crc(c, f);
            for (size_t i = 0; i < f->ncrc && c->rc == AS_OK; i++) {
                put32(b, f->crcs[i]);
                f->paged = 0; /* the table is not paged itself */
                as_wfile_write(c, f, b, 4);
            }
            put32(b, (uint32_t)crc32(0, hdr, AS_HEADER_SIZE));
        } else {
            /* meta: crc over header and body */
            uint32_t crc = (uint32_t)crc32(0, hdr, AS_HEADER_SIZE);
            crc = (uint32_t)crc32_combine(crc, f->allcrc, (z_off_t)f->body_len);
            put32(b, crc);
        }
        f->paged = 0;
        as_wfile_write(c, f, b, 4);
        flush_buf(c, f);
    }
    if (c->rc == AS_OK) {
        ssize_t k;
        do
            k = pwrite(f->fd, hdr, sizeof hdr, 0);
        while (k < 0 && errno == EINTR);
        if (k != (ssize_t)sizeof hdr) {
            if (k >= 0)
                errno = EIO;
            io_fail(c, f, "write");
        }
    }
    if (c->rc == AS_OK && fsync(f->fd) != 0)
        io_fail(c, f, "fsync");
    if (close(f->fd) != 0 && c->rc == AS_OK)
        io_fail(c, f, "close");
    f->fd = -1;
    as_wfile_drop(f);
}

void as_wfile_drop(as_wfile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->path);
    free(f->buf);
    free(f->crcs);
    f->path = NULL;
    f->buf = NULL;
    f->crcs = NULL;
}

uint8_t *as_gbuf_grow(as_wctx *c, as_gbuf *b, size_t extra)
{
    if (c->rc != AS_OK)
        return NULL;
    if (b->cap - b->n < extra) {
        size_t nc = b->cap ? b->cap : 64;
        while (nc - b->n < extra) {
            if (nc > SIZE_MAX / 2) {
                as_wctx_fail(c, AS_ENOMEM, "out of memory");
                return NULL;
            }
            nc *= 2;
        }
        uint8_t *p = realloc(b->p, nc);
        if (!p) {
            as_wctx_fail(c, AS_ENOMEM, "out of memory");
            return NULL;
        }
        b->p = p;
        b->cap = nc;
    }
    return b->p + b->n;
}

void as_gbuf_u16(as_wctx *c, as_gbuf *b, uint16_t v)
{
    uint8_t *q = as_gbuf_room(c, b, 2);
    if (q) {
        put16(q, v);
        b->n += 2;
    }
}

void as_gbuf_u32(as_wctx *c, as_gbuf *b, uint32_t v)
{
    uint8_t *q = as_gbuf_room(c, b, 4);
    if (q) {
        put32(q, v);
        b->n += 4;
    }
}

void as_gbuf_u64(as_wctx *c, as_gbuf *b, uint64_t v)
{
    uint8_t *q = as_gbuf_room(c, b, 8);
    if (q) {
        put64(q, v);
        b->n += 8;
    }
}

void as_gbuf_free(as_gbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}
