/*
 * index.c — Opening a generation of the native index (format.h), page
 * checksums on first touch, the sticky damage report, and the small
 * per-sentence facts: columns, units, councils, files, acronyms, duplicate
 * groups; and the full verification that walks every byte.
 *
 * Open reads meta whole (small) and maps the other files, checking only
 * their headers and sizes: ~1 ms whatever the index size.  Everything else
 * is checked page by page when first read (ix_need in ixint.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc.h"
#include "ixint.h"
#include "varint.h"

const char *const as_ix_file_names[IXF_N] = {"terms", "postings", "positions", "docs",
                                             "store"};
const char *const as_ix_file_magic[IXF_N] = {AS_MAGIC_TERMS, AS_MAGIC_POSTINGS,
                                             AS_MAGIC_POSITIONS, AS_MAGIC_DOCS,
                                             AS_MAGIC_STORE};

/* What as_index_unit returns for a unit it cannot trust (a constant, not
 * state): no docs, no council. */
static const as_unit empty_unit = {0, 0, 0, AS_NONE, 0, 0, 0, 0, 0};

_Static_assert(sizeof(as_unit) == AS_UNIT_SIZE, "as_unit is the on-disk unit record");
_Static_assert(offsetof(as_unit, statement) == 16 && offsetof(as_unit, published) == 20,
               "as_unit is the on-disk unit record");

/* ---- Damage -------------------------------------------------------------- */

int as_ix_corrupt(const as_index *cix, int f, const char *fmt, ...)
{
    as_index *ix = (as_index *)cix; /* the report is the one mutable part */
    int expect = 0;
    if (atomic_compare_exchange_strong(&ix->msgclaim, &expect, 1)) {
        char tail[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(tail, sizeof tail, fmt, ap);
        va_end(ap);
        snprintf(ix->msg, sizeof ix->msg, "%s/%s: %s", ix->dir ? ix->dir : "?",
                 f >= 0 && f < IXF_N ? as_ix_file_names[f] : "meta", tail);
        atomic_store(&ix->msgready, 1);
    }
    atomic_store(&ix->status, AS_ECORRUPT);
    return AS_ECORRUPT;
}

int as_index_status(const as_index *ix)
{
    return ix ? atomic_load(&((as_index *)ix)->status) : AS_EINVAL;
}

const char *as_index_errmsg(const as_index *ix)
{
    if (!ix)
        return "no index";
    if (atomic_load(&((as_index *)ix)->msgready))
        return ix->msg;
    return atomic_load(&((as_index *)ix)->status) != AS_OK ? "corrupt index" : "";
}

int as_ix_check_pages(const as_index *ix, int f, uint64_t p0, uint64_t p1)
{
    const ixfile *x = &ix->f[f];
    uint64_t page = (uint64_t)1 << x->page_log2;
    for (uint64_t p = p0; p <= p1; p++) {
        uint32_t bits = atomic_load_explicit(&x->ok[p >> 5], memory_order_acquire);
        if (bits >> (p & 31) & 1)
            continue;
        uint64_t start = p << x->page_log2;
        uint64_t len = x->len - start < page ? x->len - start : page;
        uint32_t crc = as_crc32(0, x->body + start, (size_t)len);
        if (crc != le32(x->crcs + 4 * p))
            return as_ix_corrupt(ix, f, "page %llu (bytes %llu..%llu): checksum mismatch",
                                 (unsigned long long)p, (unsigned long long)start,
                                 (unsigned long long)(start + len - 1));
        atomic_fetch_or_explicit(&((ixfile *)x)->ok[p >> 5], 1u << (p & 31),
                                 memory_order_release);
    }
    return AS_OK;
}

/* ---- Opening --------------------------------------------------------------- */

static int format_error(as_err *err, const char *path, uint32_t v)
{
    return as_err_set(err, AS_EFORMAT,
                      "%s: index format %u, this program reads %u: rebuild with "
                      "assess-index --rebuild",
                      path, v, AS_FORMAT_VERSION);
}

static int open_error(as_err *err, const char *path)
{
    int code = errno == ENOENT || errno == ENOTDIR ? AS_ENOTFOUND : AS_EIO;
    return as_err_set(err, code, "%s: %s", path, strerror(errno));
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", a, b);
    return p;
}

static int open_paged(as_index *ix, int f, as_err *err)
{
    ixfile *x = &ix->f[f];
    char *path = join(ix->dir, as_ix_file_names[f]);
    if (!path)
        return as_err_set(err, AS_ENOMEM, "out of memory");
    int rc = AS_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        rc = open_error(err, path);
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        rc = open_error(err, path);
        goto out;
    }
    if (st.st_size < AS_HEADER_SIZE + 4) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: truncated (%lld bytes)", path,
                        (long long)st.st_size);
        goto out;
    }
    x->maplen = (size_t)st.st_size;
    void *m = mmap(NULL, x->maplen, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        rc = open_error(err, path);
        goto out;
    }
    x->map = m;
    const uint8_t *h = x->map;
    if (memcmp(h, as_ix_file_magic[f], 4) != 0) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: not an index file of this kind", path);
        goto out;
    }
    if (le32(h + 4) != AS_FORMAT_VERSION) {
        rc = format_error(err, path, le32(h + 4));
        goto out;
    }
    if (as_crc32(0, h, AS_HEADER_SIZE) != le32(h + x->maplen - 4)) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: header checksum mismatch", path);
        goto out;
    }
    x->page_log2 = le32(h + 8);
    x->len = le64(h + 16);
    if (x->page_log2 < 6 || x->page_log2 > 24 || x->len > x->maplen) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: bad header", path);
        goto out;
    }
    x->npages = (x->len + ((uint64_t)1 << x->page_log2) - 1) >> x->page_log2;
    uint64_t want = AS_HEADER_SIZE + x->len + 4 * x->npages + 4;
    if (want != x->maplen) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: %s (%zu bytes, expected %llu)", path,
                        x->maplen < want ? "truncated" : "wrong size", x->maplen,
                        (unsigned long long)want);
        goto out;
    }
    x->body = h + AS_HEADER_SIZE;
    x->crcs = x->body + x->len;
    x->ok = calloc((size_t)(x->npages / 32 + 1), sizeof *x->ok);
    if (!x->ok)
        rc = as_err_set(err, AS_ENOMEM, "out of memory");
out:
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

static int read_meta(as_index *ix, as_err *err)
{
    char *path = join(ix->dir, "meta");
    if (!path)
        return as_err_set(err, AS_ENOMEM, "out of memory");
    int rc = AS_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = open_error(err, path);
        goto out;
    }
    if (st.st_size < AS_HEADER_SIZE + 4 || st.st_size > ((off_t)1 << 31)) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: truncated or oversized (%lld bytes)", path,
                        (long long)st.st_size);
        goto out;
    }
    ix->metalen = (size_t)st.st_size;
    ix->meta = malloc(ix->metalen);
    if (!ix->meta) {
        rc = as_err_set(err, AS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t got = 0; got < ix->metalen;) {
        ssize_t k = read(fd, ix->meta + got, ix->metalen - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            rc = open_error(err, path);
            goto out;
        }
        got += (size_t)k;
    }
    const uint8_t *h = ix->meta;
    if (memcmp(h, AS_MAGIC_META, 4) != 0) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: not an index meta file", path);
        goto out;
    }
    if (le32(h + 4) != AS_FORMAT_VERSION) {
        rc = format_error(err, path, le32(h + 4));
        goto out;
    }
    uint64_t blen = le64(h + 16);
    if (blen != ix->metalen - AS_HEADER_SIZE - 4) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: truncated", path);
        goto out;
    }
    if (as_crc32(0, h, ix->metalen - 4) != le32(h + ix->metalen - 4)) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: checksum mismatch", path);
        goto out;
    }
    const uint8_t *b = h + AS_HEADER_SIZE;
    if (blen < 8 * MF_COUNT) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: too short", path);
        goto out;
    }
    for (int i = 0; i < MF_COUNT; i++)
        ix->mf[i] = le64(b + 8 * i);
    if (ix->mf[MF_ANALYZER] != AS_ANALYZER_VERSION) {
        rc = as_err_set(err, AS_EFORMAT,
                        "%s: built by analyzer version %llu, this program's is %u: rebuild "
                        "with assess-index --rebuild",
                        path, (unsigned long long)ix->mf[MF_ANALYZER], AS_ANALYZER_VERSION);
        goto out;
    }
    uint64_t cl = ix->mf[MF_COUNCILS_LEN], al = ix->mf[MF_ACRO_LEN];
    if (cl > blen || al > blen || 8 * MF_COUNT + cl + al != blen) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: inconsistent lengths", path);
        goto out;
    }
    /* councils */
    uint64_t nc = ix->mf[MF_NCOUNCILS];
    if (nc > cl) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: council table", path);
        goto out;
    }
    ix->councils = calloc((size_t)nc + 1, sizeof *ix->councils);
    if (!ix->councils) {
        rc = as_err_set(err, AS_ENOMEM, "out of memory");
        goto out;
    }
    const uint8_t *p = b + 8 * MF_COUNT, *cend = p + cl;
    for (uint64_t i = 0; i < nc; i++) {
        const uint8_t *z = memchr(p, 0, (size_t)(cend - p));
        if (!z) {
            rc = as_err_set(err, AS_ECORRUPT, "%s: council table", path);
            goto out;
        }
        ix->councils[i] = (const char *)p;
        p = z + 1;
    }
    if (p != cend) {
        rc = as_err_set(err, AS_ECORRUPT, "%s: council table", path);
        goto out;
    }
    /* acronyms: stored mined table + the program's curated one */
    as_err e = {0};
    if (al > 0)
        rc = as_acrotab_deserialize(&ix->acro, (const char *)cend, (size_t)al, &e);
    else
        rc = as_acrotab_new(&ix->acro);
    if (rc == AS_OK)
        rc = as_acrotab_add_curated(ix->acro);
    if (rc != AS_OK)
        as_err_set(err, rc, "%s: acronym table: %s", path, e.msg[0] ? e.msg : as_strerror(rc));
out:
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

/* Does [off, off + n * size) fit in len? */
static int fits(uint64_t off, uint64_t n, uint64_t size, uint64_t len)
{
    if (off > len || (size && n > (len - off) / size))
        return 0;
    return 1;
}

static int check_layout(as_index *ix, as_err *err)
{
    const uint64_t *m = ix->mf;
    uint64_t dl = ix->f[IXF_DOCS].len;
    uint64_t nd = m[MF_NDOCS];
    int ok = nd < UINT32_MAX && m[MF_NUNITS] <= nd && m[MF_NDUPDOCS] <= nd &&
             m[MF_NGROUPS] <= m[MF_NDUPDOCS] && m[MF_NOVER] <= nd &&
             fits(m[MF_DOCLEN_OFF], nd, 2, dl) && fits(m[MF_KIND_OFF], nd, 1, dl) &&
             fits(m[MF_HASH_OFF], nd, 4, dl) && fits(m[MF_OVER_OFF], m[MF_NOVER], 8, dl) &&
             fits(m[MF_UNITS_OFF], m[MF_NUNITS], AS_UNIT_SIZE, dl) &&
             m[MF_UNITS_OFF] % 4 == 0 && m[MF_NFILES] < UINT32_MAX &&
             fits(m[MF_FILES_OFF], m[MF_NFILES], AS_FREC_SIZE, dl) &&
             fits(m[MF_STR_OFF], m[MF_STR_LEN], 1, dl) &&
             fits(m[MF_DUPMAP_OFF], m[MF_NDUPDOCS], 8, dl) &&
             fits(m[MF_GROUPS_OFF], m[MF_NGROUPS] + 1, 4, dl) && m[MF_GROUPS_OFF] % 4 == 0 &&
             fits(m[MF_MEMBERS_OFF], m[MF_NDUPDOCS], 4, dl) && m[MF_MEMBERS_OFF] % 4 == 0 &&
             m[MF_NCOUNCILS] < UINT32_MAX;
    if (!ok)
        return as_err_set(err, AS_ECORRUPT, "%s/docs: sections do not fit", ix->dir);
    uint64_t nt = m[MF_NTERMS], nb = m[MF_DICT_NBLOCKS];
    if (nb != (nt + AS_DICT_BLOCK - 1) / AS_DICT_BLOCK ||
        !fits(m[MF_DICT_BINDEX_OFF], nb, AS_DICT_BINDEX, ix->f[IXF_TERMS].len))
        return as_err_set(err, AS_ECORRUPT, "%s/terms: block index does not fit", ix->dir);
    if (m[MF_STORE_NBLOCKS] > nd ||
        !fits(m[MF_STORE_SINDEX_OFF], m[MF_STORE_NBLOCKS] + 1, AS_STORE_SINDEX,
              ix->f[IXF_STORE].len))
        return as_err_set(err, AS_ECORRUPT, "%s/store: block index does not fit", ix->dir);
    /* The vocab's entry after the block entries (format.h: store): one
     * page checked now, so every later read can trust where the vocab is. */
    uint64_t ve = m[MF_STORE_SINDEX_OFF] + AS_STORE_SINDEX * m[MF_STORE_NBLOCKS];
    if (ix_need(ix, IXF_STORE, ve, AS_STORE_SINDEX) != AS_OK)
        return as_err_set(err, AS_ECORRUPT, "%s", as_index_errmsg(ix));
    const uint8_t *e = ix->f[IXF_STORE].body + ve;
    ix->voc_off = le64(e);
    ix->voc_len = le64(e + 8);
    ix->voc_ntok = le32(e + 16);
    if (ix->voc_off > m[MF_STORE_SINDEX_OFF] || ix->voc_len > m[MF_STORE_SINDEX_OFF] - ix->voc_off ||
        ix->voc_len < 4 * ((uint64_t)ix->voc_ntok + 1) || le32(e + 20) != 0)
        return as_err_set(err, AS_ECORRUPT, "%s/store: vocab entry out of range", ix->dir);
    if (m[MF_POST_LEN] != ix->f[IXF_POSTINGS].len || m[MF_POS_LEN] != ix->f[IXF_POSITIONS].len)
        return as_err_set(err, AS_ECORRUPT, "%s: postings/positions sizes differ from meta",
                          ix->dir);
    return AS_OK;
}

int as_index_open_gen(const char *gendir, as_index **out, as_err *err)
{
    *out = NULL;
    as_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return as_err_set(err, AS_ENOMEM, "out of memory");
    ix->dir = strdup(gendir);
    if (!ix->dir) {
        free(ix);
        return as_err_set(err, AS_ENOMEM, "out of memory");
    }
    int rc = read_meta(ix, err);
    for (int f = 0; f < IXF_N && rc == AS_OK; f++)
        rc = open_paged(ix, f, err);
    if (rc == AS_OK)
        rc = check_layout(ix, err);
    if (rc == AS_OK) {
        ix->ndocs = (uint32_t)ix->mf[MF_NDOCS];
        ix->nident = ((size_t)ix->ndocs + 4095) / 4096;
        ix->ident = calloc(ix->nident + 1, sizeof *ix->ident);
        if (!ix->ident)
            rc = as_err_set(err, AS_ENOMEM, "out of memory");
    }
    if (rc != AS_OK) {
        as_index_close(ix);
        return rc;
    }
    *out = ix;
    return AS_OK;
}

int as_index_open(const char *indexdir, as_index **out, as_err *err)
{
    *out = NULL;
    char *cur = join(indexdir, "CURRENT");
    if (!cur)
        return as_err_set(err, AS_ENOMEM, "out of memory");
    int rc = AS_ENOTFOUND;
    char last[256] = "";
    /* A concurrent indexer may replace the generation between reading
     * CURRENT and opening it: then CURRENT names a newer one; try again. */
    for (int attempt = 0; attempt < 8; attempt++) {
        char name[256];
        FILE *fp = fopen(cur, "re");
        if (!fp) {
            rc = as_err_set(err, errno == ENOENT ? AS_ENOTFOUND : AS_EIO,
                            "%s: no index here (%s)", indexdir, strerror(errno));
            break;
        }
        size_t n = fread(name, 1, sizeof name - 1, fp);
        fclose(fp);
        name[n] = 0;
        while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == '\r' || name[n - 1] == ' '))
            name[--n] = 0;
        if (n == 0 || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
            rc = as_err_set(err, AS_ECORRUPT, "%s: CURRENT does not name a generation", indexdir);
            break;
        }
        char *gen = join(indexdir, name);
        if (!gen) {
            rc = as_err_set(err, AS_ENOMEM, "out of memory");
            break;
        }
        rc = as_index_open_gen(gen, out, err);
        free(gen);
        if (rc != AS_ENOTFOUND)
            break;
        if (strcmp(last, name) == 0 && attempt >= 2)
            break; /* CURRENT stays on a generation that is not there */
        snprintf(last, sizeof last, "%s", name);
        usleep(1000u << (attempt < 6 ? attempt : 6));
    }
    free(cur);
    return rc;
}

void as_index_close(as_index *ix)
{
    if (!ix)
        return;
    for (int f = 0; f < IXF_N; f++) {
        if (ix->f[f].map)
            munmap((void *)ix->f[f].map, ix->f[f].maplen);
        free((void *)ix->f[f].ok);
    }
    for (size_t i = 0; ix->ident && i < ix->nident; i++)
        free(atomic_load(&ix->ident[i]));
    free(atomic_load(&ix->dupidx));
    free(atomic_load(&ix->cunits));
    free(atomic_load(&ix->sunits));
    free(atomic_load(&ix->scunits));
    free((void *)ix->ident);
    as_acrotab_free(ix->acro);
    free(ix->councils);
    free(ix->meta);
    free(ix->dir);
    free(ix);
}

/* ---- Small facts ------------------------------------------------------------ */

const char *as_index_gen_dir(const as_index *ix) { return ix->dir; }
int64_t as_index_built(const as_index *ix) { return (int64_t)ix->mf[MF_BUILT]; }
uint32_t as_index_ndocs(const as_index *ix) { return ix->ndocs; }
uint64_t as_index_total_len(const as_index *ix) { return ix->mf[MF_TOTAL_LEN]; }
uint64_t as_index_nterms(const as_index *ix) { return ix->mf[MF_NTERMS]; }
uint32_t as_index_nunits(const as_index *ix) { return (uint32_t)ix->mf[MF_NUNITS]; }
uint32_t as_index_ncouncils(const as_index *ix) { return (uint32_t)ix->mf[MF_NCOUNCILS]; }
uint32_t as_index_nfiles(const as_index *ix) { return (uint32_t)ix->mf[MF_NFILES]; }
const as_acrotab *as_index_acronyms(const as_index *ix) { return ix->acro; }

const char *as_index_council(const as_index *ix, uint32_t c)
{
    return c < ix->mf[MF_NCOUNCILS] ? ix->councils[c] : NULL;
}

/* The slow path of as_index_doclen: a first touch of the page, a length
 * that straddles two pages, or one kept in the overflow table. */
static __attribute__((noinline)) uint32_t doclen_slow(const as_index *ix, uint32_t doc)
{
    uint64_t off = ix->mf[MF_DOCLEN_OFF] + 2 * (uint64_t)doc;
    if (ix_need(ix, IXF_DOCS, off, 2) != AS_OK)
        return 0;
    uint32_t v = le16(ix->f[IXF_DOCS].body + off);
    if (v != AS_DOCLEN_ESC)
        return v;
    /* rare: look the length up in the overflow table */
    uint64_t lo = 0, hi = ix->mf[MF_NOVER];
    const uint8_t *b = ix->f[IXF_DOCS].body;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2, o = ix->mf[MF_OVER_OFF] + 8 * mid;
        if (ix_need(ix, IXF_DOCS, o, 8) != AS_OK)
            return 0;
        uint32_t d = le32(b + o);
        if (d == doc)
            return le32(b + o + 4);
        if (d < doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    as_ix_corrupt(ix, IXF_DOCS, "doc %u: length missing from the overflow table", doc);
    return 0;
}

uint32_t as_index_doclen(const as_index *ix, uint32_t doc)
{
    if (doc >= ix->ndocs)
        return 0;
    /* The column lies inside the file (checked at open).  The engine asks
     * this for most candidates, so the common case, both bytes on one page
     * already checked and no escape, is a bit test and a load, in a
     * function that saves no registers (the rest is doclen_slow). */
    const ixfile *x = &ix->f[IXF_DOCS];
    uint64_t off = ix->mf[MF_DOCLEN_OFF] + 2 * (uint64_t)doc;
    uint64_t p0 = off >> x->page_log2;
    if (p0 == (off + 1) >> x->page_log2 &&
        (atomic_load_explicit(&x->ok[p0 >> 5], memory_order_acquire) >> (p0 & 31) & 1)) {
        uint32_t v = le16(x->body + off);
        if (v != AS_DOCLEN_ESC)
            return v;
    }
    return doclen_slow(ix, doc);
}

int as_index_kind(const as_index *ix, uint32_t doc)
{
    if (doc >= ix->ndocs)
        return 0;
    /* inside the file (checked at open): a page already checked is a bit test */
    const ixfile *x = &ix->f[IXF_DOCS];
    uint64_t off = ix->mf[MF_KIND_OFF] + doc, p = off >> x->page_log2;
    if (!(atomic_load_explicit(&x->ok[p >> 5], memory_order_acquire) >> (p & 31) & 1) &&
        as_ix_check_pages(ix, IXF_DOCS, p, p) != AS_OK)
        return 0;
    return x->body[off] & 3;
}

uint32_t as_ix_hash(const as_index *ix, uint32_t doc)
{
    if (doc >= ix->ndocs)
        return 0;
    uint64_t off = ix->mf[MF_HASH_OFF] + 4 * (uint64_t)doc;
    if (ix_need(ix, IXF_DOCS, off, 4) != AS_OK)
        return 0;
    return le32(ix->f[IXF_DOCS].body + off);
}

/* Checks unit u's fields so callers may index with them. */
static const as_unit *unit_at(const as_index *ix, uint32_t u)
{
    uint64_t off = ix->mf[MF_UNITS_OFF] + (uint64_t)AS_UNIT_SIZE * u;
    if (ix_need(ix, IXF_DOCS, off, AS_UNIT_SIZE) != AS_OK)
        return NULL;
    const as_unit *p = (const as_unit *)(const void *)(ix->f[IXF_DOCS].body + off);
    if (p->first_doc > ix->ndocs || p->ndocs > ix->ndocs - p->first_doc ||
        p->file >= ix->mf[MF_NFILES] ||
        (p->council != AS_NONE && p->council >= ix->mf[MF_NCOUNCILS]) ||
        p->statement > AS_NSTATEMENTS || p->theme > 4 || p->score > 4) {
        as_ix_corrupt(ix, IXF_DOCS, "unit %u: fields out of range", u);
        return NULL;
    }
    return p;
}

const as_unit *as_index_unit(const as_index *ix, uint32_t u)
{
    const as_unit *p = u < ix->mf[MF_NUNITS] ? unit_at(ix, u) : NULL;
    return p ? p : &empty_unit;
}

const as_unit *as_index_units(const as_index *ix, uint32_t *n)
{
    uint64_t nu = ix->mf[MF_NUNITS];
    *n = 0;
    if (nu == 0 || ix_need(ix, IXF_DOCS, ix->mf[MF_UNITS_OFF], (uint64_t)AS_UNIT_SIZE * nu) != AS_OK)
        return NULL;
    *n = (uint32_t)nu;
    return (const as_unit *)(const void *)(ix->f[IXF_DOCS].body + ix->mf[MF_UNITS_OFF]);
}

uint32_t as_index_unit_of(const as_index *ix, uint32_t doc)
{
    uint32_t lo = 0, hi = (uint32_t)ix->mf[MF_NUNITS];
    if (doc >= ix->ndocs)
        return AS_NONE;
    /* the last unit with first_doc <= doc */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const as_unit *p = unit_at(ix, mid);
        if (!p)
            return AS_NONE;
        if (p->first_doc <= doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return AS_NONE;
    const as_unit *p = unit_at(ix, lo - 1);
    if (!p || doc - p->first_doc >= p->ndocs)
        return AS_NONE;
    return lo - 1;
}

/* The units of each value of a unit field (as_index_council_units,
 * as_index_statement_units, as_index_score_units): offsets o[0..nv] then
 * the unit numbers, value v's at o[v]..o[v + 1], ascending (a counting sort).  Units whose
 * value is nv or more (no council: AS_NONE) are in no list: no filter on
 * the field passes them.  Made on first use, published with a
 * compare-and-swap like dupidx; NULL with *rc set when the units' pages
 * are damaged or out of memory. */
enum { BY_COUNCIL, BY_STATEMENT, BY_SCORE };

static uint32_t unit_key(const as_unit *u, int by)
{
    return by == BY_COUNCIL ? u->council : by == BY_STATEMENT ? u->statement : u->score;
}

static inline __attribute__((always_inline)) const uint32_t *units_by(const as_index *ix, int by,
                                                                     uint32_t nv, int *rc)
{
    as_index *mix = (as_index *)ix; /* the index is made once, then only read */
    _Atomic(uint32_t *) *slot = by == BY_COUNCIL     ? &mix->cunits
                                : by == BY_STATEMENT ? &mix->sunits
                                                     : &mix->scunits;
    uint32_t *cu = atomic_load_explicit(slot, memory_order_acquire);
    *rc = AS_OK;
    if (cu)
        return cu;
    uint32_t nu = 0;
    const as_unit *u = as_index_units(ix, &nu);
    if (!u && ix->mf[MF_NUNITS] > 0) {
        *rc = AS_ECORRUPT;
        return NULL;
    }
    size_t words = (size_t)nv + 1 + nu;
    if (words < nu || words > SIZE_MAX / sizeof *cu || !(cu = malloc(words * sizeof *cu))) {
        *rc = AS_ENOMEM;
        return NULL;
    }
    /* only the counts start at zero: the lists' slots [0, o[nv]) are all
     * written below, one per unit with a value < nv; the slots after them
     * (units in no list) are never read */
    uint32_t *o = cu, *list = cu + (size_t)nv + 1;
    memset(o, 0, ((size_t)nv + 1) * sizeof *o);
    for (uint32_t i = 0; i < nu; i++)
        if (unit_key(&u[i], by) < nv)
            o[unit_key(&u[i], by) + 1]++;
    for (uint32_t v = 0; v < nv; v++)
        o[v + 1] += o[v];
    for (uint32_t i = 0; i < nu; i++) /* o[v] moves to the end of v's list */
        if (unit_key(&u[i], by) < nv)
            list[o[unit_key(&u[i], by)]++] = i;
    for (uint32_t v = nv; v > 0; v--) /* and back: o[v] = where v's list starts */
        o[v] = o[v - 1];
    o[0] = 0;
    uint32_t *expect = NULL;
    if (atomic_compare_exchange_strong(slot, &expect, cu))
        return cu;
    free(cu);
    return expect;
}

static inline __attribute__((always_inline)) int units_of(const as_index *ix, int by, uint32_t nv,
                                                         uint32_t v, const uint32_t **units,
                                                         uint32_t *n)
{
    *units = NULL;
    *n = 0;
    int rc;
    const uint32_t *cu = units_by(ix, by, nv, &rc);
    if (!cu)
        return rc;
    if (v >= nv)
        return AS_OK;
    *units = cu + (size_t)nv + 1 + cu[v];
    *n = cu[v + 1] - cu[v];
    return AS_OK;
}

int as_index_council_units(const as_index *ix, uint32_t c, const uint32_t **units, uint32_t *n)
{
    return units_of(ix, BY_COUNCIL, (uint32_t)ix->mf[MF_NCOUNCILS], c, units, n);
}

int as_index_statement_units(const as_index *ix, uint32_t s, const uint32_t **units, uint32_t *n)
{
    return units_of(ix, BY_STATEMENT, AS_NSTATEMENTS + 1, s, units, n);
}

int as_index_score_units(const as_index *ix, uint32_t s, const uint32_t **units, uint32_t *n)
{
    return units_of(ix, BY_SCORE, AS_IX_NSCORES, s, units, n);
}

/* File record f, with its strings checked. */
static int file_rec(const as_index *ix, uint32_t f, as_file_state *out, const uint8_t **acro,
                    size_t *acrolen)
{
    if (f >= ix->mf[MF_NFILES])
        return AS_ENOTFOUND;
    const uint8_t *b = ix->f[IXF_DOCS].body;
    uint64_t off = ix->mf[MF_FILES_OFF] + (uint64_t)AS_FREC_SIZE * f;
    if (ix_need(ix, IXF_DOCS, off, AS_FREC_SIZE) != AS_OK)
        return AS_ECORRUPT;
    const uint8_t *e = b + off;
    uint64_t pl = le32(e + 28), dl = le32(e + 32), al = le32(e + 36), so = le64(e + 40);
    uint64_t need = pl + 1 + dl + 1 + al;
    uint32_t first = le32(e + 20), nd = le32(e + 24);
    if (so > ix->mf[MF_STR_LEN] || need > ix->mf[MF_STR_LEN] - so || first > ix->ndocs ||
        nd > ix->ndocs - first)
        return as_ix_corrupt(ix, IXF_DOCS, "file %u: record out of range", f);
    uint64_t s = ix->mf[MF_STR_OFF] + so;
    if (ix_need(ix, IXF_DOCS, s, need) != AS_OK)
        return AS_ECORRUPT;
    if (b[s + pl] != 0 || b[s + pl + 1 + dl] != 0)
        return as_ix_corrupt(ix, IXF_DOCS, "file %u: strings not terminated", f);
    if (out) {
        out->size = le64(e);
        out->mtime_ns = (int64_t)le64(e + 8);
        out->crc32 = le32(e + 16);
        out->first_doc = first;
        out->ndocs = nd;
        out->path = (const char *)b + s;
        out->display = (const char *)b + s + pl + 1;
    }
    if (acro) {
        *acro = b + s + pl + 1 + dl + 1;
        *acrolen = (size_t)al;
    }
    return AS_OK;
}

int as_index_file(const as_index *ix, uint32_t f, as_file_state *out)
{
    return file_rec(ix, f, out, NULL, NULL);
}

int as_ix_file_acro(const as_index *ix, uint32_t f, const uint8_t **p, size_t *len)
{
    return file_rec(ix, f, NULL, p, len);
}

/* The bits after the run index: bit g set when duplicate group g's
 * members were checked (ascending, < ndocs, two or more), so that a later
 * lookup of one of them need not walk them all again (~175 members a
 * group at 1M sentences); NULL without a run index. */
static _Atomic uint32_t *dup_checked(const as_index *ix)
{
    uint32_t *idx = atomic_load_explicit(&((as_index *)ix)->dupidx, memory_order_acquire);
    if (!idx)
        return NULL;
    size_t nruns = ((size_t)ix->ndocs >> AS_IX_DUPIDX_SHIFT) + 1;
    return (_Atomic uint32_t *)(idx + nruns + 1);
}

/* The duplicate map's run index: entry r is the first map entry whose doc
 * is >= r << AS_IX_DUPIDX_SHIFT, so the docs of run r lie in entries
 * [idx[r], idx[r + 1]).  Most docs are in no group and the engine asks
 * for every candidate that can enter the top k, so a lookup must be cheap:
 * a bisection of the map with a page check per probe cost ~450
 * instructions (thirteen probes at 1M sentences); with the index a lookup
 * searches the few entries of one run of 256 docids.  Interpolating does
 * not help: the map's docs come in bunches (a unit's shared commitment
 * sentences), so estimates land a bunch away.  Made on first use (the map
 * is page-checked whole: 8 bytes a member, 38 KB at 1M sentences), one
 * u32 per 256 docs (16 KB at 1M), published with a compare-and-swap like
 * the identity chunks.  NULL on damage (recorded: a map out of order) or
 * when out of memory. */
static const uint32_t *dup_index(const as_index *ix)
{
    as_index *mix = (as_index *)ix; /* the index is made once, then only read */
    uint32_t *idx = atomic_load_explicit(&mix->dupidx, memory_order_acquire);
    if (idx)
        return idx;
    uint64_t nd = ix->mf[MF_NDUPDOCS];
    size_t nruns = ((size_t)ix->ndocs >> AS_IX_DUPIDX_SHIFT) + 1;
    size_t ngw = (size_t)(ix->mf[MF_NGROUPS] / 32 + 1); /* group bits (dup_checked) */
    if (ix_need(ix, IXF_DOCS, ix->mf[MF_DUPMAP_OFF], 8 * nd) != AS_OK)
        return NULL;
    uint32_t *mine = malloc((nruns + 1 + ngw) * sizeof *mine);
    if (!mine)
        return NULL;
    _Atomic uint32_t *bits = (_Atomic uint32_t *)(mine + nruns + 1);
    for (size_t w = 0; w < ngw; w++)
        atomic_init(&bits[w], 0);
    const uint8_t *m = ix->f[IXF_DOCS].body + ix->mf[MF_DUPMAP_OFF];
    size_t r = 0;
    for (uint64_t i = 0; i < nd; i++) {
        uint32_t d = le32(m + 8 * i);
        if (d >= ix->ndocs || (i > 0 && d <= le32(m + 8 * i - 8))) {
            free(mine);
            as_ix_corrupt(ix, IXF_DOCS, "duplicate map entry %llu out of order",
                          (unsigned long long)i);
            return NULL;
        }
        while (r <= (size_t)(d >> AS_IX_DUPIDX_SHIFT))
            mine[r++] = (uint32_t)i;
    }
    while (r <= nruns)
        mine[r++] = (uint32_t)nd;
    uint32_t *expect = NULL;
    if (atomic_compare_exchange_strong(&mix->dupidx, &expect, mine))
        return mine;
    free(mine);
    return expect;
}

/* The entry of the duplicate map holding doc: 1 with *at set, or 0. */
static int dup_find(const as_index *ix, uint32_t doc, uint64_t *at)
{
    uint64_t nd = ix->mf[MF_NDUPDOCS];
    if (nd == 0)
        return 0;
    const uint32_t *idx = dup_index(ix);
    const uint8_t *m = ix->f[IXF_DOCS].body + ix->mf[MF_DUPMAP_OFF];
    uint64_t lo = 0, hi = nd;
    if (idx) { /* the map is checked and ascending */
        size_t r = doc >> AS_IX_DUPIDX_SHIFT;
        lo = idx[r];
        hi = idx[r + 1];
    } else if (as_index_status(ix) != AS_OK) {
        return 0;
    } else if (ix_need(ix, IXF_DOCS, ix->mf[MF_DUPMAP_OFF], 8 * nd) != AS_OK) {
        return 0; /* out of memory for the index: bisect the whole map */
    }
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        uint32_t d = le32(m + 8 * mid);
        if (d == doc) {
            *at = mid;
            return 1;
        }
        if (d < doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* doc's duplicate group when it has one: 1 with *members, *n set; 0 for a
 * unique sentence, a doc out of range or damage (recorded). */
static int dup_group(const as_index *ix, uint32_t doc, const uint32_t **members, uint32_t *n)
{
    const uint8_t *b = ix->f[IXF_DOCS].body;
    uint64_t at;
    if (!dup_find(ix, doc, &at))
        return 0;
    uint64_t o = ix->mf[MF_DUPMAP_OFF] + 8 * at;
    if (ix_need(ix, IXF_DOCS, o, 8) != AS_OK)
        return 0;
    uint32_t g = le32(b + o + 4);
    uint64_t go = ix->mf[MF_GROUPS_OFF] + 4 * (uint64_t)g;
    if (g >= ix->mf[MF_NGROUPS] || ix_need(ix, IXF_DOCS, go, 8) != AS_OK) {
        as_ix_corrupt(ix, IXF_DOCS, "doc %u: bad duplicate group", doc);
        return 0;
    }
    uint32_t s = le32(b + go), e = le32(b + go + 4);
    uint64_t mo = ix->mf[MF_MEMBERS_OFF] + 4 * (uint64_t)s;
    if (s > e || e > ix->mf[MF_NDUPDOCS] ||
        ix_need(ix, IXF_DOCS, mo, 4 * (uint64_t)(e - s)) != AS_OK) {
        as_ix_corrupt(ix, IXF_DOCS, "duplicate group %u: bad members", g);
        return 0;
    }
    const uint32_t *m = (const uint32_t *)(const void *)(b + mo);
    /* callers index with these: ascending, < ndocs, doc among them */
    _Atomic uint32_t *checked = dup_checked(ix);
    int ok = 1, self = 0;
    if (checked && (atomic_load_explicit(&checked[g >> 5], memory_order_acquire) >> (g & 31) & 1)) {
        uint32_t lo = 0, hi = e - s; /* ascending: bisect for doc */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (m[mid] < doc)
                lo = mid + 1;
            else
                hi = mid;
        }
        self = lo < e - s && m[lo] == doc;
    } else {
        ok = e - s >= 2;
        for (uint32_t k = 0; k < e - s && ok; k++) {
            ok = m[k] < ix->ndocs && (k == 0 || m[k] > m[k - 1]);
            self |= m[k] == doc;
        }
        if (ok && checked)
            atomic_fetch_or_explicit(&checked[g >> 5], 1u << (g & 31), memory_order_release);
    }
    if (!ok || !self) {
        as_ix_corrupt(ix, IXF_DOCS, "duplicate group %u: bad members", g);
        return 0;
    }
    *members = m;
    *n = e - s;
    return 1;
}

uint32_t as_index_dup_first(const as_index *ix, uint32_t doc, uint32_t *n)
{
    const uint32_t *m;
    if (ix && doc < ix->ndocs && dup_group(ix, doc, &m, n))
        return m[0];
    *n = 1;
    return doc;
}

void as_index_dups(const as_index *ix, uint32_t doc, const uint32_t **members, uint32_t *n)
{
    *members = NULL;
    *n = 0;
    if (doc >= ix->ndocs || dup_group(ix, doc, members, n))
        return;
    /* A unique sentence: point at doc's own entry of an identity table,
     * made in chunks of 4096 on first use and kept until close (no
     * per-call or global storage, so any thread may call this). */
    size_t ci = doc >> 12;
    _Atomic(uint32_t *) *slot = &((as_index *)ix)->ident[ci];
    uint32_t *chunk = atomic_load_explicit(slot, memory_order_acquire);
    if (!chunk) {
        uint32_t *mine = malloc(4096 * sizeof *mine);
        if (!mine)
            return; /* *n == 0: out of memory */
        for (uint32_t i = 0; i < 4096; i++)
            mine[i] = (uint32_t)(ci << 12) + i;
        uint32_t *expect = NULL;
        if (atomic_compare_exchange_strong(slot, &expect, mine))
            chunk = mine;
        else {
            free(mine);
            chunk = expect;
        }
    }
    *members = &chunk[doc & 4095];
    *n = 1;
}

/* ---- Verification ------------------------------------------------------------ */

/* Copies the damage message (without the directory) into err. */
int as_ix_verr(const as_index *ix, as_err *err)
{
    const char *m = as_index_errmsg(ix);
    size_t dl = strlen(ix->dir);
    if (strncmp(m, ix->dir, dl) == 0 && m[dl] == '/')
        m += dl + 1;
    return as_err_set(err, AS_ECORRUPT, "%s", m);
}

static int verify_docs(const as_index *ix, uint32_t *doclens, as_err *err)
{
    const uint64_t *m = ix->mf;
    const uint8_t *b = ix->f[IXF_DOCS].body;
    uint64_t total = 0;
    for (uint32_t d = 0; d < ix->ndocs; d++) {
        doclens[d] = as_index_doclen(ix, d);
        total += doclens[d];
        if (ix_need(ix, IXF_DOCS, m[MF_KIND_OFF] + d, 1) == AS_OK &&
            b[m[MF_KIND_OFF] + d] >= AS_NKINDS)
            as_ix_corrupt(ix, IXF_DOCS, "doc %u: bad kind", d);
        if (as_index_status(ix) != AS_OK)
            return as_ix_verr(ix, err);
    }
    if (total != m[MF_TOTAL_LEN])
        return as_err_set(err, AS_ECORRUPT, "docs: lengths sum to %llu, meta says %llu",
                          (unsigned long long)total, (unsigned long long)m[MF_TOTAL_LEN]);
    uint32_t prev = 0;
    for (uint64_t i = 0; i < m[MF_NOVER]; i++) {
        uint64_t o = m[MF_OVER_OFF] + 8 * i;
        if (ix_need(ix, IXF_DOCS, o, 8) != AS_OK)
            return as_ix_verr(ix, err);
        uint32_t d = le32(b + o);
        if ((i > 0 && d <= prev) || d >= ix->ndocs || le32(b + o + 4) < AS_DOCLEN_ESC)
            return as_err_set(err, AS_ECORRUPT, "docs: overflow entry %llu",
                              (unsigned long long)i);
        prev = d;
    }
    /* files cover the docs exactly, in path order */
    uint32_t next = 0;
    const char *prevpath = NULL;
    for (uint32_t f = 0; f < m[MF_NFILES]; f++) {
        as_file_state fs;
        if (file_rec(ix, f, &fs, NULL, NULL) != AS_OK)
            return as_ix_verr(ix, err);
        if (fs.first_doc != next)
            return as_err_set(err, AS_ECORRUPT, "docs: file %u starts at doc %u, not %u", f,
                              fs.first_doc, next);
        if (prevpath && strcmp(prevpath, fs.path) >= 0)
            return as_err_set(err, AS_ECORRUPT, "docs: file %u out of path order", f);
        prevpath = fs.path;
        next += fs.ndocs;
    }
    if (next != ix->ndocs)
        return as_err_set(err, AS_ECORRUPT, "docs: files cover %u docs of %u", next, ix->ndocs);
    /* units cover the docs exactly, each inside its file */
    next = 0;
    for (uint32_t u = 0; u < m[MF_NUNITS]; u++) {
        const as_unit *p = unit_at(ix, u);
        as_file_state fs;
        if (!p)
            return as_ix_verr(ix, err);
        if (p->first_doc != next || p->ndocs == 0)
            return as_err_set(err, AS_ECORRUPT, "docs: unit %u starts at doc %u, not %u", u,
                              p->first_doc, next);
        if (file_rec(ix, p->file, &fs, NULL, NULL) != AS_OK)
            return as_ix_verr(ix, err);
        if (p->first_doc < fs.first_doc || p->first_doc + p->ndocs > fs.first_doc + fs.ndocs)
            return as_err_set(err, AS_ECORRUPT, "docs: unit %u outside its file %u", u, p->file);
        if (p->theme != as_statement_theme(p->statement))
            return as_err_set(err, AS_ECORRUPT, "docs: unit %u: theme does not match", u);
        next += p->ndocs;
    }
    if (next != ix->ndocs)
        return as_err_set(err, AS_ECORRUPT, "docs: units cover %u docs of %u", next, ix->ndocs);
    /* councils sorted and distinct */
    for (uint64_t c = 1; c < m[MF_NCOUNCILS]; c++)
        if (strcmp(ix->councils[c - 1], ix->councils[c]) >= 0)
            return as_err_set(err, AS_ECORRUPT, "meta: councils out of order");
    /* duplicate groups: map sorted, groups of >= 2, members map back */
    uint64_t nd = m[MF_NDUPDOCS], ng = m[MF_NGROUPS];
    if (ix_need(ix, IXF_DOCS, m[MF_DUPMAP_OFF], 8 * nd) != AS_OK ||
        ix_need(ix, IXF_DOCS, m[MF_GROUPS_OFF], 4 * (ng + 1)) != AS_OK ||
        ix_need(ix, IXF_DOCS, m[MF_MEMBERS_OFF], 4 * nd) != AS_OK)
        return as_ix_verr(ix, err);
    for (uint64_t i = 0; i < nd; i++) {
        const uint8_t *e = b + m[MF_DUPMAP_OFF] + 8 * i;
        if ((i > 0 && le32(e) <= le32(e - 8)) || le32(e) >= ix->ndocs || le32(e + 4) >= ng)
            return as_err_set(err, AS_ECORRUPT, "docs: duplicate map entry %llu",
                              (unsigned long long)i);
    }
    const uint8_t *gs = b + m[MF_GROUPS_OFF];
    if (le32(gs) != 0 || le32(gs + 4 * ng) != nd)
        return as_err_set(err, AS_ECORRUPT, "docs: duplicate groups do not cover the members");
    for (uint64_t g = 0; g < ng; g++) {
        uint32_t s = le32(gs + 4 * g), e = le32(gs + 4 * g + 4);
        if (e < s + 2 || e > nd)
            return as_err_set(err, AS_ECORRUPT, "docs: duplicate group %llu",
                              (unsigned long long)g);
        for (uint32_t k = s; k < e; k++) {
            const uint32_t *mem;
            uint32_t n;
            uint32_t d = le32(b + m[MF_MEMBERS_OFF] + 4 * (uint64_t)k);
            if (k > s && d <= le32(b + m[MF_MEMBERS_OFF] + 4 * (uint64_t)k - 4))
                return as_err_set(err, AS_ECORRUPT, "docs: duplicate group %llu not ascending",
                                  (unsigned long long)g);
            as_index_dups(ix, d, &mem, &n);
            if (n != e - s || mem != (const uint32_t *)(const void *)(b + m[MF_MEMBERS_OFF] + 4 * (uint64_t)s))
                return as_err_set(err, AS_ECORRUPT, "docs: doc %u not mapped to its group", d);
        }
    }
    return as_index_status(ix) == AS_OK ? AS_OK : as_ix_verr(ix, err);
}

int as_index_verify(const as_index *ix, as_err *err)
{
    if (as_index_status(ix) != AS_OK)
        return as_ix_verr(ix, err);
    /* every byte: all pages of all files */
    for (int f = 0; f < IXF_N; f++)
        if (ix->f[f].npages && as_ix_check_pages(ix, f, 0, ix->f[f].npages - 1) != AS_OK)
            return as_ix_verr(ix, err);
    uint32_t *doclens = malloc(((size_t)ix->ndocs + 1) * sizeof *doclens);
    if (!doclens)
        return as_err_set(err, AS_ENOMEM, "out of memory");
    int rc = verify_docs(ix, doclens, err);
    if (rc == AS_OK)
        rc = as_ix_store_verify(ix, err);
    if (rc == AS_OK)
        rc = as_ix_dict_verify(ix, doclens, err);
    free(doclens);
    if (rc == AS_OK && as_index_status(ix) != AS_OK)
        rc = as_ix_verr(ix, err);
    return rc;
}
