/*
 * dups.c — Duplicate groups: sentences whose text is byte for byte the
 * same (the commitment text every council shares).  Equal crc32s propose
 * a group; the texts, read back from the store just written, decide: as
 * their codes, which one vocab gives every block (equal texts, equal codes;
 * the codes decode to one text), so no block is decoded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "varint.h"
#include "wint.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts 64-bit keys that are already in order of their low 32 bits:
 * LSD radix, 16 bits a pass, over the high half only (stable passes keep
 * the low halves' order among equal high halves), passes over constant
 * digits skipped (fast for millions of docs where qsort is not).  Both
 * callers' keys come so (the doc, the hash run), and the passes over the
 * low digits, half the work, only took that order apart and put it back. */
static int sort_high(uint64_t *a, size_t n)
{
    if (n < 4096) {
        qsort(a, n, sizeof *a, cmp_u64);
        return 0;
    }
    uint64_t *tmp = malloc(n * sizeof *tmp);
    size_t *cnt = malloc(65536 * sizeof *cnt);
    if (!tmp || !cnt) {
        free(tmp);
        free(cnt);
        return -1;
    }
    for (unsigned shift = 32; shift < 64; shift += 16) {
        memset(cnt, 0, 65536 * sizeof *cnt);
        for (size_t i = 0; i < n; i++)
            cnt[(a[i] >> shift) & 0xffff]++;
        if (cnt[(a[0] >> shift) & 0xffff] == n)
            continue;
        size_t sum = 0;
        for (size_t d = 0; d < 65536; d++) {
            size_t k = cnt[d];
            cnt[d] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; i++)
            tmp[cnt[(a[i] >> shift) & 0xffff]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
    free(tmp);
    free(cnt);
    return 0;
}

typedef struct rep {
    char *text;         /* the codes of the text (len bytes) */
    size_t len, tlen;   /* tlen: the text's length */
    uint32_t cls, next; /* next rep of the same hash run, UINT32_MAX = none */
} rep;

/* Whether codes[0, n) are whole codes of ids below ntok (format.h: store). */
static int codes_ok(const uint8_t *p, size_t n, uint32_t ntok)
{
    const uint8_t *end = p + n;
    while (p < end) {
        uint32_t id = *p++;
        if (id >= 0xc0) {
            size_t k = id < 0xf0 ? 1 : id < 0xff ? 2 : 4;
            if ((size_t)(end - p) < k)
                return 0;
            if (k == 1)
                id = 192 + ((id - 0xc0) << 8 | p[0]);
            else if (k == 2)
                id = 12480 + ((id - 0xf0) << 16 | (uint32_t)p[0] << 8 | p[1]);
            else
                id = le32(p) >= UINT32_MAX - 995520 ? UINT32_MAX : 995520 + le32(p);
            p += k;
        }
        if (id >= ntok)
            return 0;
    }
    return 1;
}

/* Groups byte-identical texts: equal crc32 proposes, the text decides. */
void as_wr_dups(as_writer *w, as_wctx *c, dupres *r)
{
    memset(r, 0, sizeof *r);
    if (w->ndocs < 2)
        return;
    uint64_t *keys = malloc((size_t)w->ndocs * sizeof *keys);
    if (!keys) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return;
    }
    for (uint32_t i = 0; i < w->ndocs; i++)
        keys[i] = (uint64_t)w->hash[i] << 32 | i;
    if (sort_high(keys, w->ndocs) != 0) { /* keys in doc order */
        free(keys);
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return;
    }
    /* candidates: (doc << 32 | hash run), reusing keys */
    size_t ncand = 0;
    uint32_t nruns = 0;
    for (size_t i = 0; i < w->ndocs;) {
        size_t j = i + 1;
        while (j < w->ndocs && keys[j] >> 32 == keys[i] >> 32)
            j++;
        if (j - i >= 2) {
            for (size_t k = i; k < j; k++)
                keys[ncand++] = (keys[k] & 0xffffffffu) << 32 | nruns;
            nruns++;
        }
        i = j;
    }
    if (ncand == 0) {
        free(keys);
        return;
    }
    /* by doc (keys in run order); ncand <= ndocs so it cannot fail worse than before */
    sort_high(keys, ncand);
    uint32_t *runhead = malloc((size_t)nruns * sizeof *runhead);
    uint32_t *cls = malloc(ncand * sizeof *cls);
    rep *reps = NULL;
    size_t nreps = 0, repcap = 0;
    as_gbuf ubuf = {0};
    if (!runhead || !cls) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        goto out;
    }
    memset(runhead, 0xff, (size_t)nruns * sizeof *runhead);
    /* one pass over the store, decoding only blocks with candidates */
    as_wfile *fs = &w->sw.f; /* the store thread has stopped */
    as_wfile_flush(c, fs);
    size_t k = 0;
    for (uint64_t b = 0; b < w->sw.nblocks && k < ncand && c->rc == AS_OK; b++) {
        const uint8_t *e = w->sw.sindex.p + b * AS_STORE_SINDEX;
        uint32_t first = le32(e), nd = le32(e + 4);
        uint32_t d0 = (uint32_t)(keys[k] >> 32);
        if (d0 >= first + nd)
            continue;
        /* the block as coded: equal texts have equal codes and unequal
         * ones unequal (one vocab codes every block: storew.c), so the
         * codes decide without the block being decoded */
        uint32_t clen = le32(e + 16);
        ubuf.n = 0;
        if (!as_gbuf_room(c, &ubuf, clen))
            break;
        as_wfile_pread(c, fs, ubuf.p, clen, le64(e + 8));
        if (c->rc != AS_OK)
            break;
        as_ix_rwalk wk;
        uint32_t at = first; /* the doc of the walker's next record */
        if (as_ix_walk_start_coded(&wk, ubuf.p, clen) != 0) {
            as_wctx_fail(c, AS_ECORRUPT, "%s: store block %llu does not decode (copied damaged?)",
                         fs->path, (unsigned long long)b);
            break;
        }
        while (k < ncand && (uint32_t)(keys[k] >> 32) < first + nd && c->rc == AS_OK) {
            uint32_t doc = (uint32_t)(keys[k] >> 32), run = (uint32_t)keys[k];
            as_ix_rec dr;
            int bad = 0;
            while (at <= doc && !bad)
                bad = as_ix_walk_next(&wk, &dr) != 0, at++;
            if (bad || !codes_ok(dr.codes, dr.clen, w->sw.ntok)) {
                /* read as written: a block copied verbatim from a base
                 * whose bytes were damaged under good crcs */
                as_wctx_fail(c, AS_ECORRUPT, "%s: store block %llu does not decode (copied damaged?)",
                             fs->path, (unsigned long long)b);
                break;
            }
            size_t tl = dr.clen;
            uint32_t ri;
            for (ri = runhead[run]; ri != UINT32_MAX; ri = reps[ri].next)
                if (reps[ri].len == tl && reps[ri].tlen == dr.tlen &&
                    memcmp(reps[ri].text, dr.codes, tl) == 0)
                    break;
            if (ri == UINT32_MAX) {
                if (!GROW(c, reps, repcap, nreps + 1))
                    break;
                rep *p = &reps[nreps];
                p->text = malloc(tl + 1);
                if (!p->text) {
                    as_wctx_fail(c, AS_ENOMEM, "out of memory");
                    break;
                }
                memcpy(p->text, dr.codes, tl);
                p->len = tl;
                p->tlen = dr.tlen;
                p->cls = (uint32_t)nreps;
                p->next = runhead[run];
                runhead[run] = (uint32_t)nreps;
                ri = (uint32_t)nreps++;
            }
            cls[k] = reps[ri].cls;
            k++;
        }
    }
    if (c->rc == AS_OK && k != ncand)
        as_wctx_fail(c, AS_EIO, "%s: store does not cover every sentence", fs->path);
    if (c->rc != AS_OK)
        goto out;
    /* classes are numbered in order of their first doc; groups are the
     * classes with two or more members, in that order */
    uint32_t *cnt = calloc(nreps + 1, sizeof *cnt), *gid = NULL;
    if (!cnt) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < ncand; i++)
        cnt[cls[i]]++;
    gid = malloc((nreps + 1) * sizeof *gid);
    r->starts = malloc((nreps + 2) * sizeof *r->starts);
    if (!gid || !r->starts) {
        free(cnt);
        free(gid);
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        goto out;
    }
    uint32_t ng = 0, nm = 0;
    for (size_t i = 0; i < nreps; i++) {
        if (cnt[i] >= 2) {
            gid[i] = ng;
            r->starts[ng++] = nm;
            nm += cnt[i];
        } else
            gid[i] = UINT32_MAX;
    }
    r->starts[ng] = nm;
    r->ngroups = ng;
    r->ndup = nm;
    r->members = malloc((nm + 1) * sizeof *r->members);
    r->mapdoc = malloc((nm + 1) * sizeof *r->mapdoc);
    r->mapgroup = malloc((nm + 1) * sizeof *r->mapgroup);
    uint32_t *fill = calloc(ng + 1, sizeof *fill);
    if (!r->members || !r->mapdoc || !r->mapgroup || !fill) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
    } else {
        uint32_t m = 0;
        for (size_t i = 0; i < ncand; i++) {
            uint32_t g = gid[cls[i]];
            if (g == UINT32_MAX)
                continue;
            uint32_t doc = (uint32_t)(keys[i] >> 32);
            r->members[r->starts[g] + fill[g]++] = doc;
            r->mapdoc[m] = doc;
            r->mapgroup[m] = g;
            m++;
        }
    }
    free(fill);
    free(cnt);
    free(gid);
out:
    for (size_t i = 0; i < nreps; i++)
        free(reps[i].text);
    free(reps);
    free(runhead);
    free(cls);
    free(keys);
    as_gbuf_free(&ubuf);
}

void as_wr_dupres_free(dupres *r)
{
    free(r->members);
    free(r->starts);
    free(r->mapdoc);
    free(r->mapgroup);
    memset(r, 0, sizeof *r);
}

