/*
 * runs.c — Sorted runs of the index writer and the term sources of the
 * final merge.  When the postings buffers pass mem_limit the terms are
 * written out in byte order (a run) and the buffers freed; runs hold
 * ascending docids, so a term's postings across runs concatenate.  At most
 * MAX_RUNS are kept (they are merged into one), which bounds open files.
 *
 *   run    := (v term_len term v last_doc+1 v buf_len buf)* v 0
 *   buf    := the term's in-memory postings (writer.c): per doc
 *             v (doc + 1 - previous doc + 1) v wdf v position gaps...
 *             the first doc's "previous" being -1 within each run
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "varint.h"
#include "wint.h"

static int cmp_ids(const void *a, const void *b, void *ctx)
{
    const sent *e = ctx;
    const sent *x = &e[*(const uint32_t *)a], *y = &e[*(const uint32_t *)b];
    return bytes_cmp(x->s, x->len, y->s, y->len);
}

/* A term id with its first 8 bytes as a big-endian number, zero-padded:
 * a smaller key is a term earlier in byte order (a shorter term that is
 * the other's prefix pads with zeros), equal keys are decided by the
 * bytes. */
typedef struct idkey {
    uint64_t key;
    uint32_t id;
} idkey;

/* Sorts a by key, LSD radix 8 bits a pass (tmp: n more), skipping the
 * passes in which every key has the same byte (most terms are short: their
 * low bytes are the padding); stable. */
static void radix_keys(idkey *a, idkey *tmp, size_t n)
{
    idkey *src = a, *dst = tmp;
    for (int sh = 0; sh < 64; sh += 8) {
        size_t cnt[256] = {0};
        for (size_t i = 0; i < n; i++)
            cnt[(src[i].key >> sh) & 0xff]++;
        if (cnt[(src[0].key >> sh) & 0xff] == n)
            continue;
        size_t at = 0;
        for (int d = 0; d < 256; d++) {
            size_t c = cnt[d];
            cnt[d] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[cnt[(src[i].key >> sh) & 0xff]++] = src[i];
        idkey *x = src;
        src = dst;
        dst = x;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

/* Sorts term ids by their bytes: by their first 8 bytes (radix_keys, the
 * strtab slot's head), then the few runs of equal ones by qsort_r of the
 * bytes (a qsort_r of every id, a call and a compare of strings at each
 * step, was most of this). */
static void sort_ids(uint32_t *ids, size_t n, const strtab *t)
{
    idkey *k = n > 1 ? malloc(2 * n * sizeof *k) : NULL;
    if (!k) {
        if (n > 1)
            qsort_r(ids, n, sizeof *ids, cmp_ids, (void *)t->e);
        return;
    }
    for (size_t i = 0; i < n; i++)
        k[i] = (idkey){__builtin_bswap64(t->slots[t->e[ids[i]].slot].head), ids[i]};
    radix_keys(k, k + n, n);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && k[j].key == k[i].key)
            j++;
        for (size_t m = i; m < j; m++)
            ids[m] = k[m].id;
        if (j - i > 1)
            qsort_r(ids + i, j - i, sizeof *ids, cmp_ids, (void *)t->e);
        i = j;
    }
    free(k);
}

/* The term ids with postings in memory, in byte order. */
uint32_t *as_wr_live_ids(as_writer *w, size_t *n)
{
    *n = 0;
    uint32_t *ids = malloc(((size_t)w->terms.n + 1) * sizeof *ids);
    if (!ids) {
        as_wctx_fail(&w->c, AS_ENOMEM, "out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < w->terms.n; i++)
        if (w->tw[i].len > 0)
            ids[(*n)++] = i;
    sort_ids(ids, *n, &w->terms);
    return ids;
}

static void put_varint_file(as_wctx *c, FILE *fp, uint64_t v)
{
    uint8_t b[10];
    unsigned n = varint_put(b, v);
    if (c->rc == AS_OK && fwrite(b, 1, n, fp) != n)
        as_wctx_fail(c, AS_EIO, "run file: write: %s", strerror(errno));
}

static void merge_runs(as_writer *w);

/* Writes the in-memory postings as a sorted run and frees them. */
int as_wr_spill(as_writer *w)
{
    as_wctx *c = &w->c;
    size_t n;
    uint32_t *ids = as_wr_live_ids(w, &n);
    if (!ids)
        return c->rc;
    if (!GROW(c, w->runs, w->runcap, w->nruns + 1)) {
        free(ids);
        return c->rc;
    }
    size_t plen = strlen(w->tmpdir) + 32;
    char *path = malloc(plen);
    if (!path) {
        free(ids);
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return c->rc;
    }
    snprintf(path, plen, "%s/run-%06zu.tmp", w->tmpdir, w->runseq++);
    w->runs[w->nruns++] = path;
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        as_wctx_fail(c, AS_EIO, "%s: %s", path, strerror(errno));
        free(ids);
        return c->rc;
    }
    setvbuf(fp, NULL, _IOFBF, 1 << 20);
    for (size_t i = 0; i < n && c->rc == AS_OK; i++) {
        const sent *e = &w->terms.e[ids[i]];
        wterm *t = &w->tw[ids[i]];
        put_varint_file(c, fp, e->len);
        if (c->rc == AS_OK && fwrite(e->s, 1, e->len, fp) != e->len)
            as_wctx_fail(c, AS_EIO, "%s: write: %s", path, strerror(errno));
        put_varint_file(c, fp, t->prev1);
        put_varint_file(c, fp, t->len);
        if (c->rc == AS_OK && fwrite(t->buf, 1, t->len, fp) != t->len)
            as_wctx_fail(c, AS_EIO, "%s: write: %s", path, strerror(errno));
        free(t->buf);
        t->buf = NULL;
        t->len = t->cap = 0;
        t->prev1 = 0;
    }
    put_varint_file(c, fp, 0); /* no term has length 0: the end */
    if (fclose(fp) != 0 && c->rc == AS_OK)
        as_wctx_fail(c, AS_EIO, "%s: write: %s", path, strerror(errno));
    free(ids);
    w->mem_post = 0;
    if (c->rc == AS_OK && w->nruns >= MAX_RUNS)
        merge_runs(w);
    return c->rc;
}

static int read_varint_file(FILE *fp, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        int ch = getc_unlocked(fp);
        if (ch == EOF)
            return -1;
        x |= (uint64_t)(ch & 0x7f) << shift;
        if (ch < 0x80) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

void as_wr_src_next(as_wctx *c, as_writer *w, tsrc *s)
{
    if (s->done || c->rc != AS_OK)
        return;
    if (s->type == 0) {
        if (s->i == s->nids) {
            s->done = 1;
            return;
        }
        const sent *e = &w->terms.e[s->ids[s->i]];
        const wterm *t = &w->tw[s->ids[s->i]];
        memcpy(s->term, e->s, e->len);
        s->tlen = e->len;
        s->p = t->buf;
        s->plen = t->len;
        s->i++;
    } else if (s->type == 1) {
        uint64_t tl, pl;
        if (read_varint_file(s->fp, &tl) != 0 || tl > AS_TERM_BYTES) {
            as_wctx_fail(c, AS_EIO, "%s: damaged or unreadable", s->path);
            return;
        }
        if (tl == 0) {
            s->done = 1;
            return;
        }
        if (fread(s->term, 1, tl, s->fp) != tl || read_varint_file(s->fp, &s->last1) != 0 ||
            read_varint_file(s->fp, &pl) != 0 || pl > UINT32_MAX) {
            as_wctx_fail(c, AS_EIO, "%s: damaged or unreadable", s->path);
            return;
        }
        s->tlen = tl;
        s->data.n = 0;
        if (!as_gbuf_room(c, &s->data, pl))
            return;
        if (fread(s->data.p, 1, pl, s->fp) != pl) {
            as_wctx_fail(c, AS_EIO, "%s: damaged or unreadable", s->path);
            return;
        }
        s->p = s->data.p;
        s->plen = pl;
    } else {
        int r = as_ix_dictit_next(&s->it);
        if (r < 0) {
            as_wctx_fail(c, AS_ECORRUPT, "copy: %s", as_index_errmsg(s->it.ix));
            return;
        }
        if (r == 0) {
            s->done = 1;
            return;
        }
        memcpy(s->term, s->it.term, s->it.tlen);
        s->tlen = s->it.tlen;
    }
}

void as_wr_src_free(tsrc *s)
{
    if (s->fp)
        fclose(s->fp);
    s->fp = NULL;
    free(s->ids);
    s->ids = NULL;
    as_gbuf_free(&s->data);
}

/* Merges all runs into one, so that at most MAX_RUNS files are ever open
 * and read at once.  A term's parts concatenate (the runs hold ascending
 * docids); only each later part's first gap, which a run codes from doc -1,
 * is re-based on the previous part's last doc. */
static void merge_runs(as_writer *w)
{
    as_wctx *c = &w->c;
    size_t n = w->nruns;
    tsrc *src = calloc(n, sizeof *src);
    size_t plen = strlen(w->tmpdir) + 32;
    char *path = malloc(plen);
    FILE *out = NULL;
    if (!src || !path) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(path, plen, "%s/run-%06zu.tmp", w->tmpdir, w->runseq++);
    out = fopen(path, "wb");
    if (!out) {
        as_wctx_fail(c, AS_EIO, "%s: %s", path, strerror(errno));
        goto out;
    }
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    for (size_t i = 0; i < n && c->rc == AS_OK; i++) {
        src[i].type = 1;
        src[i].path = w->runs[i];
        src[i].fp = fopen(w->runs[i], "rb");
        if (!src[i].fp)
            as_wctx_fail(c, AS_EIO, "%s: %s", w->runs[i], strerror(errno));
        else {
            setvbuf(src[i].fp, NULL, _IOFBF, 1 << 16);
            as_wr_src_next(c, w, &src[i]);
        }
    }
    while (c->rc == AS_OK) {
        tsrc *min = as_wr_src_min(src, n);
        if (!min)
            break;
        char term[AS_TERM_BYTES];
        size_t tlen = min->tlen;
        memcpy(term, min->term, tlen);
        /* the parts, in run order, with their re-based first gaps */
        uint64_t total = 0, last1 = 0, prev1 = 0;
        for (size_t i = 0; i < n; i++) {
            tsrc *s = &src[i];
            if (s->done || bytes_cmp(s->term, s->tlen, term, tlen) != 0)
                continue;
            const uint8_t *p = s->p;
            uint64_t g0;
            uint8_t tmp[10];
            if (varint_get(&p, s->p + s->plen, &g0) != 0 || g0 <= prev1) {
                as_wctx_fail(c, AS_EIO, "%s: damaged", s->path);
                break;
            }
            total += s->plen - (size_t)(p - s->p) + varint_put(tmp, g0 - prev1);
            prev1 = last1 = s->last1;
        }
        put_varint_file(c, out, tlen);
        if (c->rc == AS_OK && fwrite(term, 1, tlen, out) != tlen)
            as_wctx_fail(c, AS_EIO, "%s: write: %s", path, strerror(errno));
        put_varint_file(c, out, last1);
        put_varint_file(c, out, total);
        prev1 = 0;
        for (size_t i = 0; i < n && c->rc == AS_OK; i++) {
            tsrc *s = &src[i];
            if (s->done || bytes_cmp(s->term, s->tlen, term, tlen) != 0)
                continue;
            const uint8_t *p = s->p;
            uint64_t g0 = 0;
            varint_get(&p, s->p + s->plen, &g0);
            put_varint_file(c, out, g0 - prev1);
            size_t rest = s->plen - (size_t)(p - s->p);
            if (c->rc == AS_OK && fwrite(p, 1, rest, out) != rest)
                as_wctx_fail(c, AS_EIO, "%s: write: %s", path, strerror(errno));
            prev1 = s->last1;
            as_wr_src_next(c, w, s);
        }
    }
    put_varint_file(c, out, 0);
out:
    if (out && fclose(out) != 0 && c->rc == AS_OK)
        as_wctx_fail(c, AS_EIO, "%s: write: %s", path, strerror(errno));
    for (size_t i = 0; src && i < n; i++)
        as_wr_src_free(&src[i]);
    free(src);
    if (c->rc == AS_OK) {
        for (size_t i = 0; i < n; i++) {
            unlink(w->runs[i]);
            free(w->runs[i]);
        }
        w->runs[0] = path;
        w->nruns = 1;
    } else if (path) {
        if (out)
            unlink(path);
        free(path);
    }
}

