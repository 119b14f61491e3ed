/*
 * wfile.h — Interface to wfile.c: the writer side of the index's paged
 * files (format.h): buffered appends that compute the page crc32s as the
 * bytes pass, then the crc table, footer and header, and fsync.  Also the
 * growable byte buffer the writer builds blocks in.
 *
 * Errors are sticky (STYLE.md): every call takes `int *rc` and does nothing
 * once it is set; the message goes to `msg` (512 bytes).
 */
#ifndef AS_WFILE_H
#define AS_WFILE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "varint.h"

typedef struct as_wfile {
    int fd;
    char *path;
    char magic[4];
    int paged;              /* 0 for meta: one crc over everything */
    uint8_t *buf;           /* write buffer */
    size_t bn;
    uint64_t body_len;      /* body bytes appended so far */
    uint32_t pcrc, pfill;   /* running crc of the current page, its bytes */
    uint32_t pdone;         /* of those, the ones in pcrc (the rest end buf) */
    uint32_t *crcs;
    size_t ncrc, crccap;
    uint32_t allcrc;        /* meta: crc of header + body */
    uint64_t written;       /* bytes written to fd (header and body) */
    uint64_t started;       /* of those, the ones whose write-back was started */
} as_wfile;

typedef struct as_wctx {
    int rc;
    char msg[512];
} as_wctx;

/* Creates dir/name (truncating) and reserves the header. */
void as_wfile_open(as_wctx *c, as_wfile *f, const char *dir, const char *name,
                   const char *magic, int paged);
void as_wfile_write(as_wctx *c, as_wfile *f, const void *p, size_t n);
void as_wfile_varint(as_wctx *c, as_wfile *f, uint64_t v);
void as_wfile_u32(as_wctx *c, as_wfile *f, uint32_t v);
void as_wfile_u64(as_wctx *c, as_wfile *f, uint64_t v);
/* Pads the body with zeros to a multiple of a. */
void as_wfile_align(as_wctx *c, as_wfile *f, unsigned a);
/* Writes out the buffer (so body bytes can be read back with pread). */
void as_wfile_flush(as_wctx *c, as_wfile *f);
/* Reads back n body bytes at off (after as_wfile_flush). */
void as_wfile_pread(as_wctx *c, as_wfile *f, void *p, size_t n, uint64_t off);
/* Finishes the file: crc table, footer, header; fsync; close. */
void as_wfile_close(as_wctx *c, as_wfile *f);
/* Closes without finishing (abort); the file stays. */
void as_wfile_drop(as_wfile *f);

/* A growable byte buffer. */
typedef struct as_gbuf {
    uint8_t *p;
    size_t n, cap;
} as_gbuf;
/* as_gbuf_room when the buffer must grow (or c has failed). */
uint8_t *as_gbuf_grow(as_wctx *c, as_gbuf *b, size_t extra);
/* Makes room for extra more bytes; returns the write pointer or NULL.
 * Inline, with as_gbuf_put and as_gbuf_varint: the writer calls them for
 * every field of every sentence, and the calls cost more than the work. */
static inline uint8_t *as_gbuf_room(as_wctx *c, as_gbuf *b, size_t extra)
{
    if (c->rc == 0 && b->cap - b->n >= extra)
        return b->p + b->n;
    return as_gbuf_grow(c, b, extra);
}
static inline void as_gbuf_put(as_wctx *c, as_gbuf *b, const void *p, size_t n)
{
    uint8_t *q = as_gbuf_room(c, b, n);
    if (q && n) {
        memcpy(q, p, n);
        b->n += n;
    }
}
static inline void as_gbuf_varint(as_wctx *c, as_gbuf *b, uint64_t v)
{
    uint8_t *q = as_gbuf_room(c, b, 10);
    if (q)
        b->n += varint_put(q, v);
}
void as_gbuf_u16(as_wctx *c, as_gbuf *b, uint16_t v);
void as_gbuf_u32(as_wctx *c, as_gbuf *b, uint32_t v);
void as_gbuf_u64(as_wctx *c, as_gbuf *b, uint64_t v);
void as_gbuf_free(as_gbuf *b);

/* Sets the sticky error (first one wins). */
void as_wctx_fail(as_wctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
