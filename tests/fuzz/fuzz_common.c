/*
 * fuzz_common.c — helpers shared by the fuzz targets (see fuzz_common.h):
 * building a small valid generation through the real reader, analyzer and
 * writer; a JSON validator; temp directories removed at exit.
 */
#include "fuzz_common.h"

#include "analyze.h"
#include "index.h"
#include "reader.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "."
#endif

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: invariant failed: %s: ", file, line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

const char *fz_srcdir(void)
{
    const char *s = getenv("AS_SRCDIR");
    return s && *s ? s : FUZZ_SRCDIR;
}

/* ---- temp dirs ---------------------------------------------------------- */

/* Directories to remove at exit (libFuzzer ends a timed run with exit()). */
static char *tempdirs[8];
static size_t ntempdirs;

void fz_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                fz_rmtree(p);
            else
                unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static void remove_tempdirs(void)
{
    for (size_t i = 0; i < ntempdirs; i++) {
        fz_rmtree(tempdirs[i]);
        free(tempdirs[i]);
    }
    ntempdirs = 0;
}

int fz_tempdir(const char *tag, char *buf, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if ((size_t)snprintf(buf, cap, "%s/%s.XXXXXX", tmp, tag) >= cap || !mkdtemp(buf))
        return -1;
    if (ntempdirs == 0)
        atexit(remove_tempdirs);
    if (ntempdirs < sizeof tempdirs / sizeof *tempdirs)
        tempdirs[ntempdirs++] = strdup(buf);
    return 0;
}

int fz_read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    while (b) {
        if (n == cap) {
            char *g = realloc(b, cap * 2);
            if (!g) {
                free(b);
                b = NULL;
                break;
            }
            b = g;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (!b || bad) {
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* ---- the generation ----------------------------------------------------- */

/* A findings page big enough to reach the parts of the format the two real
 * reports do not: "care" in more than AS_BLOCK_SIZE sentences (skip tables),
 * more than AS_STORE_BLOCK bytes of text (several store blocks), repeated
 * sentences (duplicate groups), three councils, every kind, acronyms,
 * compounds and numbers.  Deterministic. */
static char *synthetic_tsv(size_t *len)
{
    static const char *const words[] = {
        "care", "support", "learning", "safeguarding", "co-production", "strengths-based",
        "TEC", "reablement", "hoarding", "advocacy", "carers", "waiting", "lists",
        "68.42%", "2022/23", "direct", "payments", "Ombudsman", "DoLS", "people",
        "complaints", "feedback", "training", "North-East", "partnership", "Café"};
    static const char *const councils[] = {"Kent County Council", "Surrey County Council",
                                           "Council 003"};
    static const char *const kinds[] = {"finding", "finding", "finding", "commitment",
                                        "expectation", "heading"};
    size_t nw = sizeof words / sizeof *words;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    if (!b)
        return NULL;
    n += (size_t)snprintf(b, cap, "council\tstatement\tscore\tpublished\tkind\tsection\ttext\n");
    uint32_t x = 12345;
    for (unsigned row = 0; row < 320; row++) {
        char text[1024];
        size_t t = 0;
        if (row % 9 == 4) {
            t = (size_t)snprintf(text, sizeof text,
                                 "We work with people and partners to deliver care.");
        } else if (row == 17) {
            t = (size_t)snprintf(text, sizeof text,
                                 "Deprivation of Liberty Safeguards (DoLS) applications waited.");
        } else {
            unsigned nwords = 4 + row % 23;
            t = (size_t)snprintf(text, sizeof text, "Row %u", row);
            for (unsigned i = 0; i < nwords && t < sizeof text - 64; i++) {
                x = x * 1103515245u + 12345u;
                const char *w = (i == 1 && row % 2 == 0) ? "care" : words[(x >> 16) % nw];
                t += (size_t)snprintf(text + t, sizeof text - t, " %s", w);
            }
            t += (size_t)snprintf(text + t, sizeof text - t, ".");
        }
        if (n + t + 256 > cap) {
            char *g = realloc(b, cap * 2);
            if (!g) {
                free(b);
                return NULL;
            }
            b = g;
            cap *= 2;
        }
        n += (size_t)snprintf(b + n, cap - n, "%s\t%u\t%u\t2024-%02u-%02u\t%s\t%s\t%.*s\n",
                              councils[row % 3], 1 + row % 9, 1 + row % 4, 1 + row % 12,
                              1 + row % 28, kinds[row % 6],
                              row % 5 ? "Key findings" : "", (int)t, text);
    }
    *len = n;
    return b;
}

/* Adds one parsed page as one file of the generation. */
static int add_page(as_writer *w, as_analyzer *an, const char *path, const char *buf,
                    size_t len, const as_meta *manifest, uint32_t fileno, as_err *err)
{
    as_page *p = NULL;
    int rc = as_page_parse(path, buf, len, manifest, NULL, NULL, &p, err);
    if (rc != AS_OK)
        return rc;
    as_file_state fs = {0};
    fs.path = path;
    fs.display = path + 1;
    fs.size = len;
    fs.mtime_ns = 1700000000000000000LL + fileno;
    fs.crc32 = 0x1000u + fileno;
    as_acrotab *mined = NULL;
    rc = as_acrotab_new(&mined);
    if (rc == AS_OK)
        rc = as_writer_begin_file(w, &fs);
    for (size_t s = 0; rc == AS_OK && s < p->nsents; s++) {
        const as_sentence *se = &p->sents[s];
        size_t tl = strlen(se->text);
        const as_token *tk;
        size_t nt;
        rc = as_acrotab_mine(mined, se->text, tl);
        if (rc == AS_OK)
            rc = as_analyze(an, se->text, tl, &tk, &nt);
        if (rc == AS_OK) {
            as_doc_in d = {se->meta, se->text, se->section, se->kind,
                           se->line, se->paragraph, se->sentence, se->id};
            rc = as_writer_add(w, &d, tk, nt);
        }
    }
    if (rc == AS_OK)
        rc = as_writer_end_file(w, mined);
    if (rc != AS_OK)
        as_err_set(err, rc, "%s: %s", path, as_writer_errmsg(w));
    as_acrotab_free(mined);
    as_page_free(p);
    return rc;
}

int fz_build_generation(const char *gendir, as_err *err)
{
    static const char *const reports[] = {
        "corpus/durham-county-council/learning-improvement-and-innovation.txt",
        "corpus/lincolnshire-county-council/learning-improvement-and-innovation.txt"};
    if (mkdir(gendir, 0755) != 0)
        return as_err_set(err, AS_EIO, "%s: cannot create", gendir);
    as_analyzer *an = NULL;
    as_writer *w = NULL;
    int rc = as_analyzer_new(&an);
    if (rc != AS_OK)
        return as_err_set(err, rc, "as_analyzer_new failed");
    rc = as_writer_open(gendir, NULL, &w, err);
    /* Paths in byte order, as the writer requires. */
    as_meta durham = {.council = "Durham County Council"};
    for (uint32_t i = 0; rc == AS_OK && i < 2; i++) {
        char path[4096], *buf = NULL;
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", fz_srcdir(), reports[i]);
        if (fz_read_file(path, &buf, &len) != 0) {
            rc = as_err_set(err, AS_EIO, "%s: cannot read (set AS_SRCDIR)", path);
            break;
        }
        char vpath[128];
        snprintf(vpath, sizeof vpath, "/fuzz/%c-report.txt", 'a' + (int)i);
        rc = add_page(w, an, vpath, buf, len, i == 0 ? &durham : NULL, i, err);
        free(buf);
    }
    if (rc == AS_OK) {
        size_t len = 0;
        char *tsv = synthetic_tsv(&len);
        rc = tsv ? add_page(w, an, "/fuzz/c-synthetic.tsv", tsv, len, NULL, 2, err)
                 : as_err_set(err, AS_ENOMEM, "out of memory");
        free(tsv);
    }
    if (rc == AS_OK) {
        rc = as_writer_finish(w, err);
        w = NULL;
    }
    if (w)
        as_writer_abort(w);
    as_analyzer_free(an);
    return rc;
}

/* ---- UTF-8 and JSON ----------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s[0..n), 0 if ill-formed. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t k;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        k = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        k = 3;
        if (c == 0xe0)
            lo = 0xa0;
        if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4;
        if (c == 0xf0)
            lo = 0x90;
        if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (n < k || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return k;
}

int fz_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_len(p + i, len - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

typedef struct jp {
    const unsigned char *s;
    size_t n, i;
    int depth;
} jp;

static void jws(jp *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n'
                           || p->s[p->i] == '\r'))
        p->i++;
}

static int jhex4(jp *p, unsigned *v)
{
    if (p->n - p->i < 4)
        return 0;
    *v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned c = p->s[p->i++], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return 0;
        *v = *v * 16 + d;
    }
    return 1;
}

static int jstring(jp *p)
{
    if (p->i >= p->n || p->s[p->i] != '"')
        return 0;
    p->i++;
    while (p->i < p->n) {
        unsigned c = p->s[p->i];
        if (c == '"') {
            p->i++;
            return 1;
        }
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            if (++p->i >= p->n)
                return 0;
            c = p->s[p->i++];
            if (c == 'u') {
                unsigned v, w;
                if (!jhex4(p, &v))
                    return 0;
                /* A lone surrogate escape is valid JSON but not valid
                 * Unicode text: our writers never produce one. */
                if (v >= 0xdc00 && v <= 0xdfff)
                    return 0;
                if (v >= 0xd800 && v <= 0xdbff) {
                    if (p->n - p->i < 6 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
                        return 0;
                    p->i += 2;
                    if (!jhex4(p, &w) || w < 0xdc00 || w > 0xdfff)
                        return 0;
                }
            } else if (!strchr("\"\\/bfnrt", (int)c) || c == 0) {
                return 0;
            }
            continue;
        }
        size_t k = utf8_len(p->s + p->i, p->n - p->i);
        if (!k)
            return 0;
        p->i += k;
    }
    return 0;
}

static int jdigits(jp *p)
{
    size_t st = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
        p->i++;
    return p->i > st;
}

static int jnumber(jp *p)
{
    if (p->i < p->n && p->s[p->i] == '-')
        p->i++;
    if (p->i < p->n && p->s[p->i] == '0')
        p->i++;
    else if (!jdigits(p))
        return 0;
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (!jdigits(p))
            return 0;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        if (!jdigits(p))
            return 0;
    }
    return 1;
}

static int jvalue(jp *p);

static int jlit(jp *p, const char *w)
{
    size_t k = strlen(w);
    if (p->n - p->i < k || memcmp(p->s + p->i, w, k) != 0)
        return 0;
    p->i += k;
    return 1;
}

static int jcontainer(jp *p, int obj)
{
    unsigned char close = obj ? '}' : ']';
    if (++p->depth > 64)
        return 0;
    p->i++;
    jws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        p->depth--;
        return 1;
    }
    for (;;) {
        jws(p);
        if (obj) {
            if (!jstring(p))
                return 0;
            jws(p);
            if (p->i >= p->n || p->s[p->i] != ':')
                return 0;
            p->i++;
            jws(p);
        }
        if (!jvalue(p))
            return 0;
        jws(p);
        if (p->i >= p->n)
            return 0;
        if (p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->s[p->i] != close)
            return 0;
        p->i++;
        p->depth--;
        return 1;
    }
}

static int jvalue(jp *p)
{
    if (p->i >= p->n)
        return 0;
    switch (p->s[p->i]) {
    case '{': return jcontainer(p, 1);
    case '[': return jcontainer(p, 0);
    case '"': return jstring(p);
    case 't': return jlit(p, "true");
    case 'f': return jlit(p, "false");
    case 'n': return jlit(p, "null");
    default: return jnumber(p);
    }
}

int fz_json_valid(const char *s, size_t len)
{
    jp p = {(const unsigned char *)s, len, 0, 0};
    jws(&p);
    if (!jvalue(&p))
        return 0;
    jws(&p);
    return p.i == p.n;
}
