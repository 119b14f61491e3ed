/*
 * fuzz_index.c — libFuzzer target: a valid small generation with one file
 * damaged, opened and queried.  It must end in a clean error or in the
 * right answers: never a crash, a hang or an out-of-bounds read.
 *
 * LLVMFuzzerInitialize builds the generation (fz_build_generation: the two
 * bundled reports and a synthetic findings page), keeps its six files in
 * memory, copies them into a work directory and records the reference
 * answers: every fixed query's hits and every sentence's text.
 *
 * Input:
 *   byte 0    file = (b & 0x7f) % 6 (meta terms postings positions docs
 *             store); bit 7: repair the checksums after damaging, so that
 *             the decoders behind them see the damage ("fixed" mode)
 *   then ops of 5 bytes { op, pos0, pos1, pos2, val }, pos = 24-bit
 *   little-endian position modulo the current length:
 *     op % 6 == 0  xor the byte at pos with val (0 -> 0xff)
 *              1   set the byte at pos to val
 *              2   truncate at pos
 *              3   append val + 1 bytes of value val
 *              4   set the u32 at pos to one of a few edge values
 *              5   copy 4 bytes from offset val * 4 to pos
 * In fixed mode the ops apply to the header and body only (the checksum
 * table and footer are rebuilt after them, with the header's body length
 * updated); otherwise to the whole file as stored.
 *
 * Checked, beyond "no sanitizer report":
 *   - raw mode, bytes changed: opening or as_index_verify fails (every
 *     byte of a generation is covered by a checksum or the size check);
 *   - raw mode: whatever succeeds gives the reference answer (hits with
 *     their weights, sentence texts), since every page read is checked;
 *   - any mode: errors are AS_ECORRUPT/AS_EFORMAT/AS_ENOMEM/AS_EIO...
 *     with a message, cursors ascend within ndocs, dups include the doc.
 */
#include "fuzz_common.h"

#include "engine.h"
#include "index.h"
#include "query.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define NFILES 6
#define MAX_DOCS_CHECKED 4000
#define MAX_CURSOR_STEPS 200000

static const char *const file_names[NFILES] = {"meta",      "terms", "postings",
                                               "positions", "docs",  "store"};
static const char *const queries[] = {
    "care", "\"direct payments\" OR reablement", "safeguard*", "SAR learning", "co-production",
    "care -support", "score:<=2 advocacy", "council:kent kind:commitment people",
    "learning (complaints OR feedback)", "TEC DoLS year:2024 statement:3"};
#define NQUERIES (sizeof queries / sizeof *queries)

typedef struct refq {
    int rc;
    as_hits hits;
} refq;

static char workdir[4300];
static char *orig[NFILES];
static size_t origlen[NFILES];
static as_analyzer *an;
static refq ref[NQUERIES];
static char **ref_text;   /* per doc, malloc'd */
static uint32_t ref_ndocs;

/* ---- lexicon over an open index (as the searcher wires it) ------------- */

typedef struct adapter {
    int (*fn)(void *arg, const char *term, size_t len);
    void *arg;
} adapter;

static int adapter_cb(void *arg, const char *term, size_t len, const as_term *info)
{
    (void)info;
    adapter *a = arg;
    return a->fn(a->arg, term, len);
}

static int index_each_prefix(void *ctx, const char *prefix, size_t plen,
                             int (*fn)(void *arg, const char *term, size_t len), void *arg)
{
    adapter a = {fn, arg};
    return as_index_each_term(ctx, prefix, plen, adapter_cb, &a);
}

static void write_file(const char *name, const char *b, size_t n)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", workdir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    FZ_CHECK(fd >= 0, "cannot write %s", path);
    size_t at = 0;
    while (at < n) {
        ssize_t w = write(fd, b + at, n - at);
        FZ_CHECK(w > 0, "write %s", path);
        at += (size_t)w;
    }
    close(fd);
}

/* Runs query i; AS_OK with *out filled, or the failing status. */
static int run_query(as_index *ix, as_engine *eng, size_t i, as_hits *out)
{
    as_lexicon lex = {ix, index_each_prefix, as_index_acronyms(ix)};
    as_query *q = NULL;
    as_err err = {0};
    int rc = as_query_parse(queries[i], strlen(queries[i]), an, &lex, NULL, &q, &err);
    if (rc == AS_OK) {
        as_search_opts so;
        as_search_opts_default(&so);
        so.limit = 20;
        so.want_total = 1;
        rc = as_engine_search(eng, q, &so, out);
        if (rc == AS_OK && out->n && q->root) {
            as_contrib *c = NULL;
            size_t nc = 0;
            int erc = as_engine_explain(eng, q, &so, out->hits[0].doc, &c, &nc);
            FZ_CHECK(erc == AS_OK || erc == AS_ECORRUPT, "explain: %d", erc);
            free(c);
        }
    }
    as_query_free(q);
    return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[4096], base[4200];
    as_err err = {0};
    FZ_CHECK(as_analyzer_new(&an) == AS_OK, "as_analyzer_new");
    FZ_CHECK(fz_tempdir("fuzz_index", dir, sizeof dir) == 0, "temp dir");
    snprintf(base, sizeof base, "%s/base", dir);
    snprintf(workdir, sizeof workdir, "%s/work", dir);
    FZ_CHECK(fz_build_generation(base, &err) == AS_OK, "building the index: %s", err.msg);
    FZ_CHECK(mkdir(workdir, 0755) == 0, "mkdir %s", workdir);
    for (int f = 0; f < NFILES; f++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", base, file_names[f]);
        FZ_CHECK(fz_read_file(path, &orig[f], &origlen[f]) == 0, "reading %s", path);
        write_file(file_names[f], orig[f], origlen[f]);
    }
    as_index *ix = NULL;
    as_engine *eng = NULL;
    FZ_CHECK(as_index_open_gen(workdir, &ix, &err) == AS_OK, "open: %s", err.msg);
    FZ_CHECK(as_index_verify(ix, &err) == AS_OK, "verify: %s", err.msg);
    FZ_CHECK(as_engine_new(ix, &eng) == AS_OK, "as_engine_new");
    for (size_t i = 0; i < NQUERIES; i++) {
        ref[i].rc = run_query(ix, eng, i, &ref[i].hits);
        FZ_CHECK(ref[i].rc == AS_OK, "reference query %s: %d", queries[i], ref[i].rc);
    }
    FZ_CHECK(ref[0].hits.n == 20 && ref[0].hits.total > 128, "'care' should be common");
    ref_ndocs = as_index_ndocs(ix);
    ref_text = calloc(ref_ndocs, sizeof *ref_text);
    FZ_CHECK(ref_text, "calloc");
    as_docbuf db = {0};
    for (uint32_t d = 0; d < ref_ndocs; d++) {
        as_docrec r;
        FZ_CHECK(as_index_doc(ix, d, &db, &r) == AS_OK, "doc %u", d);
        ref_text[d] = strdup(r.text);
    }
    as_docbuf_free(&db);
    fprintf(stderr, "fuzz_index: base generation of %u sentences, %llu terms; bytes:", ref_ndocs,
            (unsigned long long)as_index_nterms(ix));
    for (int f = 0; f < NFILES; f++)
        fprintf(stderr, " %s %zu", file_names[f], origlen[f]);
    fputc('\n', stderr);
    as_engine_free(eng);
    as_index_close(ix);
    return 0;
}

/* ---- damage ------------------------------------------------------------- */

static void put32(char *p, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        p[k] = (char)(v >> (8 * k));
}

static uint32_t get32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

/* Applies the ops to b (of *n bytes, capacity cap); returns the new buffer. */
static char *apply_ops(char *b, size_t *n, const uint8_t *ops, size_t nops)
{
    static const uint32_t edge[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fffffff,
                                    0x80000000u, 0xfffffffeu, 0xffffffffu};
    for (size_t k = 0; k < nops; k++) {
        const uint8_t *o = ops + 5 * k;
        size_t len = *n;
        size_t pos = len ? (o[1] | (size_t)o[2] << 8 | (size_t)o[3] << 16) % len : 0;
        uint8_t val = o[4];
        switch (o[0] % 6) {
        case 0:
            if (len)
                b[pos] = (char)(b[pos] ^ (val ? val : 0xff));
            break;
        case 1:
            if (len)
                b[pos] = (char)val;
            break;
        case 2:
            *n = pos;
            break;
        case 3: {
            char *g = realloc(b, len + (size_t)val + 1);
            FZ_CHECK(g, "realloc");
            b = g;
            memset(b + len, val, (size_t)val + 1);
            *n = len + (size_t)val + 1;
            break;
        }
        case 4:
            if (len >= 4) {
                if (pos > len - 4)
                    pos = len - 4;
                put32(b + pos, edge[val % (sizeof edge / sizeof *edge)]);
            }
            break;
        case 5:
            if (len >= 4) {
                size_t from = ((size_t)val * 4) % (len - 3);
                if (pos > len - 4)
                    pos = len - 4;
                memmove(b + pos, b + from, 4);
            }
            break;
        }
    }
    return b;
}

/* Fixed mode: b holds header + body (n bytes); appends what makes the file
 * pass every checksum again. */
static char *repair(char *b, size_t *n, int meta)
{
    if (*n < 32)
        return b;
    uint64_t body = *n - 32;
    for (int k = 0; k < 8; k++)
        b[16 + k] = (char)(body >> (8 * k));
    if (meta) {
        char *g = realloc(b, *n + 4);
        FZ_CHECK(g, "realloc");
        put32(g + *n, (uint32_t)crc32(0, (const Bytef *)g, (uInt)*n));
        *n += 4;
        return g;
    }
    uint32_t pl = get32(b + 8);
    if (pl < 6 || pl > 24)
        return b; /* the reader refuses it anyway */
    uint64_t page = (uint64_t)1 << pl;
    uint64_t npages = (body + page - 1) / page;
    char *g = realloc(b, *n + 4 * npages + 4);
    FZ_CHECK(g, "realloc");
    for (uint64_t p = 0; p < npages; p++) {
        uint64_t st = p * page, ln = body - st < page ? body - st : page;
        put32(g + *n + 4 * p, (uint32_t)crc32(0, (const Bytef *)g + 32 + st, (uInt)ln));
    }
    put32(g + *n + 4 * npages, (uint32_t)crc32(0, (const Bytef *)g, 32));
    *n += 4 * npages + 4;
    return g;
}

/* ---- checks on the damaged index ---------------------------------------- */

static int clean_error(int rc)
{
    return rc == AS_ECORRUPT || rc == AS_EFORMAT || rc == AS_ENOMEM || rc == AS_EIO
           || rc == AS_ENOTFOUND || rc == AS_ELIMIT;
}

typedef struct walk {
    as_index *ix;
    size_t steps, terms;
    uint32_t ndocs;
} walk;

static int term_cb(void *arg, const char *term, size_t len, const as_term *info)
{
    walk *w = arg;
    FZ_CHECK(len >= 1 && len <= 255, "term of %zu bytes", len);
    (void)term;
    if (++w->terms > 5000 || w->steps > MAX_CURSOR_STEPS)
        return 1;
    as_pcur c;
    as_pcur_init(&c, w->ix, info);
    uint32_t prev = 0;
    int first = 1;
    while (c.doc != AS_DOC_END && w->steps++ < MAX_CURSOR_STEPS) {
        FZ_CHECK(c.doc < w->ndocs, "cursor doc %u of %u", c.doc, w->ndocs);
        FZ_CHECK(first || c.doc > prev, "cursor doc %u after %u", c.doc, prev);
        FZ_CHECK(c.wdf >= 1, "wdf 0");
        if (w->steps % 3 == 0) {
            const uint32_t *pos;
            uint32_t np;
            if (as_pcur_positions(&c, &pos, &np) == AS_OK)
                FZ_CHECK(np == c.wdf, "%u positions for wdf %u", np, c.wdf);
        }
        prev = c.doc;
        first = 0;
        if (w->steps % 7 == 0) {
            uint32_t target = c.doc + 1 + (uint32_t)(w->steps % 200);
            uint32_t bl = as_pcur_seek_block(&c, target);
            FZ_CHECK(bl == AS_DOC_END || bl == c.block_last, "seek_block returned %u, block_last %u",
                     bl, c.block_last);
            as_pcur_seek(&c, target);
            FZ_CHECK(c.doc == AS_DOC_END || c.doc >= target, "seek to %u gave %u", target, c.doc);
        } else {
            as_pcur_next(&c);
        }
    }
    as_pcur_release(&c);
    return 0;
}

static void probe(as_index *ix, int raw)
{
    as_err err = {0};
    as_engine *eng = NULL;
    if (as_engine_new(ix, &eng) != AS_OK)
        return;
    for (size_t i = 0; i < NQUERIES; i++) {
        as_hits h = {0};
        int rc = run_query(ix, eng, i, &h);
        FZ_CHECK(rc == AS_OK || clean_error(rc) || rc == AS_EINVAL || rc == AS_ESYNTAX,
                 "query %s returned %d", queries[i], rc);
        if (rc == AS_OK && raw) {
            const as_hits *r = &ref[i].hits;
            FZ_CHECK(h.n == r->n && h.total == r->total,
                     "raw damage, query %s succeeded with %zu hits (total %llu), reference "
                     "%zu (%llu)",
                     queries[i], h.n, (unsigned long long)h.total, r->n,
                     (unsigned long long)r->total);
            for (size_t k = 0; k < h.n; k++)
                FZ_CHECK(h.hits[k].doc == r->hits[k].doc && h.hits[k].weight == r->hits[k].weight,
                         "raw damage, query %s hit %zu differs", queries[i], k);
        }
        if (rc == AS_OK)
            for (size_t k = 0; k < h.n; k++)
                FZ_CHECK(h.hits[k].doc < as_index_ndocs(ix) && isfinite(h.hits[k].weight),
                         "hit %zu: doc %u weight %g", k, h.hits[k].doc, h.hits[k].weight);
        if (rc != AS_OK && rc != AS_EINVAL && rc != AS_ENOTFOUND)
            FZ_CHECK(as_engine_errmsg(eng)[0] || as_index_errmsg(ix)[0], "error %d without message",
                     rc);
        as_hits_free(&h);
    }
    as_engine_free(eng);

    uint32_t ndocs = as_index_ndocs(ix);
    as_docbuf db = {0};
    /* Every 5th sentence and the last: reading one walks its store block
     * from the start, so the records between are decoded too. */
    for (uint32_t d = 0; d < ndocs && d < MAX_DOCS_CHECKED;
         d = d + 5 < ndocs || d + 1 == ndocs ? d + 5 : ndocs - 1) {
        as_docrec r;
        int rc = as_index_doc(ix, d, &db, &r);
        FZ_CHECK(rc == AS_OK || clean_error(rc), "as_index_doc %u returned %d", d, rc);
        if (rc == AS_OK) {
            FZ_CHECK(r.text && r.section, "doc %u without text", d);
            FZ_CHECK(r.kind >= 0 && r.kind < AS_NKINDS, "doc %u kind %d", d, r.kind);
            if (raw)
                FZ_CHECK(d < ref_ndocs && strcmp(r.text, ref_text[d]) == 0,
                         "raw damage, doc %u read back different text", d);
        }
        int k = as_index_kind(ix, d);
        FZ_CHECK(k >= 0 && k < AS_NKINDS, "as_index_kind %d", k);
        (void)as_index_doclen(ix, d);
        const uint32_t *m;
        uint32_t nm = 0;
        as_index_dups(ix, d, &m, &nm);
        FZ_CHECK(nm >= 1, "doc %u: empty duplicate group", d);
        if (nm <= 100000) {
            int self = 0;
            for (uint32_t j = 0; j < nm; j++)
                self |= m[j] == d;
            (void)self; /* checked at open or by verify; reading it is the test here */
        }
        uint32_t u = as_index_unit_of(ix, d);
        if (u != AS_NONE && u < as_index_nunits(ix))
            (void)as_index_unit(ix, u);
    }
    as_docbuf_free(&db);
    for (uint32_t f = 0; f < as_index_nfiles(ix) && f < 1000; f++) {
        as_file_state fs;
        if (as_index_file(ix, f, &fs) == AS_OK)
            FZ_CHECK(fs.path && fs.display, "file %u without path", f);
    }
    for (uint32_t c = 0; c < as_index_ncouncils(ix) && c < 1000; c++)
        FZ_CHECK(as_index_council(ix, c), "council %u NULL", c);
    const as_acrotab *at = as_index_acronyms(ix);
    for (size_t i = 0; at && i < as_acrotab_size(at) && i < 1000; i++)
        FZ_CHECK(as_acrotab_get(at, i), "acronym %zu", i);

    walk w = {ix, 0, 0, ndocs};
    int rc = as_index_each_term(ix, "", 0, term_cb, &w);
    FZ_CHECK(rc == 0 || rc == 1 || clean_error(rc), "each_term returned %d", rc);
    as_term t;
    rc = as_index_find_term(ix, "care", 4, &t);
    FZ_CHECK(rc == AS_OK || clean_error(rc), "find_term returned %d", rc);
    (void)err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int f = (data[0] & 0x7f) % NFILES;
    int fixed = data[0] >> 7;
    size_t nops = (size - 1) / 5;
    const uint8_t *ops = data + 1;

    size_t n = origlen[f];
    if (fixed) {
        /* header + body only: the stored body length says where it ends */
        uint64_t body = 0;
        for (int k = 0; k < 8; k++)
            body |= (uint64_t)(unsigned char)orig[f][16 + k] << (8 * k);
        n = 32 + (size_t)body;
    }
    char *b = malloc(n ? n : 1);
    FZ_CHECK(b, "malloc");
    memcpy(b, orig[f], n);
    b = apply_ops(b, &n, ops, nops);
    if (fixed)
        b = repair(b, &n, f == 0);
    int changed = n != origlen[f] || memcmp(b, orig[f], n) != 0;
    write_file(file_names[f], b, n);
    free(b);

    as_index *ix = NULL;
    as_err err = {0};
    int rc = as_index_open_gen(workdir, &ix, &err);
    FZ_CHECK(rc == AS_OK || clean_error(rc), "open returned %d (%s)", rc, err.msg);
    if (rc != AS_OK) {
        FZ_CHECK(!ix && err.msg[0], "failed open left an index or no message");
    } else {
        int raw = !fixed;
        /* Queries first: verify would mark the index damaged before they
         * reach the damage themselves. */
        probe(ix, raw);
        as_err verr = {0};
        int vrc = as_index_verify(ix, &verr);
        FZ_CHECK(vrc == AS_OK || clean_error(vrc), "verify returned %d", vrc);
        if (vrc != AS_OK)
            FZ_CHECK(verr.msg[0], "verify failed without a message");
        if (raw && changed)
            FZ_CHECK(vrc != AS_OK, "%s: raw damage passed open and verify", file_names[f]);
        if (!changed)
            FZ_CHECK(as_index_status(ix) == AS_OK && vrc == AS_OK, "undamaged index reported %s",
                     as_index_errmsg(ix));
        as_index_close(ix);
    }
    write_file(file_names[f], orig[f], origlen[f]);
    return 0;
}
