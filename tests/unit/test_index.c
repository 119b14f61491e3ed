/*
 * test_index.c — the native index (common/writer.c, index.c, dict.c,
 * postings.c, store.c): generations built in a temp dir from hand-made
 * token arrays, read back and compared with what went in — columns, units,
 * files, store, dictionary, every posting and position; spilling and
 * copying give the same bytes as a plain build; damaged, truncated and
 * foreign-version files give clean errors.
 *
 * Tokens: each space-separated word of a text is a term at its word
 * position (lower-cased); a word of 8+ letters also gives "^" + its first
 * three letters at the same position (two terms at one position, as the
 * analyzer's acronym terms do).  Repeated words give wdf > 1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <math.h>
#include <zlib.h>

#include "format.h"
#include "index.h"
#include "ixint.h"
#include "varint.h"
#include "testdir.h"
#include "wint.h" /* as_writer_set_base */

/* ---- A corpus in memory ---------------------------------------------- */

typedef struct tdoc {
    char *text, *section, *id;
    int kind;
    uint32_t line, para, sent;
    const char *council;
    int statement, score;
    uint32_t published, updated;
} tdoc;

typedef struct tfile {
    char path[64];
    tdoc *docs;
    size_t ndocs;
    int acro; /* give it a mined acronym */
} tfile;

typedef struct corpus {
    tfile *files;
    size_t nfiles;
} corpus;

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *const councils[] = {"Wigan", "Bolton", "Camden", "Derby", "Essex",
                                       "Kent", "York"};

/* Zipf-ish: word rank r with probability ~ 1/(r+1). */
static unsigned zipf(unsigned v)
{
    double u = (double)(rnd() % 1000000) / 1000000.0;
    return (unsigned)(pow((double)v, u) - 1.0) % v;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    assert_non_null(p);
    return p;
}

/* A random corpus: nfiles files of Zipf-skewed sentences, some repeated
 * (duplicate groups within and across files), metadata changing in runs. */
static void make_corpus(corpus *c, uint64_t seed, size_t nfiles, size_t maxdocs, unsigned vocab)
{
    rng_state = seed;
    c->nfiles = nfiles;
    c->files = calloc(nfiles, sizeof *c->files);
    assert_non_null(c->files);
    char **seen = NULL;
    size_t nseen = 0;
    for (size_t f = 0; f < nfiles; f++) {
        tfile *tf = &c->files[f];
        snprintf(tf->path, sizeof tf->path, "/corpus/r%04zu.txt", f);
        tf->ndocs = f % 7 == 3 ? 0 : 1 + rnd() % maxdocs; /* some files are empty */
        tf->docs = calloc(tf->ndocs + 1, sizeof *tf->docs);
        tf->acro = f % 3 == 0;
        const char *council = councils[rnd() % 7];
        int st = (int)(rnd() % 10), sc = (int)(rnd() % 5);
        for (size_t d = 0; d < tf->ndocs; d++) {
            tdoc *td = &tf->docs[d];
            if (rnd() % 10 == 0) {
                st = (int)(rnd() % 10);
                sc = (int)(rnd() % 5);
            }
            if (rnd() % 40 == 0)
                council = rnd() % 5 == 0 ? NULL : councils[rnd() % 7];
            /* texts the store's token coding must give back byte for byte
             * (format.h: store): gaps other than one space, at either end,
             * UTF-8, long runs */
            static const char *const odd[] = {
                "  Leading, and\ttrailing  ", "\xc2\xa3" "1.2 million \xe2\x80\x93 68.42% (SAR)",
                "a  b", " ", "q", "end.", "...", "it's \"quoted\" -- twice--", "2022/23",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa , , , , , , , , , , , , , , , , , , , , , , , , b",
            };
            if (rnd() % 25 == 0) {
                td->text = xstrdup(odd[rnd() % (sizeof odd / sizeof odd[0])]);
            } else if (nseen > 0 && rnd() % 12 == 0) {
                td->text = xstrdup(seen[rnd() % nseen]);
            } else {
                char buf[2048];
                size_t n = 0;
                unsigned words = 3 + (unsigned)(rnd() % 40);
                if (rnd() % 200 == 0)
                    words = 300; /* a long one */
                for (unsigned k = 0; k < words && n < sizeof buf - 40; k++) {
                    unsigned r = zipf(vocab);
                    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s%u", k ? " " : "",
                                          r % 13 == 5 ? "Responsibilities" : "w", r);
                }
                td->text = xstrdup(buf);
                seen = realloc(seen, (nseen + 1) * sizeof *seen);
                seen[nseen++] = td->text;
            }
            td->section = rnd() % 3 ? xstrdup("Key findings") : NULL;
            if (rnd() % 4) { /* ids that share prefixes, as a .tsv's do */
                char idb[64];
                snprintf(idb, sizeof idb, "%s/%zu/%zu", rnd() % 8 ? "council-x" : "c", f,
                         d + (rnd() % 3) * 100);
                td->id = xstrdup(idb);
            }
            td->kind = (int)(rnd() % 4);
            td->line = (uint32_t)(d * 2 + 1);
            td->para = (uint32_t)(d / 3);
            td->sent = (uint32_t)(d % 3);
            td->council = council;
            td->statement = st;
            td->score = sc;
            td->published = 20230000 + (uint32_t)(rnd() % 1000);
            td->updated = rnd() % 2 ? 0 : 20240101;
        }
    }
    free(seen);
}

static void free_corpus(corpus *c)
{
    for (size_t f = 0; f < c->nfiles; f++) {
        for (size_t d = 0; d < c->files[f].ndocs; d++) {
            free(c->files[f].docs[d].text);
            free(c->files[f].docs[d].section);
            free(c->files[f].docs[d].id);
        }
        free(c->files[f].docs);
    }
    free(c->files);
}

/* The tokens of a text (see the file comment); terms point into store. */
static size_t tokenize(const char *text, as_token *toks, size_t cap, char *store)
{
    size_t n = 0, o = 0;
    uint32_t pos = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != ' ')
            p++;
        size_t len = (size_t)(p - s);
        if (len > 200)
            len = 200;
        char *t = store + o;
        for (size_t i = 0; i < len; i++)
            t[i] = (char)tolower((unsigned char)s[i]);
        o += len;
        assert_true(n + 2 <= cap);
        toks[n++] = (as_token){t, (uint32_t)len, pos, (uint32_t)(s - text), (uint32_t)(s - text + len), 0, 0, 0};
        if (len >= 8) {
            char *a = store + o;
            a[0] = '^';
            memcpy(a + 1, t, 3);
            o += 4;
            toks[n++] = (as_token){a, 4, pos, (uint32_t)(s - text), (uint32_t)(s - text + len), AS_TOK_ACRONYM, 0, 0};
        }
        pos++;
    }
    return n;
}

static char *tempdir(void)
{
    char *t = xstrdup("/tmp/astest-XXXXXX");
    assert_non_null(mkdtemp(t));
    return t;
}

static as_file_state fstate(const tfile *tf)
{
    as_file_state fs;
    memset(&fs, 0, sizeof fs);
    fs.path = tf->path;
    fs.display = tf->path + 1;
    fs.size = 1000 + tf->ndocs;
    fs.mtime_ns = 1700000000123456789ll + (int64_t)tf->ndocs;
    fs.crc32 = (uint32_t)crc32(0, (const Bytef *)tf->path, (uInt)strlen(tf->path));
    return fs;
}

static void add_file(as_writer *w, const tfile *tf)
{
    as_file_state fs = fstate(tf);
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    as_token toks[1024];
    char store[16384];
    for (size_t d = 0; d < tf->ndocs; d++) {
        const tdoc *td = &tf->docs[d];
        as_meta m = {(char *)td->council, td->statement, td->score, td->published, td->updated};
        as_doc_in in = {&m, td->text, td->section, td->kind, td->line, td->para, td->sent, td->id};
        size_t n = tokenize(td->text, toks, 1024, store);
        int rc = as_writer_add(w, &in, toks, n);
        if (rc != AS_OK)
            fail_msg("as_writer_add: %s", as_writer_errmsg(w));
    }
    as_acrotab *t = NULL;
    if (tf->acro) {
        assert_int_equal(as_acrotab_new(&t), AS_OK);
        assert_int_equal(as_acrotab_add(t, "SAR", "Safeguarding Adults Reviews", 2, 0), AS_OK);
        char e[64];
        snprintf(e, sizeof e, "Zeta %s", tf->path + 8);
        assert_int_equal(as_acrotab_add(t, "ZQX", e, 1, 0), AS_OK);
    }
    assert_int_equal(as_writer_end_file(w, t), AS_OK);
    as_acrotab_free(t);
}

/* Builds the corpus into dir; copy_from: files whose bit is set in
 * copymask are copied from that generation instead of added; base: given
 * to as_writer_set_base first with st (NULL: none). */
static void build_with(const corpus *c, const char *dir, size_t mem_limit,
                       const as_index *copy_from, uint64_t copymask, const as_index *base,
                       as_wstore_stats *st)
{
    as_writer_opts o = {mem_limit, NULL};
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, &o, &w, &err), AS_OK);
    /* high lists for every term of more than one block (format.h: high):
     * copies and spills must reproduce them byte for byte too */
    as_writer_set_high_min_df(w, 129);
    if (base)
        assert_int_equal(as_writer_set_base(w, base, st), AS_OK);
    for (size_t f = 0; f < c->nfiles; f++) {
        if (copy_from && (copymask >> f & 1)) {
            int rc = as_writer_copy_file(w, copy_from, (uint32_t)f);
            if (rc != AS_OK)
                fail_msg("copy_file: %s", as_writer_errmsg(w));
        } else
            add_file(w, &c->files[f]);
    }
    int rc = as_writer_finish(w, &err);
    if (rc != AS_OK)
        fail_msg("finish: %s", err.msg);
}

static void build(const corpus *c, const char *dir, size_t mem_limit, const as_index *copy_from,
                  uint64_t copymask)
{
    build_with(c, dir, mem_limit, copy_from, copymask, NULL, NULL);
}

static as_index *open_gen(const char *dir)
{
    as_index *ix = NULL;
    as_err err = {0};
    int rc = as_index_open_gen(dir, &ix, &err);
    if (rc != AS_OK)
        fail_msg("open: %s", err.msg);
    return ix;
}

/* ---- The expected inverted index --------------------------------------- */

typedef struct ptup {
    char term[32];  /* test terms are short */
    uint32_t doc, pos;
} ptup;

static int cmp_ptup(const void *a, const void *b)
{
    const ptup *x = a, *y = b;
    int c = strcmp(x->term, y->term);
    if (c)
        return c;
    if (x->doc != y->doc)
        return x->doc < y->doc ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static ptup *expected_postings(const corpus *c, size_t *n, uint32_t **doclens)
{
    size_t cap = 1024, k = 0;
    ptup *t = malloc(cap * sizeof *t);
    uint32_t doc = 0;
    size_t ndocs = 0;
    for (size_t f = 0; f < c->nfiles; f++)
        ndocs += c->files[f].ndocs;
    *doclens = calloc(ndocs + 1, sizeof **doclens);
    as_token toks[1024];
    char store[16384];
    for (size_t f = 0; f < c->nfiles; f++)
        for (size_t d = 0; d < c->files[f].ndocs; d++, doc++) {
            size_t nt = tokenize(c->files[f].docs[d].text, toks, 1024, store);
            (*doclens)[doc] = (uint32_t)nt;
            for (size_t i = 0; i < nt; i++) {
                if (k == cap)
                    t = realloc(t, (cap *= 2) * sizeof *t);
                assert_true(toks[i].len < sizeof t[k].term);
                memcpy(t[k].term, toks[i].term, toks[i].len);
                t[k].term[toks[i].len] = 0;
                t[k].doc = doc;
                t[k].pos = toks[i].pos;
                k++;
            }
        }
    qsort(t, k, sizeof *t, cmp_ptup);
    *n = k;
    return t;
}

/* Every term, posting and position of ix against the corpus. */
static void check_postings(const as_index *ix, const corpus *c)
{
    size_t n;
    uint32_t *doclens;
    ptup *t = expected_postings(c, &n, &doclens);
    uint64_t nterms = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && strcmp(t[j].term, t[i].term) == 0)
            j++;
        nterms++;
        as_term info;
        assert_int_equal(as_index_find_term(ix, t[i].term, strlen(t[i].term), &info), AS_OK);
        as_pcur cur;
        as_pcur_init(&cur, ix, &info);
        uint32_t df = 0, maxwdf = 0, mindl = UINT32_MAX;
        uint64_t cf = 0;
        uint32_t cls[4]; /* this block's smallest doclen per wdf class */
        size_t nposting = 0;
        for (size_t k = i; k < j; k++)
            nposting += k == i || t[k].doc != t[k - 1].doc;
        for (size_t k = i; k < j;) {
            size_t m = k;
            while (m < j && t[m].doc == t[k].doc)
                m++;
            assert_int_equal(cur.doc, t[k].doc);
            assert_int_equal(cur.wdf, m - k);
            const uint32_t *pos;
            uint32_t np;
            assert_int_equal(as_pcur_positions(&cur, &pos, &np), AS_OK);
            assert_int_equal(np, m - k);
            for (uint32_t q = 0; q < np; q++)
                assert_int_equal(pos[q], t[k + q].pos);
            df++;
            cf += m - k;
            if (m - k > maxwdf)
                maxwdf = (uint32_t)(m - k);
            if (doclens[t[k].doc] < mindl)
                mindl = doclens[t[k].doc];
            assert_true(cur.wdf <= cur.block_maxwdf);
            assert_true(doclens[cur.doc] >= cur.block_mindoclen);
            assert_true(cur.doc <= cur.block_last);
            /* the wdf-class bounds are exact: each class's smallest doclen
             * in the block (65535 when empty; format.h: skip), or the
             * term's smallest for a term of one block */
            if ((df - 1) % AS_BLOCK_SIZE == 0)
                for (int q = 0; q < 4; q++)
                    cls[q] = UINT32_MAX;
            uint32_t wc = cur.wdf < 4 ? cur.wdf - 1 : 3;
            assert_true(doclens[cur.doc] >= cur.block_mindl[wc]);
            if (doclens[cur.doc] < cls[wc])
                cls[wc] = doclens[cur.doc];
            if (df % AS_BLOCK_SIZE == 0 || df == nposting) {
                for (int q = 0; q < 4; q++) {
                    uint32_t want = cls[q] > 0xffff ? 0xffff : cls[q];
                    assert_int_equal(cur.block_mindl[q],
                                     nposting > AS_BLOCK_SIZE ? want : mindl);
                }
            }
            as_pcur_next(&cur);
            k = m;
        }
        assert_int_equal(cur.doc, AS_DOC_END);
        assert_int_equal(as_pcur_next(&cur), AS_DOC_END);
        assert_int_equal(info.df, df);
        assert_int_equal(info.cf, cf);
        assert_int_equal(info.max_wdf, maxwdf);
        assert_int_equal(info.min_doclen, mindl);

        /* seeks to random targets agree with a linear scan */
        for (int s = 0; s < 8; s++) {
            as_pcur sc;
            as_pcur_init(&sc, ix, &info);
            uint32_t target = 0;
            size_t k = i;
            for (int step = 0; step < 6; step++) {
                target += (uint32_t)(rnd() % (as_index_ndocs(ix) / 4 + 2));
                while (k < j && t[k].doc < target)
                    k++;
                uint32_t want = k < j ? t[k].doc : AS_DOC_END;
                if (step % 2 == 1) {
                    /* shallow first: the block it names must hold want */
                    uint32_t last = as_pcur_seek_block(&sc, target);
                    if (want == AS_DOC_END)
                        assert_int_equal(last, AS_DOC_END);
                    else
                        assert_true(last >= want);
                }
                assert_int_equal(as_pcur_seek(&sc, target), want);
                assert_int_equal(sc.doc, want);
                if (want == AS_DOC_END)
                    break;
                uint32_t w = 0;
                for (size_t q = k; q < j && t[q].doc == want; q++)
                    w++;
                assert_int_equal(sc.wdf, w);
                const uint32_t *pos;
                uint32_t np;
                assert_int_equal(as_pcur_positions(&sc, &pos, &np), AS_OK);
                assert_int_equal(np, w);
                assert_int_equal(pos[0], t[k].pos);
            }
            as_pcur_release(&sc);
        }
        as_pcur_release(&cur);
        i = j;
    }
    assert_int_equal(as_index_nterms(ix), nterms);
    assert_int_equal(as_index_find_term(ix, "nosuchterm", 10, &(as_term){0}), AS_ENOTFOUND);
    assert_int_equal(as_index_status(ix), AS_OK);
    free(t);
    free(doclens);
}

/* Columns, units, files, store, duplicates against the corpus. */
static void check_docs(const as_index *ix, const corpus *c)
{
    as_docbuf db;
    memset(&db, 0, sizeof db);
    uint32_t doc = 0;
    uint64_t total = 0;
    as_token toks[1024];
    char store[16384];
    for (size_t f = 0; f < c->nfiles; f++) {
        const tfile *tf = &c->files[f];
        as_file_state fs;
        assert_int_equal(as_index_file(ix, (uint32_t)f, &fs), AS_OK);
        assert_string_equal(fs.path, tf->path);
        assert_string_equal(fs.display, tf->path + 1);
        as_file_state want = fstate(tf);
        assert_int_equal(fs.size, want.size);
        assert_true(fs.mtime_ns == want.mtime_ns);
        assert_int_equal(fs.crc32, want.crc32);
        assert_int_equal(fs.first_doc, doc);
        assert_int_equal(fs.ndocs, tf->ndocs);
        for (size_t d = 0; d < tf->ndocs; d++, doc++) {
            const tdoc *td = &tf->docs[d];
            as_docrec r;
            assert_int_equal(as_index_doc(ix, doc, &db, &r), AS_OK);
            assert_string_equal(r.text, td->text);
            assert_string_equal(r.section, td->section ? td->section : "");
            if (td->id && *td->id)
                assert_string_equal(r.id, td->id);
            else
                assert_null(r.id);
            assert_int_equal(r.line, td->line);
            assert_int_equal(r.paragraph, td->para);
            assert_int_equal(r.sentence, td->sent);
            assert_int_equal(r.kind, td->kind);
            size_t nt = tokenize(td->text, toks, 1024, store);
            assert_int_equal(r.doclen, nt);
            assert_int_equal(as_index_doclen(ix, doc), nt);
            assert_int_equal(as_index_kind(ix, doc), td->kind);
            total += nt;
            uint32_t u = as_index_unit_of(ix, doc);
            assert_true(u < as_index_nunits(ix));
            const as_unit *un = as_index_unit(ix, u);
            assert_true(un->first_doc <= doc && doc < un->first_doc + un->ndocs);
            assert_int_equal(un->file, f);
            assert_int_equal(un->statement, td->statement);
            assert_int_equal(un->theme, as_statement_theme(td->statement));
            assert_int_equal(un->score, td->score);
            assert_int_equal(un->published, td->published);
            assert_int_equal(un->updated, td->updated);
            if (td->council) {
                assert_int_not_equal(un->council, AS_NONE);
                assert_string_equal(as_index_council(ix, un->council), td->council);
            } else
                assert_int_equal(un->council, AS_NONE);
            /* duplicates: exactly the docs with the same text */
            const uint32_t *mem;
            uint32_t nm;
            as_index_dups(ix, doc, &mem, &nm);
            uint32_t want_n = 0, od = 0, found_self = 0;
            for (size_t g = 0; g < c->nfiles; g++)
                for (size_t e = 0; e < c->files[g].ndocs; e++, od++)
                    if (strcmp(c->files[g].docs[e].text, td->text) == 0) {
                        assert_true(want_n < nm);
                        assert_int_equal(mem[want_n], od);
                        found_self |= od == doc;
                        want_n++;
                    }
            assert_int_equal(nm, want_n);
            assert_true(found_self);
            /* the allocation-free lookup agrees with the member list */
            uint32_t fn = 0;
            assert_int_equal(as_index_dup_first(ix, doc, &fn), mem[0]);
            assert_int_equal(fn, nm);
        }
    }
    assert_int_equal(as_index_ndocs(ix), doc);
    assert_int_equal(as_index_total_len(ix), total);
    assert_int_equal(as_index_nfiles(ix), c->nfiles);
    /* units cover the docs in order, split where metadata changes */
    uint32_t next = 0;
    for (uint32_t u = 0; u < as_index_nunits(ix); u++) {
        const as_unit *un = as_index_unit(ix, u);
        assert_int_equal(un->first_doc, next);
        assert_true(un->ndocs > 0);
        next += un->ndocs;
    }
    assert_int_equal(next, doc);
    for (uint32_t k = 1; k < as_index_ncouncils(ix); k++)
        assert_true(strcmp(as_index_council(ix, k - 1), as_index_council(ix, k)) < 0);
    assert_null(as_index_council(ix, as_index_ncouncils(ix)));
    /* the units per council are exactly the units of that council, ascending */
    uint32_t listed = 0, with_council = 0;
    for (uint32_t k = 0; k < as_index_ncouncils(ix); k++) {
        const uint32_t *cu;
        uint32_t ncu;
        assert_int_equal(as_index_council_units(ix, k, &cu, &ncu), AS_OK);
        for (uint32_t j = 0; j < ncu; j++) {
            assert_true(cu[j] < as_index_nunits(ix));
            assert_int_equal(as_index_unit(ix, cu[j])->council, k);
            if (j > 0)
                assert_true(cu[j - 1] < cu[j]);
        }
        listed += ncu;
    }
    for (uint32_t u = 0; u < as_index_nunits(ix); u++)
        with_council += as_index_unit(ix, u)->council != AS_NONE;
    assert_int_equal(listed, with_council);
    listed = 0;
    for (uint32_t k = 0; k <= AS_NSTATEMENTS; k++) {
        const uint32_t *su;
        uint32_t nsu;
        assert_int_equal(as_index_statement_units(ix, k, &su, &nsu), AS_OK);
        for (uint32_t j = 0; j < nsu; j++) {
            assert_true(su[j] < as_index_nunits(ix));
            assert_int_equal(as_index_unit(ix, su[j])->statement, k);
            if (j > 0)
                assert_true(su[j - 1] < su[j]);
        }
        listed += nsu;
    }
    assert_int_equal(listed, as_index_nunits(ix));
    listed = 0;
    for (uint32_t k = 0; k <= 4; k++) {
        const uint32_t *su;
        uint32_t nsu;
        assert_int_equal(as_index_score_units(ix, k, &su, &nsu), AS_OK);
        for (uint32_t j = 0; j < nsu; j++) {
            assert_int_equal(as_index_unit(ix, su[j])->score, k);
            if (j > 0)
                assert_true(su[j - 1] < su[j]);
        }
        listed += nsu;
    }
    assert_int_equal(listed, as_index_nunits(ix));
    assert_int_equal(as_index_doc(ix, doc, &db, &(as_docrec){0}), AS_ENOTFOUND);
    as_docbuf_free(&db);
    assert_int_equal(as_index_status(ix), AS_OK);
}

/* ---- Tests ---------------------------------------------------------------- */

/* The units list of value v (as_index_council_units and the like) is
 * want, ids joined by commas; want NULL: a value past the lists, NULL. */
static void expect_units(const as_index *ix,
                         int (*list)(const as_index *, uint32_t, const uint32_t **, uint32_t *),
                         uint32_t v, const char *want)
{
    const uint32_t *u = (const uint32_t *)1;
    uint32_t n = 99;
    assert_int_equal(list(ix, v, &u, &n), AS_OK);
    char got[256] = "";
    for (uint32_t i = 0; i < n && strlen(got) < 200; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%u", i ? "," : "", u[i]);
    assert_string_equal(got, want ? want : "");
    if (!want)
        assert_null(u);
}

static void test_small_by_hand(void **state)
{
    (void)state;
    char *dir = tempdir();
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    as_file_state fs = {"/c/a.txt", "a.txt", 10, 5, 7, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    as_meta m1 = {"Wigan", 4, 3, 20231117, 20231120};
    as_meta m2 = {"Wigan", 5, 2, 20231117, 20231120};
    as_token t1[] = {{"care", 4, 0, 0, 0, 0, 0, 0}, {"act", 3, 1, 0, 0, 0, 0, 0}, {"care", 4, 2, 0, 0, 0, 0, 0}};
    as_token t2[] = {{"act", 3, 0, 0, 0, 0, 0, 0}, {"^act", 4, 0, 0, 0, AS_TOK_ACRONYM, 0, 0}};
    as_doc_in d1 = {&m1, "Care act care.", "Key findings", AS_KIND_FINDING, 12, 3, 1, "q1"};
    as_doc_in d2 = {&m2, "ACT.", NULL, AS_KIND_HEADING, 14, 4, 0, NULL};
    assert_int_equal(as_writer_add(w, &d1, t1, 3), AS_OK);
    assert_int_equal(as_writer_add(w, &d2, t2, 2), AS_OK);
    assert_int_equal(as_writer_add(w, &d1, t1, 3), AS_OK); /* a duplicate */
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    /* files must come in path order */
    as_file_state bad = {"/a/z.txt", NULL, 0, 0, 0, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &bad), AS_EINVAL);
    assert_non_null(strstr(as_writer_errmsg(w), "path order"));
    as_writer_abort(w);

    /* again, properly, with a second file */
    rmtree(dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    assert_int_equal(as_writer_add(w, &d1, t1, 3), AS_OK);
    assert_int_equal(as_writer_add(w, &d2, t2, 2), AS_OK);
    assert_int_equal(as_writer_add(w, &d1, t1, 3), AS_OK);
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    as_file_state fs2 = {"/c/b.txt", "b.txt", 1, 2, 3, 0, 0};
    as_meta m3 = {"Bolton", 0, 0, 0, 0};
    as_doc_in d3 = {&m3, "Care act care.", NULL, AS_KIND_COMMITMENT, 1, 0, 0, NULL};
    assert_int_equal(as_writer_begin_file(w, &fs2), AS_OK);
    assert_int_equal(as_writer_add(w, &d3, t1, 3), AS_OK);
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);

    as_index *ix = open_gen(dir);
    assert_int_equal(as_index_ndocs(ix), 4);
    assert_int_equal(as_index_total_len(ix), 11);
    assert_int_equal(as_index_nterms(ix), 3);
    assert_int_equal(as_index_nunits(ix), 4); /* m1, m2, m1 again, m3 */
    assert_int_equal(as_index_ncouncils(ix), 2);
    assert_string_equal(as_index_council(ix, 0), "Bolton");
    assert_string_equal(as_index_council(ix, 1), "Wigan");
    const as_unit *u = as_index_unit(ix, 1);
    assert_int_equal(u->first_doc, 1);
    assert_int_equal(u->ndocs, 1);
    assert_int_equal(u->statement, 5);
    assert_int_equal(u->theme, as_statement_theme(5));
    assert_int_equal(u->score, 2);
    assert_int_equal(u->council, 1);
    assert_int_equal(as_index_unit_of(ix, 3), 3);
    assert_int_equal(as_index_unit(ix, 3)->council, 0);
    assert_int_equal(as_index_unit_of(ix, 4), AS_NONE);
    /* units per council: Bolton has unit 3; Wigan 0, 1, 2; none past the end */
    expect_units(ix, as_index_council_units, 0, "3");
    expect_units(ix, as_index_council_units, 1, "0,1,2");
    expect_units(ix, as_index_council_units, 2, NULL);
    /* and per statement: 4 has units 0 and 2, 5 unit 1, 0 unit 3, 9 none */
    expect_units(ix, as_index_statement_units, 4, "0,2");
    expect_units(ix, as_index_statement_units, 5, "1");
    expect_units(ix, as_index_statement_units, 0, "3");
    expect_units(ix, as_index_statement_units, 9, "");
    expect_units(ix, as_index_statement_units, AS_NSTATEMENTS + 1, NULL);
    /* and per score: 3 has units 0 and 2, 2 unit 1, 0 unit 3 */
    expect_units(ix, as_index_score_units, 3, "0,2");
    expect_units(ix, as_index_score_units, 2, "1");
    expect_units(ix, as_index_score_units, 0, "3");
    expect_units(ix, as_index_score_units, 4, "");
    expect_units(ix, as_index_score_units, 5, NULL);

    as_term t;
    assert_int_equal(as_index_find_term(ix, "care", 4, &t), AS_OK);
    assert_int_equal(t.df, 3);
    assert_int_equal(t.cf, 6);
    assert_int_equal(t.max_wdf, 2);
    assert_int_equal(t.min_doclen, 3);
    as_pcur c;
    as_pcur_init(&c, ix, &t);
    assert_int_equal(c.doc, 0);
    assert_int_equal(c.wdf, 2);
    const uint32_t *pos;
    uint32_t np;
    assert_int_equal(as_pcur_positions(&c, &pos, &np), AS_OK);
    assert_int_equal(np, 2);
    assert_int_equal(pos[0], 0);
    assert_int_equal(pos[1], 2);
    assert_int_equal(as_pcur_next(&c), 2);
    assert_int_equal(as_pcur_seek(&c, 3), 3);
    assert_int_equal(as_pcur_next(&c), AS_DOC_END);
    as_pcur_release(&c);
    assert_int_equal(as_index_find_term(ix, "^act", 4, &t), AS_OK);
    assert_int_equal(t.df, 1);
    as_pcur_init(&c, ix, &t);
    assert_int_equal(c.doc, 1);
    assert_int_equal(as_pcur_seek_block(&c, 2), AS_DOC_END);
    as_pcur_release(&c);
    assert_int_equal(as_index_find_term(ix, "ac", 2, &t), AS_ENOTFOUND);
    assert_int_equal(as_index_find_term(ix, "zzz", 3, &t), AS_ENOTFOUND);
    assert_int_equal(as_index_find_term(ix, "", 0, &t), AS_ENOTFOUND);

    as_docbuf db = {0};
    as_docrec r;
    assert_int_equal(as_index_doc(ix, 1, &db, &r), AS_OK);
    assert_string_equal(r.text, "ACT.");
    assert_string_equal(r.section, "");
    assert_int_equal(r.line, 14);
    assert_int_equal(r.kind, AS_KIND_HEADING);
    assert_int_equal(r.doclen, 2);
    assert_int_equal(as_index_doc(ix, 0, &db, &r), AS_OK);
    assert_string_equal(r.text, "Care act care.");
    assert_string_equal(r.section, "Key findings");
    assert_int_equal(r.paragraph, 3);
    assert_int_equal(r.sentence, 1);
    as_docbuf_free(&db);

    const uint32_t *mem;
    uint32_t nm;
    as_index_dups(ix, 2, &mem, &nm);
    assert_int_equal(nm, 3);
    assert_int_equal(mem[0], 0);
    assert_int_equal(mem[1], 2);
    assert_int_equal(mem[2], 3);
    as_index_dups(ix, 1, &mem, &nm);
    assert_int_equal(nm, 1);
    assert_int_equal(mem[0], 1);
    assert_int_equal(as_index_dup_first(ix, 3, &nm), 0);
    assert_int_equal(nm, 3);
    assert_int_equal(as_index_dup_first(ix, 1, &nm), 1);
    assert_int_equal(nm, 1);
    assert_int_equal(as_index_dup_first(ix, 99, &nm), 99); /* out of range: itself */
    assert_int_equal(nm, 1);

    as_file_state f1;
    assert_int_equal(as_index_file(ix, 1, &f1), AS_OK);
    assert_string_equal(f1.path, "/c/b.txt");
    assert_int_equal(f1.first_doc, 3);
    assert_int_equal(f1.ndocs, 1);
    assert_int_equal(as_index_file(ix, 2, &f1), AS_ENOTFOUND);
    assert_int_equal(as_index_verify(ix, &err), AS_OK);
    as_index_close(ix);
    rmtree(dir);
    free(dir);
}

/* Duplicate lookups where the duplicates do not spread evenly over the
 * docids (the lookup searches one run of docids of the map): a dense run
 * at the start, lone ones at powers of two, a run at the end, and members
 * of one group far apart.  Every doc's group, first member and size
 * against the texts themselves; and every doc's record as fetched (the
 * fetch steps over the records before it in its block, rebuilding ids
 * front-coded in pieces of up to 16 bytes and longer ones). */
static void test_dups_skewed(void **state)
{
    (void)state;
    enum { N = 5000 };
    char *dir = tempdir();
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    as_file_state fs = {"/c/a.txt", "a.txt", 10, 5, 7, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    as_meta m = {"Wigan", 4, 3, 20231117, 20231120};
    as_token t[] = {{"w", 1, 0, 0, 0, 0, 0, 0}};
    static char texts[N][16], ids[N][80], secs[N][24];
    for (uint32_t d = 0; d < N; d++) {
        if (d % 3 == 0)
            snprintf(ids[d], sizeof ids[d], "a-prefix-that-many-ids-share/%u%s", d,
                     d % 2 ? "/and-a-tail-longer-than-sixteen-bytes" : "");
        else if (d % 5 < 3) /* pieces of every length up to ~20 bytes */
            snprintf(ids[d], sizeof ids[d], "s/%u/%.*s", d * 7, (int)(d % 17),
                     "abcdefghijklmnopqrstuvwxyz" + d % 9);
        else { /* an id of 16 bytes (a whole piece: the last one began
                * with 's'), then one that extends it */
            uint32_t g = d / 5, digits = g < 10 ? 1 : g < 100 ? 2 : g < 1000 ? 3 : 4;
            snprintf(ids[d], sizeof ids[d], "g%u/%.*s/%u%s", g, (int)(12 - digits),
                     "abcdefghijklmnopqrstuvwxyz" + g % 11, g % 10, d % 5 == 4 ? "x" : "");
        }
        snprintf(secs[d], sizeof secs[d], "Section %u", d / 7);
        if (d < 200)
            snprintf(texts[d], sizeof texts[d], "Dup %c.", d % 3 == 0 ? 'a' : 'b');
        else if ((d & (d - 1)) == 0 || d == 777 || d == 3333)
            snprintf(texts[d], sizeof texts[d], "Dup c.");
        else if (d >= N - 10)
            snprintf(texts[d], sizeof texts[d], "Dup %c.", d % 2 ? 'd' : 'a');
        else
            snprintf(texts[d], sizeof texts[d], "Unique %u.", d);
        as_doc_in in = {&m, texts[d], secs[d], AS_KIND_FINDING, 3 * d + 1, d / 2, d % 4,
                        d % 11 ? ids[d] : NULL};
        assert_int_equal(as_writer_add(w, &in, t, 1), AS_OK);
    }
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);
    as_index *ix = open_gen(dir);
    assert_int_equal(as_index_ndocs(ix), N);
    as_docbuf db = {0};
    for (uint32_t k = 0; k < N; k++) {
        uint32_t d = (uint32_t)((k * 7919ull) % N); /* each doc once, scattered */
        as_docrec r;
        if (db.p) /* nothing left of the last fetch to lean on */
            memset(db.p, 0xa5, db.cap);
        assert_int_equal(as_index_doc(ix, d, &db, &r), AS_OK);
        assert_string_equal(r.text, texts[d]);
        assert_string_equal(r.section, secs[d]);
        if (d % 11)
            assert_string_equal(r.id, ids[d]);
        else
            assert_null(r.id);
        assert_int_equal(r.line, 3 * d + 1);
        assert_int_equal(r.paragraph, d / 2);
        assert_int_equal(r.sentence, d % 4);
    }
    as_docbuf_free(&db);
    uint32_t ndup = 0;
    for (uint32_t d = 0; d < N; d++) {
        uint32_t first = N, n = 0;
        for (uint32_t e = 0; e < N; e++)
            if (strcmp(texts[e], texts[d]) == 0) {
                if (first == N)
                    first = e;
                n++;
            }
        uint32_t got_n = 0;
        assert_int_equal(as_index_dup_first(ix, d, &got_n), first);
        assert_int_equal(got_n, n);
        const uint32_t *mem;
        uint32_t nm;
        as_index_dups(ix, d, &mem, &nm);
        assert_int_equal(nm, n);
        assert_int_equal(mem[0], first);
        ndup += n > 1;
    }
    assert_int_equal(ndup, 200 + 7 + 10); /* dense run, 2^8..2^12 and two more, end run */
    assert_int_equal(as_index_dup_first(ix, N, &(uint32_t){0}), N);
    assert_int_equal(as_index_status(ix), AS_OK);
    assert_int_equal(as_index_verify(ix, &err), AS_OK);
    as_index_close(ix);
    rmtree(dir);
    free(dir);
}

/* Every sentence a candidate, groups scattered over the docs: both of
 * as_wr_dups's sorts (by hash, then the candidates by doc) take the radix
 * path (4,096 keys and more), which sorts on the keys' high halves alone,
 * their low halves' order (doc, hash run) kept from before. */
static void test_dups_all_candidates(void **state)
{
    (void)state;
    enum { N = 9000, G = 1500 };
    char *dir = tempdir();
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    as_file_state fs = {"/c/a.txt", "a.txt", 10, 5, 7, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    as_meta m = {"Wigan", 4, 3, 20231117, 20231120};
    as_token t[] = {{"w", 1, 0, 0, 0, 0, 0, 0}};
    static char texts[N][24];
    for (uint32_t d = 0; d < N; d++) {
        snprintf(texts[d], sizeof texts[d], "Dup %u.", (d * 7 + d / G) % G);
        as_doc_in in = {&m, texts[d], "S", AS_KIND_FINDING, d + 1, d, 0, NULL};
        assert_int_equal(as_writer_add(w, &in, t, 1), AS_OK);
    }
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);
    as_index *ix = open_gen(dir);
    static uint32_t want[N];
    for (uint32_t d = 0; d < N; d++) {
        uint32_t n = 0;
        for (uint32_t e = 0; e < N; e++)
            if (strcmp(texts[e], texts[d]) == 0)
                want[n++] = e;
        assert_int_equal(n, N / G);
        uint32_t got_n = 0;
        assert_int_equal(as_index_dup_first(ix, d, &got_n), want[0]);
        assert_int_equal(got_n, n);
        const uint32_t *mem;
        uint32_t nm;
        as_index_dups(ix, d, &mem, &nm);
        assert_int_equal(nm, n);
        for (uint32_t k = 0; k < n; k++)
            assert_int_equal(mem[k], want[k]);
    }
    assert_int_equal(as_index_status(ix), AS_OK);
    as_index_close(ix);
    rmtree(dir);
    free(dir);
}

static int collect(void *arg, const char *term, size_t len, const as_term *info)
{
    char *out = arg;
    assert_true(info->df > 0);
    strncat(out, term, len);
    strcat(out, ",");
    return strlen(out) > 60 ? 7 : 0;
}

/* The token codes (format.h: store) of every length, against a vocab of
 * 995,530 tokens made in memory (token i is "t" and i in base 36, a gap
 * token at the end), and codes that must not decode. */
static void test_store_codes(void **state)
{
    (void)state;
    const uint32_t ntok = 995530;
    uint32_t *off = malloc(((size_t)ntok + 1) * sizeof *off);
    char *bytes = malloc((size_t)ntok * 8);
    assert_non_null(off);
    assert_non_null(bytes);
    size_t at = 0;
    for (uint32_t i = 0; i < ntok; i++) {
        off[i] = (uint32_t)at;
        if (i == ntok - 1) {
            memcpy(bytes + at, ", ", 2);
            at += 2;
            continue;
        }
        char d[8];
        int n = 0;
        uint32_t x = i;
        do {
            d[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[x % 36];
            x /= 36;
        } while (x);
        bytes[at++] = 't';
        while (n)
            bytes[at++] = d[--n];
    }
    off[ntok] = (uint32_t)at;
    as_ix_vocab v = {NULL, (const uint8_t *)off, (const uint8_t *)bytes, 0, 0, at, ntok, 0};
    /* ids 0, 191 | 192, 12479 | 12480, 995519 | 995520, 995529 (the gap) */
    static const uint8_t codes[] = {0x00, 0xbf, 0xc0, 0x00, 0xef, 0xff, 0xf0, 0x00, 0x00,
                                    0xfe, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
                                    0xff, 0x09, 0x00, 0x00, 0x00, 0x00};
    const char *want = "t0 t5b t5c t9mn t9mo tlc5b tlc5c, t0";
    uint8_t out[64];
    size_t wl = strlen(want);
    assert_int_equal(as_ix_decode(&v, codes, sizeof codes, out, wl), 0);
    assert_memory_equal(out, want, wl);
    /* the length must come out exactly */
    assert_int_equal(as_ix_decode(&v, codes, sizeof codes, out, wl - 1), -1);
    assert_int_equal(as_ix_decode(&v, codes, sizeof codes, out, wl + 1), -1);
    /* cut inside a code of 2, 3 and 5 bytes; an id past the vocab */
    assert_int_equal(as_ix_decode(&v, codes, 3, out, sizeof out), -1);
    assert_int_equal(as_ix_decode(&v, codes + 6, 2, out, sizeof out), -1);
    assert_int_equal(as_ix_decode(&v, codes + 12, 4, out, sizeof out), -1);
    static const uint8_t past[] = {0xff, 0x0a, 0x00, 0x00, 0x00};
    assert_int_equal(as_ix_decode(&v, past, sizeof past, out, sizeof out), -1);
    static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(as_ix_decode(&v, huge, sizeof huge, out, sizeof out), -1);
    /* a damaged vocab: offsets that go backwards or past the bytes */
    off[1] = off[0];
    assert_int_equal(as_ix_decode(&v, codes, 1, out, 2), -1);
    off[1] = (uint32_t)at + 1;
    assert_int_equal(as_ix_decode(&v, codes, 1, out, 2), -1);
    free(off);
    free(bytes);
}

/* A store whose vocab needs codes of three bytes (more than 12,480
 * tokens; format.h: store): every text comes back whole, with its id. */
static void test_store_many_tokens(void **state)
{
    (void)state;
    char *dir = tempdir();
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    as_file_state fs = {"/x.txt", NULL, 1, 1, 1, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    const uint32_t ndocs = 700;
    char (*texts)[400] = malloc(ndocs * sizeof *texts);
    assert_non_null(texts);
    static const char *const gaps[] = {" ", ", ", " - ", "  ", "; "};
    for (uint32_t d = 0; d < ndocs; d++) {
        size_t n = 0;
        for (uint32_t k = 0; k < 25; k++)
            n += (size_t)snprintf(texts[d] + n, sizeof texts[d] - n, "%sw%ux%u",
                                  k ? gaps[(d + k) % 5] : "", d, k);
        char id[32];
        snprintf(id, sizeof id, "id-%u", d);
        as_doc_in in = {NULL, texts[d], d % 2 ? "S" : NULL, AS_KIND_FINDING, d + 1, d / 4, d % 4,
                        d % 3 ? id : NULL};
        as_token t = {"x", 1, 0, 0, 0, 0, 0, 0};
        assert_int_equal(as_writer_add(w, &in, &t, 1), AS_OK);
    }
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);
    as_index *ix = open_gen(dir);
    assert_int_equal(as_index_verify(ix, &err), AS_OK);
    assert_true(ix->voc_ntok > 12480);
    as_docbuf db = {0};
    for (uint32_t d = ndocs; d-- > 0;) {
        as_docrec r;
        assert_int_equal(as_index_doc(ix, d, &db, &r), AS_OK);
        assert_string_equal(r.text, texts[d]);
        assert_string_equal(r.section, d % 2 ? "S" : "");
        assert_int_equal(r.line, d + 1);
        assert_int_equal(r.paragraph, d / 4);
        assert_int_equal(r.sentence, d % 4);
        if (d % 3) {
            char id[32];
            snprintf(id, sizeof id, "id-%u", d);
            assert_string_equal(r.id, id);
        } else {
            assert_null(r.id);
        }
    }
    as_docbuf_free(&db);
    as_index_close(ix);
    free(texts);
    rmtree(dir);
    free(dir);
}

static void test_random_corpus(void **state)
{
    (void)state;
    corpus c;
    make_corpus(&c, 12345, 40, 150, 3000);
    char *dir = tempdir();
    build(&c, dir, 0, NULL, 0);
    as_index *ix = open_gen(dir);
    as_err err = {0};
    int rc = as_index_verify(ix, &err);
    if (rc != AS_OK)
        fail_msg("verify: %s", err.msg);
    check_docs(ix, &c);
    check_postings(ix, &c);
    /* prefix iteration in byte order, stopping when told */
    char out[256] = "", want[256] = "";
    size_t np;
    uint32_t *dls;
    ptup *tp = expected_postings(&c, &np, &dls);
    for (size_t i = 0; i < np && strlen(want) <= 60; i++)
        if (strncmp(tp[i].term, "w12", 3) == 0 && (i == 0 || strcmp(tp[i].term, tp[i - 1].term)))
            strcat(strcat(want, tp[i].term), ",");
    free(tp);
    free(dls);
    assert_true(strlen(want) > 60);
    assert_int_equal(as_index_each_term(ix, "w12", 3, collect, out), 7);
    assert_string_equal(out, want);
    out[0] = 0;
    assert_int_equal(as_index_each_term(ix, "^res", 4, collect, out), AS_OK);
    assert_string_equal(out, "^res,");
    out[0] = 0;
    assert_int_equal(as_index_each_term(ix, "x", 1, collect, out), AS_OK);
    assert_string_equal(out, "");
    /* acronyms: the union of the files' tables, plus the curated table */
    const as_acronym *a = as_acrotab_find(as_index_acronyms(ix), "SAR", 3);
    assert_non_null(a);
    assert_string_equal(a->expansion, "Safeguarding Adults Reviews");
    as_index_close(ix);
    rmtree(dir);
    free(dir);
    free_corpus(&c);
}

static const char *const gen_files[] = {"meta", "terms", "postings", "positions", "docs", "store"};

static void spew(const char *dir, const char *name, const uint8_t *b, size_t n)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(b, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

/* Every file of two generations is the same, but for the build time (and
 * the store, the last of gen_files, and where it puts its block index,
 * when but_store). */
static void assert_same_gens_but(const char *a, const char *b, int but_store)
{
    for (size_t i = 0; i < sizeof gen_files / sizeof *gen_files - (but_store != 0); i++) {
        size_t na, nb;
        uint8_t *x = slurp(a, gen_files[i], &na), *y = slurp(b, gen_files[i], &nb);
        if (i == 0) { /* meta: mask the build time and the crc over it */
            assert_true(na > AS_HEADER_SIZE + 8 * MF_COUNT + 4 && na == nb);
            memset(x + AS_HEADER_SIZE + 8 * MF_BUILT, 0, 8);
            memset(y + AS_HEADER_SIZE + 8 * MF_BUILT, 0, 8);
            if (but_store) { /* where the store's block index lies */
                memset(x + AS_HEADER_SIZE + 8 * MF_STORE_SINDEX_OFF, 0, 8);
                memset(y + AS_HEADER_SIZE + 8 * MF_STORE_SINDEX_OFF, 0, 8);
            }
            memset(x + na - 4, 0, 4);
            memset(y + nb - 4, 0, 4);
        }
        if (na != nb || memcmp(x, y, na) != 0) {
            size_t k = 0;
            while (k < na && k < nb && x[k] == y[k])
                k++;
            fail_msg("%s differs: %zu vs %zu bytes, first difference at %zu", gen_files[i], na,
                     nb, k);
        }
        free(x);
        free(y);
    }
}

static void assert_same_gens(const char *a, const char *b)
{
    assert_same_gens_but(a, b, 0);
}

static void test_spill_same_bytes(void **state)
{
    (void)state;
    corpus c;
    make_corpus(&c, 777, 30, 120, 2000);
    char *a = tempdir(), *b = tempdir(), *tmp = tempdir();
    build(&c, a, 0, NULL, 0);
    /* a tiny limit: a run every few sentences, runs in another dir */
    as_writer_opts o = {20000, tmp};
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(b, &o, &w, &err), AS_OK);
    as_writer_set_high_min_df(w, 129); /* as build_with */
    for (size_t f = 0; f < c.nfiles; f++)
        add_file(w, &c.files[f]);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);
    assert_same_gens(a, b);
    /* a run after every sentence: runs are merged 32 at a time on the way */
    rmtree(b);
    assert_int_equal(mkdir(b, 0700), 0);
    build(&c, b, 1, NULL, 0);
    assert_same_gens(a, b);
    /* the runs are gone */
    DIR *d = opendir(tmp);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(n, 0);
    as_index *ix = open_gen(b);
    check_postings(ix, &c);
    as_index_close(ix);
    rmtree(a);
    rmtree(b);
    rmtree(tmp);
    free(a);
    free(b);
    free(tmp);
    free_corpus(&c);
}

/* An incremental build (unchanged files copied from the old generation,
 * changed ones added) writes the same bytes as a fresh build. */
/* as_term_fn: counts the terms with a high list; arg: {size_t *count,
 * as_index *}. */
static int count_high(void *arg, const char *term, size_t len, const as_term *t)
{
    (void)term;
    (void)len;
    as_index *ix = ((void **)arg)[1];
    as_term hi;
    uint32_t l[3];
    if (as_pcur_high(ix, t, &hi, l) == AS_OK)
        (*(size_t *)((void **)arg)[0])++;
    return 0;
}

static void test_copy_same_bytes(void **state)
{
    (void)state;
    corpus c1, c2;
    make_corpus(&c1, 4242, 24, 200, 2500);
    make_corpus(&c2, 9999, 24, 200, 2500);
    /* c2 = c1 with some files changed */
    uint64_t keep = 0;
    for (size_t f = 0; f < c1.nfiles; f++) {
        if (f % 4 == 1 || f == 23)
            continue; /* changed: c2's version */
        keep |= (uint64_t)1 << f;
        tfile t = c2.files[f];
        c2.files[f] = c1.files[f];
        c1.files[f] = t;
        /* c1 gets c2's old version back so both corpora free cleanly */
        tfile u = c2.files[f];
        c2.files[f] = c1.files[f];
        c1.files[f] = u;
    }
    /* make the kept files identical in both corpora by deep copy */
    for (size_t f = 0; f < c1.nfiles; f++) {
        if (!(keep >> f & 1))
            continue;
        tfile *dst = &c2.files[f];
        for (size_t d = 0; d < dst->ndocs; d++) {
            free(dst->docs[d].text);
            free(dst->docs[d].section);
            free(dst->docs[d].id);
        }
        free(dst->docs);
        *dst = c1.files[f];
        dst->docs = calloc(dst->ndocs + 1, sizeof *dst->docs);
        for (size_t d = 0; d < dst->ndocs; d++) {
            dst->docs[d] = c1.files[f].docs[d];
            dst->docs[d].text = xstrdup(c1.files[f].docs[d].text);
            dst->docs[d].section = c1.files[f].docs[d].section ? xstrdup(c1.files[f].docs[d].section) : NULL;
            dst->docs[d].id = c1.files[f].docs[d].id ? xstrdup(c1.files[f].docs[d].id) : NULL;
        }
    }
    char *g1 = tempdir(), *g2 = tempdir(), *g3 = tempdir(), *g4 = tempdir();
    build(&c1, g1, 0, NULL, 0);
    build(&c2, g2, 0, NULL, 0); /* fresh */
    as_index *old = open_gen(g1);
    /* the comparisons below cover high lists (format.h: high) */
    size_t nhigh = 0;
    void *arg[2] = {&nhigh, old};
    assert_int_equal(as_index_each_term(old, "", 0, count_high, arg), 0);
    assert_true(nhigh >= 5);
    build(&c2, g3, 0, old, keep); /* incremental */
    build(&c2, g4, 30000, old, keep); /* incremental, spilling */
    as_index_close(old);
    assert_same_gens(g2, g3);
    assert_same_gens(g2, g4);
    as_index *ix = open_gen(g3);
    as_err err = {0};
    assert_int_equal(as_index_verify(ix, &err), AS_OK);
    check_docs(ix, &c2);
    check_postings(ix, &c2);
    as_index_close(ix);
    /* copying everything gives the old generation again */
    old = open_gen(g3);
    rmtree(g4);
    assert_int_equal(mkdir(g4, 0700), 0);
    build(&c2, g4, 0, old, ~(uint64_t)0);
    as_index_close(old);
    assert_same_gens(g2, g4);
    rmtree(g1);
    rmtree(g2);
    rmtree(g3);
    rmtree(g4);
    free(g1);
    free(g2);
    free(g3);
    free(g4);
    free_corpus(&c1);
    free_corpus(&c2);
}

/* Gives every doc of tf a new text: words w3 and "<tag><f>q<d>q<k>", the
 * latter each a token no other text has. */
static void retext(tfile *tf, const char *tag, size_t f)
{
    for (size_t d = 0; d < tf->ndocs; d++) {
        char buf[512];
        size_t n = 0;
        for (unsigned k = 0; k < 8; k++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s%zuq%zuq%u w3", k ? " " : "",
                                  tag, f, d, k);
        free(tf->docs[d].text);
        tf->docs[d].text = xstrdup(buf);
    }
}

/* Store block bytes of file fa of generation a, and of fb of b: every
 * block of the one is a block of the other, byte for byte.  Returns the
 * number of blocks. */
static uint64_t assert_blocks_verbatim(const as_index *a, uint32_t fa, const as_index *b,
                                       uint32_t fb)
{
    as_file_state sa, sb;
    assert_int_equal(as_index_file(a, fa, &sa), AS_OK);
    assert_int_equal(as_index_file(b, fb, &sb), AS_OK);
    assert_int_equal(sa.ndocs, sb.ndocs);
    if (sa.ndocs == 0)
        return 0;
    uint64_t ia, ib, nb = 0;
    assert_int_equal(as_ix_store_find(a, sa.first_doc, &ia), AS_OK);
    assert_int_equal(as_ix_store_find(b, sb.first_doc, &ib), AS_OK);
    for (uint32_t covered = 0; covered < sa.ndocs; ia++, ib++) {
        as_ix_sblock xa, xb;
        assert_int_equal(as_ix_store_block(a, ia, &xa), AS_OK);
        assert_int_equal(as_ix_store_block(b, ib, &xb), AS_OK);
        assert_int_equal(xa.first_doc - sa.first_doc, covered);
        assert_int_equal(xb.first_doc - sb.first_doc, covered);
        assert_int_equal(xa.ndocs, xb.ndocs);
        assert_int_equal(xa.clen, xb.clen);
        assert_int_equal(xa.ulen, xb.ulen);
        assert_memory_equal(a->f[IXF_STORE].body + xa.off, b->f[IXF_STORE].body + xb.off,
                            xa.clen);
        covered += xa.ndocs;
        nb++;
    }
    return nb;
}

/* b's vocab begins with a's whole vocab, same ids. */
static void assert_vocab_prefix(const as_index *a, const as_index *b)
{
    assert_true(b->voc_ntok >= a->voc_ntok);
    const uint8_t *oa = a->f[IXF_STORE].body + a->voc_off, *ob = b->f[IXF_STORE].body + b->voc_off;
    size_t na = 4 * ((size_t)a->voc_ntok + 1);
    assert_memory_equal(oa, ob, na);
    uint32_t bytes = le32(oa + 4 * (size_t)a->voc_ntok);
    assert_memory_equal(oa + na, ob + 4 * ((size_t)b->voc_ntok + 1), bytes);
}

/* With a base (as_writer_set_base): the blocks of files copied from it are
 * its bytes, its vocab is kept (new tokens after it), everything but the
 * store is a fresh build's bytes, and every text reads back. */
static void test_copy_verbatim(void **state)
{
    (void)state;
    corpus c1, c2;
    make_corpus(&c1, 4242, 24, 200, 2500);
    make_corpus(&c2, 4242, 24, 200, 2500); /* the same corpus */
    uint64_t keep = 0;
    for (size_t f = 0; f < c2.nfiles; f++) {
        if (f % 4 == 1 || f == 23)
            retext(&c2.files[f], "zebra", f); /* changed, with tokens new to c1 */
        else
            keep |= (uint64_t)1 << f;
    }
    char *g1 = tempdir(), *g2 = tempdir(), *g3 = tempdir(), *g4 = tempdir(), *g5 = tempdir();
    build(&c1, g1, 0, NULL, 0);
    build(&c2, g2, 0, NULL, 0); /* fresh */
    as_index *old = open_gen(g1);
    as_wstore_stats st = {0, 7, 7}, st4 = {0, 7, 7};
    build_with(&c2, g3, 0, old, keep, old, &st);
    build_with(&c2, g4, 30000, old, keep, old, &st4); /* spilling */
    assert_same_gens_but(g2, g3, 1);
    assert_same_gens(g3, g4);
    as_index *ix = open_gen(g3);
    as_err err = {0};
    assert_int_equal(as_index_verify(ix, &err), AS_OK);
    check_docs(ix, &c2);
    check_postings(ix, &c2);
    uint32_t nkept = 0;
    uint64_t nblocks = 0;
    for (uint32_t f = 0; f < c2.nfiles; f++)
        if (keep >> f & 1) {
            nblocks += assert_blocks_verbatim(old, f, ix, f);
            nkept += c2.files[f].ndocs > 0;
        }
    assert_true(nkept >= 12);
    /* and copied as they were, not decoded and coded again */
    assert_int_equal(st.base, 1);
    assert_int_equal(st.verbatim, nblocks);
    assert_int_equal(st.recoded, 0);
    assert_int_equal(st4.verbatim, nblocks);
    assert_vocab_prefix(old, ix);
    assert_true(ix->voc_ntok >= old->voc_ntok + 100); /* the zebras */
    /* a fresh build's store differs: its vocab is ranked on the new texts */
    size_t n2, n3;
    uint8_t *s2 = slurp(g2, "store", &n2), *s3 = slurp(g3, "store", &n3);
    assert_true(n2 != n3 || memcmp(s2, s3, n2) != 0);
    free(s2);
    free(s3);
    /* the base must come first */
    as_writer_opts o = {0, NULL};
    as_writer *w = NULL;
    assert_int_equal(as_writer_open(g5, &o, &w, &err), AS_OK);
    as_file_state fs = fstate(&c2.files[0]);
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_set_base(w, old, NULL), AS_EINVAL);
    as_writer_abort(w);
    rmtree(g5);
    assert_int_equal(mkdir(g5, 0700), 0);
    as_index_close(old);
    /* copying everything from its base gives the generation again */
    build_with(&c2, g5, 0, ix, ~(uint64_t)0, ix, &st);
    assert_int_equal(st.verbatim, ix->mf[MF_STORE_NBLOCKS]);
    assert_int_equal(st.recoded, 0);
    as_index_close(ix);
    assert_same_gens(g3, g5);
    char *gs[] = {g1, g2, g3, g4, g5};
    for (size_t i = 0; i < 5; i++) {
        rmtree(gs[i]);
        free(gs[i]);
    }
    free_corpus(&c1);
    free_corpus(&c2);
}

/* A base whose vocab has gone stale (most of its tokens used by no block:
 * text removed since it was ranked) is not kept: the store is ranked
 * afresh, byte for byte a fresh build's. */
static void test_stale_base(void **state)
{
    (void)state;
    corpus c1, c2;
    make_corpus(&c1, 77, 24, 200, 2500);
    make_corpus(&c2, 77, 24, 200, 2500);
    uint64_t keep = 0;
    for (size_t f = 0; f < c1.nfiles; f++) {
        if (f % 3 == 0)
            retext(&c1.files[f], "gone", f); /* tokens that c2 no longer has */
        else
            keep |= (uint64_t)1 << f;
    }
    char *g1 = tempdir(), *g2 = tempdir(), *g3 = tempdir(), *gf = tempdir();
    build(&c1, g1, 0, NULL, 0);
    build(&c2, gf, 0, NULL, 0); /* fresh */
    as_index *ix1 = open_gen(g1);
    as_wstore_stats st = {0, 7, 7};
    build_with(&c2, g2, 0, ix1, keep, ix1, &st); /* g1 is fresh: kept, "gone" tokens and all */
    assert_int_equal(st.base, 1);
    assert_int_equal(st.recoded, 0);
    as_index *ix2 = open_gen(g2);
    assert_vocab_prefix(ix1, ix2);
    assert_blocks_verbatim(ix1, 1, ix2, 1);
    as_err err = {0};
    assert_int_equal(as_index_verify(ix2, &err), AS_OK);
    check_docs(ix2, &c2);
    assert_true(ix2->voc_ntok > 2 * as_index_ndocs(ix2) / 10); /* mostly "gone" tokens */
    as_index_close(ix1);
    build_with(&c2, g3, 0, ix2, ~(uint64_t)0, ix2, &st); /* stale: ranked afresh */
    assert_int_equal(st.base, 0);
    assert_int_equal(st.verbatim, 0);
    assert_int_equal(st.recoded, ix2->mf[MF_STORE_NBLOCKS]);
    assert_same_gens(gf, g3);
    as_index *ix3 = open_gen(g3);
    assert_true(ix3->voc_ntok < ix2->voc_ntok / 2);
    as_index_close(ix3);
    as_index_close(ix2);
    char *gs[] = {g1, g2, g3, gf};
    for (size_t i = 0; i < 4; i++) {
        rmtree(gs[i]);
        free(gs[i]);
    }
    free_corpus(&c1);
    free_corpus(&c2);
}

/* A base with a damaged store page in a file the run does not copy: not
 * kept (and the damage not recorded against it), the run succeeds, its
 * store ranked afresh as a fresh build's. */
static void test_damaged_base(void **state)
{
    (void)state;
    corpus c1, c2;
    make_corpus(&c1, 555, 16, 200, 2500);
    make_corpus(&c2, 555, 16, 200, 2500);
    uint64_t keep = ~(uint64_t)2; /* file 1 changes */
    retext(&c2.files[1], "newt", 1);
    char *g1 = tempdir(), *g2 = tempdir(), *gf = tempdir();
    build(&c1, g1, 0, NULL, 0);
    build(&c2, gf, 0, NULL, 0);
    as_index *ix = open_gen(g1);
    as_file_state fs;
    uint64_t b;
    as_ix_sblock sb;
    assert_int_equal(as_index_file(ix, 1, &fs), AS_OK);
    assert_true(fs.ndocs > 0);
    assert_int_equal(as_ix_store_find(ix, fs.first_doc, &b), AS_OK);
    assert_int_equal(as_ix_store_block(ix, b, &sb), AS_OK);
    as_index_close(ix);
    size_t n;
    uint8_t *st = slurp(g1, "store", &n);
    st[AS_HEADER_SIZE + sb.off + sb.clen / 2] ^= 0x10;
    spew(g1, "store", st, n);
    free(st);
    as_index *old = open_gen(g1);
    as_wstore_stats ss = {1, 7, 7};
    build_with(&c2, g2, 0, old, keep, old, &ss);
    assert_int_equal(ss.base, 0);
    assert_int_equal(ss.verbatim, 0);
    assert_true(ss.recoded > 0);
    assert_int_equal(as_index_status(old), AS_OK);
    as_index_close(old);
    assert_same_gens(gf, g2);
    char *gs[] = {g1, g2, gf};
    for (size_t i = 0; i < 3; i++) {
        rmtree(gs[i]);
        free(gs[i]);
    }
    free_corpus(&c1);
    free_corpus(&c2);
}

/* Reads everything a query could: every term's postings and positions,
 * every doc's columns, unit, file, text and duplicates.  Returns
 * as_index_status() after. */
static int read_everything(const as_index *ix)
{
    as_docbuf db = {0};
    for (uint32_t d = 0; d < as_index_ndocs(ix); d++) {
        as_docrec r;
        as_index_doc(ix, d, &db, &r);
        as_index_doclen(ix, d);
        as_index_kind(ix, d);
        const as_unit *u = as_index_unit(ix, as_index_unit_of(ix, d));
        as_file_state fs;
        as_index_file(ix, u->file, &fs);
        const uint32_t *m;
        uint32_t n;
        as_index_dups(ix, d, &m, &n);
        for (uint32_t k = 0; k < n; k++)
            assert_true(m[k] < as_index_ndocs(ix));
    }
    as_docbuf_free(&db);
    for (uint32_t f = 0; f < as_index_nfiles(ix); f++) {
        as_file_state fs;
        as_index_file(ix, f, &fs);
    }
    for (int k = 0; k < 3000; k++) {
        char t[16];
        snprintf(t, sizeof t, "w%d", k);
        as_term info;
        if (as_index_find_term(ix, t, strlen(t), &info) != AS_OK)
            continue;
        as_pcur c;
        as_pcur_init(&c, ix, &info);
        uint32_t prev = 0;
        int first = 1;
        while (c.doc != AS_DOC_END) {
            assert_true(c.doc < as_index_ndocs(ix));
            assert_true(first || c.doc > prev);
            first = 0;
            prev = c.doc;
            const uint32_t *pos;
            uint32_t np;
            if (as_pcur_positions(&c, &pos, &np) == AS_OK)
                assert_int_equal(np, c.wdf);
            as_pcur_next(&c);
        }
        as_pcur_seek(&c, 5);
        as_pcur_release(&c);
        as_pcur_init(&c, ix, &info);
        as_pcur_seek_block(&c, as_index_ndocs(ix) / 2);
        as_pcur_seek(&c, as_index_ndocs(ix) / 2);
        as_pcur_release(&c);
    }
    return as_index_status(ix);
}

/* A flipped byte anywhere: open fails, or verify and the reads that touch
 * it report AS_ECORRUPT; never a crash (run under ASan). */
static void test_flipped_bytes(void **state)
{
    (void)state;
    corpus c;
    make_corpus(&c, 31337, 12, 100, 1500);
    char *dir = tempdir();
    build(&c, dir, 0, NULL, 0);
    rng_state = 99;
    for (size_t i = 0; i < sizeof gen_files / sizeof *gen_files; i++) {
        size_t n;
        uint8_t *orig = slurp(dir, gen_files[i], &n);
        int tries = i == 0 ? 60 : 40;
        for (int k = 0; k < tries; k++) {
            size_t at = k < 6 ? (size_t)k * 7 % n : (size_t)(rnd() % n);
            if (k == 6)
                at = n - 1;
            uint8_t *b = malloc(n);
            memcpy(b, orig, n);
            b[at] ^= (uint8_t)(1u << (rnd() % 8));
            spew(dir, gen_files[i], b, n);
            free(b);
            as_index *ix = NULL;
            as_err err = {0};
            int rc = as_index_open_gen(dir, &ix, &err);
            if (rc != AS_OK) {
                assert_true(rc == AS_ECORRUPT || rc == AS_EFORMAT);
                assert_non_null(strstr(err.msg, gen_files[i]));
                continue;
            }
            /* reads first (pages unchecked), then verify */
            int st = read_everything(ix);
            rc = as_index_verify(ix, &err);
            if (rc != AS_ECORRUPT)
                fail_msg("%s: flipped byte %zu of %zu not detected", gen_files[i], at, n);
            assert_non_null(strstr(err.msg, gen_files[i]));
            (void)st;
            as_index_close(ix);
        }
        spew(dir, gen_files[i], orig, n);
        free(orig);
    }
    /* the original opens and verifies again */
    as_index *ix = open_gen(dir);
    as_err err = {0};
    assert_int_equal(as_index_verify(ix, &err), AS_OK);
    assert_int_equal(read_everything(ix), AS_OK);
    as_index_close(ix);
    rmtree(dir);
    free(dir);
    free_corpus(&c);
}

/* A flipped byte in a page a query reads gives AS_ECORRUPT on that read,
 * not a wrong answer. */
static void test_damage_seen_by_reads(void **state)
{
    (void)state;
    corpus c;
    make_corpus(&c, 5150, 10, 100, 800);
    char *dir = tempdir();
    build(&c, dir, 0, NULL, 0);
    const char *names[] = {"postings", "positions", "terms", "docs", "store"};
    for (size_t i = 0; i < 5; i++) {
        size_t n;
        uint8_t *orig = slurp(dir, names[i], &n);
        /* the body's middle: inside some page every full read touches */
        size_t at = AS_HEADER_SIZE + (n - AS_HEADER_SIZE) / 3;
        uint8_t *b = malloc(n);
        memcpy(b, orig, n);
        b[at] ^= 0x10;
        spew(dir, names[i], b, n);
        free(b);
        as_index *ix = open_gen(dir);
        assert_int_equal(as_index_status(ix), AS_OK);
        assert_int_equal(read_everything(ix), AS_ECORRUPT);
        assert_non_null(strstr(as_index_errmsg(ix), names[i]));
        assert_non_null(strstr(as_index_errmsg(ix), "checksum mismatch"));
        as_index_close(ix);
        spew(dir, names[i], orig, n);
        free(orig);
    }
    rmtree(dir);
    free(dir);
    free_corpus(&c);
}

static void test_truncated(void **state)
{
    (void)state;
    corpus c;
    make_corpus(&c, 2024, 6, 60, 500);
    char *dir = tempdir();
    build(&c, dir, 0, NULL, 0);
    for (size_t i = 0; i < sizeof gen_files / sizeof *gen_files; i++) {
        size_t n;
        uint8_t *orig = slurp(dir, gen_files[i], &n);
        size_t cuts[] = {0, 3, AS_HEADER_SIZE, n / 2, n - 1};
        for (size_t k = 0; k < 5; k++) {
            spew(dir, gen_files[i], orig, cuts[k]);
            as_index *ix = NULL;
            as_err err = {0};
            assert_int_equal(as_index_open_gen(dir, &ix, &err), AS_ECORRUPT);
            assert_null(ix);
            assert_non_null(strstr(err.msg, gen_files[i]));
        }
        spew(dir, gen_files[i], orig, n);
        free(orig);
    }
    /* a missing file */
    char p[4096];
    snprintf(p, sizeof p, "%s/postings", dir);
    unlink(p);
    as_index *ix = NULL;
    as_err err = {0};
    assert_int_equal(as_index_open_gen(dir, &ix, &err), AS_ENOTFOUND);
    assert_non_null(strstr(err.msg, "postings"));
    rmtree(dir);
    free(dir);
    free_corpus(&c);
}

static void test_versions(void **state)
{
    (void)state;
    corpus c;
    make_corpus(&c, 1, 3, 20, 100);
    char *dir = tempdir();
    build(&c, dir, 0, NULL, 0);
    size_t n;
    uint8_t *orig = slurp(dir, "meta", &n);
    uint8_t *b = malloc(n);
    /* another format version in a header */
    memcpy(b, orig, n);
    b[4] = AS_FORMAT_VERSION + 1;
    spew(dir, "meta", b, n);
    as_index *ix = NULL;
    as_err err = {0};
    assert_int_equal(as_index_open_gen(dir, &ix, &err), AS_EFORMAT);
    char want[128];
    snprintf(want, sizeof want, "index format %d, this program reads %d: rebuild with assess-index --rebuild",
             AS_FORMAT_VERSION + 1, AS_FORMAT_VERSION);
    assert_non_null(strstr(err.msg, want));
    /* another analyzer version (with a good checksum) */
    memcpy(b, orig, n);
    b[AS_HEADER_SIZE + 8 * MF_ANALYZER] = AS_ANALYZER_VERSION + 1;
    uint32_t crc = (uint32_t)crc32(0, b, (uInt)(n - 4));
    memcpy(b + n - 4, &crc, 4);
    spew(dir, "meta", b, n);
    assert_int_equal(as_index_open_gen(dir, &ix, &err), AS_EFORMAT);
    assert_non_null(strstr(err.msg, "rebuild"));
    spew(dir, "meta", orig, n);
    /* and in a paged file */
    size_t pn;
    uint8_t *po = slurp(dir, "postings", &pn);
    po[4] = 9;
    spew(dir, "postings", po, pn);
    assert_int_equal(as_index_open_gen(dir, &ix, &err), AS_EFORMAT);
    assert_non_null(strstr(err.msg, "postings: index format 9"));
    free(po);
    free(b);
    free(orig);
    rmtree(dir);
    free(dir);
    free_corpus(&c);
}

static void test_open_current(void **state)
{
    (void)state;
    corpus c;
    make_corpus(&c, 7, 3, 20, 100);
    char *dir = tempdir();
    as_index *ix = NULL;
    as_err err = {0};
    assert_int_equal(as_index_open(dir, &ix, &err), AS_ENOTFOUND);
    assert_non_null(strstr(err.msg, "no index here"));
    char gen[4096];
    snprintf(gen, sizeof gen, "%s/gen-000007", dir);
    assert_int_equal(mkdir(gen, 0700), 0);
    build(&c, gen, 0, NULL, 0);
    spew(dir, "CURRENT", (const uint8_t *)"gen-000007\n", 11);
    assert_int_equal(as_index_open(dir, &ix, &err), AS_OK);
    assert_string_equal(as_index_gen_dir(ix), gen);
    assert_true(as_index_built(ix) > 1700000000);
    as_index_close(ix);
    spew(dir, "CURRENT", (const uint8_t *)"gen-000008\n", 11);
    assert_int_equal(as_index_open(dir, &ix, &err), AS_ENOTFOUND);
    spew(dir, "CURRENT", (const uint8_t *)"../x\n", 5);
    assert_int_equal(as_index_open(dir, &ix, &err), AS_ECORRUPT);
    rmtree(dir);
    free(dir);
    free_corpus(&c);
}

/* A write that fails (here EFBIG under a file size limit, as a full disk
 * would) gives AS_EIO naming the file and the reason. */
static void test_write_error(void **state)
{
    (void)state;
    corpus c;
    make_corpus(&c, 55, 20, 150, 2000);
    char *dir = tempdir();
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 20000; /* bytes: the store and postings exceed it */
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    int rc = AS_OK;
    for (size_t f = 0; f < c.nfiles && rc == AS_OK; f++) {
        as_file_state fs = fstate(&c.files[f]);
        rc = as_writer_begin_file(w, &fs);
        as_token toks[1024];
        char store[16384];
        for (size_t d = 0; d < c.files[f].ndocs && rc == AS_OK; d++) {
            const tdoc *td = &c.files[f].docs[d];
            as_doc_in in = {NULL, td->text, NULL, td->kind, 1, 1, 1, NULL};
            rc = as_writer_add(w, &in, toks, tokenize(td->text, toks, 1024, store));
        }
        if (rc == AS_OK)
            rc = as_writer_end_file(w, NULL);
    }
    if (rc == AS_OK)
        rc = as_writer_finish(w, &err);
    else {
        snprintf(err.msg, sizeof err.msg, "%s", as_writer_errmsg(w));
        as_writer_abort(w);
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, AS_EIO);
    assert_non_null(strstr(err.msg, dir));
    assert_non_null(strstr(err.msg, strerror(EFBIG)));
    rmtree(dir);
    free(dir);
    free_corpus(&c);
}

/* Long sentences: doclen past the u16 column (overflow table), wdf past
 * the skip entry's u16, thousands of a term at one position. */
static void test_extremes(void **state)
{
    (void)state;
    char *dir = tempdir();
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    as_file_state fs = {"/x.txt", NULL, 1, 1, 1, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    size_t big = 70000;
    as_token *toks = calloc(big + 6000, sizeof *toks);
    as_doc_in in = {NULL, "many", NULL, AS_KIND_FINDING, 1, 0, 0, NULL};
    for (uint32_t d = 0; d < 300; d++) {
        size_t n = 0;
        if (d == 150) { /* "x" 70000 times */
            for (uint32_t k = 0; k < big; k++)
                toks[n++] = (as_token){"x", 1, k, 0, 0, 0, 0, 0};
        } else if (d == 151) { /* "y" 5000 times at position 0 */
            for (uint32_t k = 0; k < 5000; k++)
                toks[n++] = (as_token){"y", 1, 0, 0, 0, 0, 0, 0};
            toks[n++] = (as_token){"x", 1, 3, 0, 0, 0, 0, 0};
        } else {
            toks[n++] = (as_token){"x", 1, d % 7, 0, 0, 0, 0, 0};
            toks[n++] = (as_token){"y", 1, 9, 0, 0, 0, 0, 0};
        }
        assert_int_equal(as_writer_add(w, &in, toks, n), AS_OK);
    }
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);
    as_index *ix = open_gen(dir);
    assert_int_equal(as_index_verify(ix, &err), AS_OK);
    assert_int_equal(as_index_doclen(ix, 150), big);
    assert_int_equal(as_index_doclen(ix, 151), 5001);
    assert_int_equal(as_index_doclen(ix, 152), 2);
    assert_int_equal(as_index_total_len(ix), big + 5001 + 298 * 2);
    as_term t;
    assert_int_equal(as_index_find_term(ix, "x", 1, &t), AS_OK);
    assert_int_equal(t.df, 300);
    assert_int_equal(t.max_wdf, big);
    assert_int_equal(t.min_doclen, 2);
    as_pcur c;
    as_pcur_init(&c, ix, &t);
    assert_int_equal(as_pcur_seek(&c, 150), 150);
    assert_int_equal(c.wdf, big);
    assert_true(c.block_maxwdf >= big);
    const uint32_t *pos;
    uint32_t np;
    assert_int_equal(as_pcur_positions(&c, &pos, &np), AS_OK);
    assert_int_equal(np, big);
    for (uint32_t k = 0; k < big; k++)
        assert_int_equal(pos[k], k);
    assert_int_equal(as_pcur_next(&c), 151);
    assert_int_equal(as_pcur_positions(&c, &pos, &np), AS_OK);
    assert_int_equal(np, 1);
    assert_int_equal(pos[0], 3);
    as_pcur_release(&c);
    assert_int_equal(as_index_find_term(ix, "y", 1, &t), AS_OK);
    as_pcur_init(&c, ix, &t);
    assert_int_equal(as_pcur_seek(&c, 151), 151);
    assert_int_equal(c.wdf, 5000);
    assert_int_equal(as_pcur_positions(&c, &pos, &np), AS_OK);
    assert_int_equal(np, 5000);
    assert_int_equal(pos[0], 0);
    assert_int_equal(pos[4999], 0);
    as_pcur_release(&c);
    /* all of them are duplicates of each other: one group of 300 */
    const uint32_t *mem;
    uint32_t nm;
    as_index_dups(ix, 17, &mem, &nm);
    assert_int_equal(nm, 300);
    assert_int_equal(mem[299], 299);
    as_index_close(ix);
    free(toks);
    rmtree(dir);
    free(dir);
}

/* The wdf of term k (0: "a", in most docs; 1: "e", in a scattered third)
 * in doc d of test_probe's index, 0 when the term is absent. */
static uint32_t probe_wdf(int k, uint32_t d)
{
    if (k == 0)
        return d % 3 == 1 ? 0 : 1 + d % 4;
    return (d * d + d / 7) % 5 < 2 ? 1 + d % 3 : 0;
}

/* The first doc >= target of probe_wdf's term k, or AS_DOC_END. */
static uint32_t probe_want(int k, uint32_t target, uint32_t ndocs)
{
    for (uint32_t d = target; d < ndocs; d++)
        if (probe_wdf(k, d))
            return d;
    return AS_DOC_END;
}

/* as_pcur_probe against the postings the index was built from, for every
 * target (so the first and last posting of each block, a doc absent
 * between two, past the end): from a fresh cursor, then next or seek or
 * positions after it (the lazy block decoded); and one cursor probing
 * onward (inside a lazy block, after seek_block). */
static void test_probe(void **state)
{
    (void)state;
    char *dir = tempdir();
    as_writer *w = NULL;
    as_err err = {0};
    const uint32_t ndocs = 1500;
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    as_file_state fs = {"/p.txt", NULL, 1, 1, 1, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    as_doc_in in = {NULL, "probe", NULL, AS_KIND_FINDING, 1, 0, 0, NULL};
    for (uint32_t d = 0; d < ndocs; d++) {
        as_token toks[16];
        size_t n = 0;
        toks[n++] = (as_token){"b", 1, 0, 0, 0, 0, 0, 0};
        for (uint32_t q = 0; q < probe_wdf(0, d); q++)
            toks[n++] = (as_token){"a", 1, 1 + q, 0, 0, 0, 0, 0};
        for (uint32_t q = 0; q < probe_wdf(1, d); q++)
            toks[n++] = (as_token){"e", 1, 8 + q, 0, 0, 0, 0, 0};
        assert_int_equal(as_writer_add(w, &in, toks, n), AS_OK);
    }
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);
    as_index *ix = open_gen(dir);
    assert_int_equal(as_index_ndocs(ix), ndocs);
    const char *name[2] = {"a", "e"};
    for (int k = 0; k < 2; k++) {
        as_term t;
        assert_int_equal(as_index_find_term(ix, name[k], 1, &t), AS_OK);
        assert_true(t.df > 3 * AS_BLOCK_SIZE);
        as_pcur c;
        for (uint32_t target = 0; target <= ndocs; target++) {
            uint32_t want = probe_want(k, target, ndocs);
            as_pcur_init(&c, ix, &t);
            assert_int_equal(as_pcur_probe(&c, target), want);
            assert_int_equal(c.doc, want);
            if (want == AS_DOC_END)
                continue;
            assert_int_equal(c.wdf, probe_wdf(k, want));
            const uint32_t *pos;
            uint32_t np;
            switch (target % 3) {
            case 0:
                assert_int_equal(as_pcur_next(&c), probe_want(k, want + 1, ndocs));
                break;
            case 1:
                assert_int_equal(as_pcur_seek(&c, target), want);
                assert_int_equal(as_pcur_seek(&c, want + 1), probe_want(k, want + 1, ndocs));
                break;
            default:
                assert_int_equal(as_pcur_positions(&c, &pos, &np), AS_OK);
                assert_int_equal(np, probe_wdf(k, want));
                assert_int_equal(pos[0], k == 0 ? 1 : 8);
                assert_int_equal(as_pcur_next(&c), probe_want(k, want + 1, ndocs));
            }
            if (c.doc != AS_DOC_END)
                assert_int_equal(c.wdf, probe_wdf(k, c.doc));
            as_pcur_release(&c);
        }
        for (uint32_t step = 1; step < 40; step += 7) {
            as_pcur_init(&c, ix, &t);
            uint32_t target = 0, n = 0;
            for (;;) {
                uint32_t want = probe_want(k, target, ndocs);
                if (n++ % 5 == 4)
                    as_pcur_seek_block(&c, target);
                assert_int_equal(as_pcur_probe(&c, target), want);
                if (want == AS_DOC_END)
                    break;
                assert_int_equal(c.wdf, probe_wdf(k, want));
                target += 1 + (target * 7 + step) % step;
            }
            assert_int_equal(as_pcur_probe(&c, ndocs), AS_DOC_END);
            as_pcur_release(&c);
        }
    }
    as_index_close(ix);
    rmtree(dir);
    free(dir);
}

/* Term "a" of test_skip_pages's index: in every doc but d % 5 == 3. */
static uint32_t skp_want(uint32_t target, uint32_t ndocs)
{
    uint32_t d = target + (target % 5 == 3);
    return d < ndocs ? d : AS_DOC_END;
}

/* A skip table over several pages (563 blocks, 22 bytes each: 13 pages of
 * 1 KiB): seek, probe and seek_block from fresh cursors with strides
 * short and long (a gallop crossing pages, runs joined and begun anew),
 * against the postings built.  The cursor's run of checked skip pages must
 * hold the entry of the block it ends in (the cheap path ran), and join
 * the pages a walk of short strides crosses. */
static void test_skip_pages(void **state)
{
    (void)state;
    char *dir = tempdir();
    as_writer *w = NULL;
    as_err err = {0};
    const uint32_t ndocs = 90000;
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    as_file_state fs = {"/s.txt", NULL, 1, 1, 1, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    as_doc_in in = {NULL, "skip", NULL, AS_KIND_FINDING, 1, 0, 0, NULL};
    for (uint32_t d = 0; d < ndocs; d++) {
        as_token toks[2];
        size_t n = 0;
        toks[n++] = (as_token){"b", 1, 0, 0, 0, 0, 0, 0};
        if (d % 5 != 3)
            toks[n++] = (as_token){"a", 1, 1, 0, 0, 0, 0, 0};
        assert_int_equal(as_writer_add(w, &in, toks, n), AS_OK);
    }
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);
    as_index *ix = open_gen(dir);
    as_term t;
    assert_int_equal(as_index_find_term(ix, "a", 1, &t), AS_OK);
    assert_int_equal(t.df, ndocs / 5 * 4);
    const uint32_t strides[] = {1, 97, 700, 3001, 30001};
    for (size_t k = 0; k < sizeof strides / sizeof *strides; k++) {
        for (int op = 0; op < 3; op++) {
            as_pcur c;
            as_pcur_init(&c, ix, &t);
            assert_true(c.nb > 512);
            uint32_t target = strides[k] / 2, got = 0;
            int anew = 0; /* a run begun past a page not read */
            for (;; target += strides[k]) {
                uint32_t want = skp_want(target, ndocs);
                if (op == 2 && want != AS_DOC_END) {
                    uint32_t last = as_pcur_seek_block(&c, target);
                    assert_true(last >= want && last != AS_DOC_END);
                }
                got = op == 1 ? as_pcur_probe(&c, target) : as_pcur_seek(&c, target);
                assert_int_equal(got, want);
                if (got == AS_DOC_END)
                    break;
                assert_int_equal(c.wdf, 1);
                assert_true(c.block - c.skok_lo < c.skok_n);
                anew |= c.skok_lo > 0;
            }
            assert_int_equal(as_index_status(ix), AS_OK);
            /* short strides read every entry: one run over all pages */
            if (strides[k] == 1)
                assert_true(c.skok_lo == 0 && c.skok_n == c.nb && c.skpg_hi > c.skpg_lo + 8);
            /* the first long seek gallops 256 -> 512 blocks, over pages */
            if (strides[k] == 30001)
                assert_true(anew);
            as_pcur_release(&c);
        }
    }
    as_index_close(ix);
    rmtree(dir);
    free(dir);
}

/* Rewrites the checksums of a generation file after tampering, so that
 * only the structural checks stand between the reader and the bytes. */
static void fix_crcs(uint8_t *b, size_t n, int meta)
{
    if (n < AS_HEADER_SIZE + 4)
        return;
    if (meta) {
        uint32_t crc = (uint32_t)crc32(0, b, (uInt)(n - 4));
        memcpy(b + n - 4, &crc, 4);
        return;
    }
    uint64_t blen;
    uint32_t log2;
    memcpy(&log2, b + 8, 4);
    memcpy(&blen, b + 16, 8);
    if (log2 < 6 || log2 > 24 || blen > n)
        return;
    uint64_t page = (uint64_t)1 << log2, np = (blen + page - 1) / page;
    if (AS_HEADER_SIZE + blen + 4 * np + 4 != n)
        return;
    for (uint64_t p = 0; p < np; p++) {
        uint64_t len = blen - p * page < page ? blen - p * page : page;
        uint32_t crc = (uint32_t)crc32(0, b + AS_HEADER_SIZE + p * page, (uInt)len);
        memcpy(b + AS_HEADER_SIZE + blen + 4 * p, &crc, 4);
    }
}

/* Structural fuzzing: random bytes changed with the checksums made good
 * again.  Results may be wrong, but nothing may crash or read out of
 * bounds (run under ASan), and verify must not loop. */
/* Writes the hand-made corpus of test_high_list_by_hand into dir. */
static void write_high_corpus(const char *dir, uint32_t high_min_df)
{
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    if (high_min_df)
        as_writer_set_high_min_df(w, high_min_df);
    as_file_state fs = {"/c/h.txt", "h.txt", 1, 1, 1, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    as_meta m = {"Wigan", 1, 1, 20231117, 20231120};
    as_token t[40];
    for (uint32_t d = 0; d < 400; d++) {
        uint32_t wx = d < 320, len = 20;
        if (d < 320 && d % 32 == 5)
            len = 2;
        if (d < 320 && d % 64 == 9) {
            wx = 4;
            len = 30;
        }
        if (d < 320 && d % 64 == 41) {
            wx = 2;
            len = 3;
        }
        for (uint32_t i = 0; i < len; i++)
            t[i] = (as_token){i < wx ? "x" : "y", 1, i, 0, 0, 0, 0, 0};
        as_doc_in in = {&m, "x y", NULL, AS_KIND_FINDING, d + 1, 0, 0, NULL};
        assert_int_equal(as_writer_add(w, &in, t, len), AS_OK);
    }
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);
}

/* A term's high list (format.h: high), exactly.  "x" is in docs 0..319:
 * 10 of length 2 (wdf 1), 5 with wdf 4 (length 30), 5 with wdf 2 (length
 * 3), the other 300 with wdf 1 at length 20.  Its budget is 320 / 16 = 20:
 * the 20 postings above fit, the 300 do not, so L1 = 19 and the list is
 * those 20.  Without a low enough high_min_df no term has one (the
 * default, 1024 postings, is above 320).  --check finds a list that breaks
 * the rule (L1 made 20: the length-20 docs should then be in it). */
static void test_high_list_by_hand(void **state)
{
    (void)state;
    char *dir = tempdir();
    write_high_corpus(dir, 0);
    as_index *ix = open_gen(dir);
    as_term t, hi;
    uint32_t l[3];
    assert_int_equal(as_index_find_term(ix, "x", 1, &t), AS_OK);
    assert_int_equal(t.df, 320);
    assert_int_equal(as_pcur_high(ix, &t, &hi, l), AS_ENOTFOUND);
    as_index_close(ix);
    rmtree(dir);
    assert_int_equal(mkdir(dir, 0700), 0);

    write_high_corpus(dir, 129);
    ix = open_gen(dir);
    as_err err = {0};
    assert_int_equal(as_index_verify(ix, &err), AS_OK);
    assert_int_equal(as_index_find_term(ix, "x", 1, &t), AS_OK);
    assert_int_equal(as_pcur_high(ix, &t, &hi, l), AS_OK);
    assert_int_equal(hi.df, 20);
    assert_int_equal(l[0], 19);
    /* no posting of wdf 2 past length 3, none of wdf 3: L2 and L3 run on
     * to AS_HIGH_MAXLEN (the same list, a tighter bound) */
    assert_int_equal(l[1], AS_HIGH_MAXLEN);
    assert_int_equal(l[2], AS_HIGH_MAXLEN);
    as_pcur c;
    as_pcur_init(&c, ix, &hi);
    for (uint32_t d = 0; d < 320; d++) {
        uint32_t wdf = d % 32 == 5 ? 1 : d % 64 == 9 ? 4 : d % 64 == 41 ? 2 : 0;
        if (!wdf)
            continue;
        assert_int_equal(c.doc, d);
        assert_int_equal(c.wdf, wdf);
        as_pcur_next(&c);
    }
    assert_int_equal(c.doc, AS_DOC_END);
    as_pcur_release(&c);
    /* "y" is in every doc, with wdf >= 4 in 385 of them: more than its
     * budget (400 / 16) already, so its list is those alone; its other 15
     * postings have wdf 1 at lengths 2 and 3, so L1 runs on from 0 to 1
     * only and L2, L3 to AS_HIGH_MAXLEN */
    as_term ty;
    assert_int_equal(as_index_find_term(ix, "y", 1, &ty), AS_OK);
    assert_int_equal(ty.df, 400);
    assert_int_equal(as_pcur_high(ix, &ty, &hi, l), AS_OK);
    assert_int_equal(hi.df, 385);
    assert_int_equal(l[0], 1);
    assert_int_equal(l[1], AS_HIGH_MAXLEN);
    assert_int_equal(l[2], AS_HIGH_MAXLEN);
    /* the header: v hdf v L1 v L2 v L3, then the list */
    assert_int_equal(as_pcur_high(ix, &t, &hi, l), AS_OK);
    size_t hlen = 1 + 1 + (l[1] < 128 ? 1 : 2) + (l[2] < 128 ? 1 : 2);
    uint64_t l1_at = hi.post_off - hlen + 1;
    as_index_close(ix);
    size_t n;
    uint8_t *b = slurp(dir, "postings", &n);
    assert_int_equal(b[AS_HEADER_SIZE + l1_at], 19);
    b[AS_HEADER_SIZE + l1_at] = 20;
    fix_crcs(b, n, 0);
    spew(dir, "postings", b, n);
    free(b);
    ix = open_gen(dir);
    assert_int_equal(as_index_verify(ix, &err), AS_ECORRUPT);
    assert_non_null(strstr(err.msg, "high list differs"));
    as_index_close(ix);
    rmtree(dir);
    free(dir);
}

/* Writes texts[0..n) as one file's sentences (lines line0, line0 + 1,
 * ...) into dir and returns its store file's bytes (*len; the caller
 * frees them) and the store's block 0 (*sb), which holds them all. */
static uint8_t *one_block_store(const char *dir, const char *const *texts, uint32_t n,
                                uint32_t line0, as_ix_sblock *sb, size_t *len)
{
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    as_file_state fs = {"/c/a.txt", "a.txt", 10, 5, 7, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    as_meta m = {"Wigan", 4, 3, 20231117, 20231120};
    as_token t[] = {{"w", 1, 0, 0, 0, 0, 0, 0}};
    for (uint32_t i = 0; i < n; i++) {
        as_doc_in in = {&m, texts[i], NULL, AS_KIND_FINDING, line0 + i, 1, 0, NULL};
        assert_int_equal(as_writer_add(w, &in, t, 1), AS_OK);
    }
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);
    as_index *ix = open_gen(dir);
    assert_int_equal(as_ix_store_block(ix, 0, sb), AS_OK);
    assert_int_equal(sb->first_doc, 0);
    assert_int_equal(sb->ndocs, n);
    as_index_close(ix);
    return slurp(dir, "store", len);
}

/* Steps *p over a store record's text and code lengths and its section
 * (0: none new; else the name's length + 1, then the name), to its line
 * delta. */
static void to_line_delta(const uint8_t **p, const uint8_t *end)
{
    uint64_t v = 0, sc = 0;
    assert_int_equal(varint_get(p, end, &v), 0);
    assert_int_equal(varint_get(p, end, &v), 0);
    assert_int_equal(varint_get(p, end, &sc), 0);
    *p += sc ? sc - 1 : 0;
}

/* A sentence's recorded text length (checksums made good) must be met
 * exactly by as_index_doc's decoding, which writes into the buffer's
 * slack: every shorter length (cut inside a token, or where the space
 * between two words falls) and a few longer ones give AS_ECORRUPT, the
 * true one the text. */
static void test_store_text_length(void **state)
{
    (void)state;
    char *dir = tempdir();
    const char *text = "Alpha beta, gamma delta epsilon.";
    as_ix_sblock sb;
    size_t len;
    uint8_t *orig = one_block_store(dir, &text, 1, 1, &sb, &len), *b = malloc(len);
    assert_non_null(b);
    as_index *ix;
    /* the block's first field: the length of the fields (varint), then
     * the first record's text length, one byte for this short text */
    const uint8_t *p = orig + AS_HEADER_SIZE + sb.off, *end = p + sb.clen;
    uint64_t fl;
    assert_int_equal(varint_get(&p, end, &fl), 0);
    size_t tl_at = (size_t)(p - orig);
    size_t real = strlen(text);
    assert_int_equal(orig[tl_at], real);
    as_docbuf db = {0};
    for (size_t tl = 0; tl <= real + 4; tl++) {
        memcpy(b, orig, len);
        b[tl_at] = (uint8_t)tl;
        fix_crcs(b, len, 0);
        spew(dir, "store", b, len);
        ix = open_gen(dir);
        as_docrec d;
        int rc = as_index_doc(ix, 0, &db, &d);
        if (tl == real) {
            assert_int_equal(rc, AS_OK);
            assert_string_equal(d.text, text);
        } else {
            if (rc != AS_ECORRUPT)
                fail_msg("text length %zu of %zu: %d, want AS_ECORRUPT", tl, real, rc);
            assert_non_null(strstr(as_index_errmsg(ix), "record of doc 0 damaged"));
        }
        as_index_close(ix);
    }
    as_docbuf_free(&db);
    free(b);
    free(orig);
    rmtree(dir);
    free(dir);
}

/* A line delta (checksums made good) that takes a sentence's line below 0
 * gives AS_ECORRUPT whether as_index_doc reads that record or steps over
 * it to a later one of its block (walk_skip_n), also where the next delta
 * brings the line back to 0 before the record read (doc 3: only a check
 * at every step sees it), and the records before it still read; a delta
 * that lands on line 0 reads, with every later line moved by it. */
static void test_store_line_delta(void **state)
{
    (void)state;
    char *dir = tempdir();
    static const char *const texts[] = {"Alpha beta.", "Gamma delta.", "Epsilon zeta.",
                                        "Eta theta."};
    as_ix_sblock sb;
    size_t len;
    uint8_t *orig = one_block_store(dir, texts, 4, 5, &sb, &len), *b = malloc(len);
    assert_non_null(b);
    as_index *ix;
    /* the fields: their length, then per record the text and code
     * lengths, the section (0: none new), the line and paragraph deltas
     * (zigzag), the sentence, the id's shared and new bytes, the id */
    const uint8_t *p = orig + AS_HEADER_SIZE + sb.off, *end = p + sb.clen;
    uint64_t v = 0, il = 0;
    assert_int_equal(varint_get(&p, end, &v), 0);
    to_line_delta(&p, end); /* record 0 */
    for (int k = 0; k < 4; k++)
        assert_int_equal(varint_get(&p, end, &v), 0);
    assert_int_equal(varint_get(&p, end, &il), 0);
    p += il;
    to_line_delta(&p, end); /* record 1 */
    size_t dl_at = (size_t)(p - orig);
    assert_int_equal(orig[dl_at], 2); /* record 1: line 5 -> 6, zigzag 2 */
    as_docbuf db = {0};
    as_docrec d;
    /* zigzag 9: -5, line 0; zigzag 11: -6, line -1 */
    for (uint8_t z = 9; z <= 11; z += 2) {
        memcpy(b, orig, len);
        b[dl_at] = z;
        fix_crcs(b, len, 0);
        spew(dir, "store", b, len);
        for (uint32_t doc = 0; doc < 4; doc++) { /* each on a fresh open: damage is sticky */
            ix = open_gen(dir);
            int rc = as_index_doc(ix, doc, &db, &d);
            if (doc == 0 || z == 9) {
                assert_int_equal(rc, AS_OK);
                assert_string_equal(d.text, texts[doc]);
                assert_int_equal(d.line, doc == 0 ? 5 : doc - 1);
            } else {
                if (rc != AS_ECORRUPT)
                    fail_msg("doc %u after line -1: %d, want AS_ECORRUPT", doc, rc);
                assert_non_null(strstr(as_index_errmsg(ix), "damaged"));
            }
            as_index_close(ix);
        }
    }
    as_docbuf_free(&db);
    free(b);
    free(orig);
    rmtree(dir);
    free(dir);
}

/* A duplicate map whose entries are out of order (checksums made good):
 * the first duplicate lookup reports the damage and finds no group, and
 * the intact map before it gave the groups; and one whose entry names a
 * group (checked already) that does not hold its doc. */
static void test_dups_out_of_order(void **state)
{
    (void)state;
    char *dir = tempdir();
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    as_file_state fs = {"/c/a.txt", "a.txt", 10, 5, 7, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    as_meta m = {"Wigan", 4, 3, 20231117, 20231120};
    as_token t[] = {{"w", 1, 0, 0, 0, 0, 0, 0}};
    const char *texts[] = {"One.", "Dup a.", "Two.", "Dup a.", "Dup b.", "Three.", "Dup b."};
    for (uint32_t d = 0; d < 7; d++) {
        as_doc_in in = {&m, texts[d], NULL, AS_KIND_FINDING, d + 1, d + 1, 0, NULL};
        assert_int_equal(as_writer_add(w, &in, t, 1), AS_OK);
    }
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);
    as_index *ix = open_gen(dir);
    uint32_t n = 0;
    assert_int_equal(as_index_dup_first(ix, 3, &n), 1);
    assert_int_equal(n, 2);
    assert_int_equal(as_index_dup_first(ix, 6, &n), 4);
    assert_int_equal(as_index_dup_first(ix, 2, &n), 2);
    assert_int_equal(n, 1);
    uint64_t map = ix->mf[MF_DUPMAP_OFF];
    assert_int_equal(ix->mf[MF_NDUPDOCS], 4);
    as_index_close(ix);
    /* swap the docs of entries 1 and 2 (3 and 4): the map descends there */
    size_t len;
    uint8_t *orig = slurp(dir, "docs", &len), *b = malloc(len);
    assert_non_null(b);
    memcpy(b, orig, len);
    uint8_t *e1 = b + AS_HEADER_SIZE + map + 8, *e2 = e1 + 8;
    assert_int_equal(le32(e1), 3);
    assert_int_equal(le32(e2), 4);
    put32(e1, 4);
    put32(e2, 3);
    fix_crcs(b, len, 0);
    spew(dir, "docs", b, len);
    ix = open_gen(dir);
    assert_int_equal(as_index_status(ix), AS_OK);
    assert_int_equal(as_index_dup_first(ix, 6, &n), 6);
    assert_int_equal(n, 1);
    assert_int_equal(as_index_status(ix), AS_ECORRUPT);
    assert_non_null(strstr(as_index_errmsg(ix), "duplicate map entry 2 out of order"));
    assert_int_equal(as_index_dup_first(ix, 1, &n), 1); /* still none, no crash */
    assert_int_equal(n, 1);
    as_index_close(ix);
    /* in order, but doc 4's entry names group 0 ({1, 3}), whose members
     * are checked already when 4 is looked up: still found not to hold 4 */
    memcpy(b, orig, len);
    assert_int_equal(le32(e2 + 4), 1);
    put32(e2 + 4, 0);
    fix_crcs(b, len, 0);
    spew(dir, "docs", b, len);
    ix = open_gen(dir);
    assert_int_equal(as_index_dup_first(ix, 3, &n), 1);
    assert_int_equal(n, 2);
    assert_int_equal(as_index_status(ix), AS_OK);
    assert_int_equal(as_index_dup_first(ix, 4, &n), 4);
    assert_int_equal(n, 1);
    assert_int_equal(as_index_status(ix), AS_ECORRUPT);
    assert_non_null(strstr(as_index_errmsg(ix), "duplicate group 0: bad members"));
    as_index_close(ix);
    free(b);
    free(orig);
    rmtree(dir);
    free(dir);
}

static void test_tampered_with_good_crcs(void **state)
{
    (void)state;
    corpus c;
    make_corpus(&c, 8080, 8, 80, 600);
    char *dir = tempdir();
    build(&c, dir, 0, NULL, 0);
    /* AS_FUZZ_ITERS=n runs longer (by hand, under ASan) */
    const char *env = getenv("AS_FUZZ_ITERS");
    int iters = env ? atoi(env) : 60;
    rng_state = env && getenv("AS_FUZZ_SEED") ? strtoull(getenv("AS_FUZZ_SEED"), NULL, 10) : 4711;
    int opened = 0, flagged = 0;
    for (size_t i = 0; i < sizeof gen_files / sizeof *gen_files; i++) {
        size_t n;
        uint8_t *orig = slurp(dir, gen_files[i], &n);
        for (int k = 0; k < iters; k++) {
            uint8_t *b = malloc(n);
            memcpy(b, orig, n);
            int nflips = 1 + (int)(rnd() % 4);
            for (int f = 0; f < nflips; f++) {
                /* body bytes (the header is guarded by its own crc) */
                size_t at = AS_HEADER_SIZE + (size_t)(rnd() % (n - AS_HEADER_SIZE - 4));
                b[at] = (uint8_t)(rnd() % 3 == 0 ? 0xff : rnd());
            }
            fix_crcs(b, n, i == 0);
            spew(dir, gen_files[i], b, n);
            free(b);
            as_index *ix = NULL;
            as_err err = {0};
            if (as_index_open_gen(dir, &ix, &err) != AS_OK)
                continue;
            opened++;
            read_everything(ix);
            if (as_index_verify(ix, &err) != AS_OK)
                flagged++;
            as_index_close(ix);
        }
        spew(dir, gen_files[i], orig, n);
        free(orig);
    }
    /* most tampering is caught by the structure checks */
    assert_true(opened > 0);
    assert_true(flagged * 2 > opened);
    rmtree(dir);
    free(dir);
    free_corpus(&c);
}

/* An incremental build from a generation tampered with (crcs made good
 * again): its postings, positions and store blocks are read by the
 * writer's own readers (encode.c, storew.c), which must refuse the damage
 * they meet, never crash (run it under ASan). */
static void test_copy_from_tampered(void **state)
{
    (void)state;
    corpus c;
    make_corpus(&c, 6060, 8, 150, 400);
    retext(&c.files[1], "fresh", 1); /* added, not copied */
    char *dir = tempdir(), *out = tempdir();
    build(&c, dir, 0, NULL, 0);
    rng_state = 1234;
    int built = 0, refused = 0;
    static const char *const files[] = {"postings", "positions", "store", "terms"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        size_t n;
        uint8_t *orig = slurp(dir, files[i], &n);
        for (int k = 0; k < 30; k++) {
            uint8_t *b = malloc(n);
            memcpy(b, orig, n);
            int nflips = 1 + (int)(rnd() % 3);
            for (int f = 0; f < nflips; f++) {
                size_t at = AS_HEADER_SIZE + (size_t)(rnd() % (n - AS_HEADER_SIZE - 4));
                b[at] = (uint8_t)(rnd() % 3 == 0 ? 0xff : rnd());
            }
            fix_crcs(b, n, 0);
            spew(dir, files[i], b, n);
            free(b);
            as_index *old = NULL;
            as_err err = {0};
            if (as_index_open_gen(dir, &old, &err) != AS_OK)
                continue;
            as_writer_opts o = {0, NULL};
            as_writer *w = NULL;
            assert_int_equal(as_writer_open(out, &o, &w, &err), AS_OK);
            int rc = as_writer_set_base(w, old, NULL);
            for (size_t f = 0; f < c.nfiles && rc == AS_OK; f++) {
                if (f == 1)
                    add_file(w, &c.files[f]);
                else
                    rc = as_writer_copy_file(w, old, (uint32_t)f);
            }
            if (rc == AS_OK)
                rc = as_writer_finish(w, &err);
            else
                as_writer_abort(w);
            if (rc != AS_OK && rc != AS_ECORRUPT)
                fail_msg("%s: rc %d: %s", files[i], rc, err.msg);
            built += rc == AS_OK;
            refused += rc == AS_ECORRUPT;
            as_index_close(old);
            rmtree(out);
            assert_int_equal(mkdir(out, 0700), 0);
        }
        spew(dir, files[i], orig, n);
        free(orig);
    }
    assert_true(refused > 0);
    assert_true(built + refused > 40);
    rmtree(dir);
    rmtree(out);
    free(dir);
    free(out);
    free_corpus(&c);
}

static int count_terms(void *arg, const char *term, size_t len, const as_term *info)
{
    (void)term, (void)len, (void)info;
    ++*(int *)arg;
    return 0;
}

/* No sentences at all: still a valid generation. */
static void test_empty(void **state)
{
    (void)state;
    for (int files = 0; files < 2; files++) {
        char *dir = tempdir();
        as_writer *w = NULL;
        as_err err = {0};
        assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
        if (files) {
            as_file_state fs = {"/empty.txt", NULL, 0, 0, 0, 0, 0};
            assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
            assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
        }
        assert_int_equal(as_writer_finish(w, &err), AS_OK);
        as_index *ix = open_gen(dir);
        assert_int_equal(as_index_verify(ix, &err), AS_OK);
        assert_int_equal(as_index_ndocs(ix), 0);
        assert_int_equal(as_index_nterms(ix), 0);
        assert_int_equal(as_index_nfiles(ix), (uint32_t)files);
        assert_int_equal(as_index_nunits(ix), 0);
        assert_int_equal(as_index_unit_of(ix, 0), AS_NONE);
        assert_int_equal(as_index_unit(ix, 0)->ndocs, 0);
        as_term t;
        assert_int_equal(as_index_find_term(ix, "a", 1, &t), AS_ENOTFOUND);
        int n = 0;
        assert_int_equal(as_index_each_term(ix, "", 0, count_terms, &n), AS_OK);
        assert_int_equal(n, 0);
        const uint32_t *m;
        uint32_t nm = 9;
        as_index_dups(ix, 0, &m, &nm);
        assert_int_equal(nm, 0);
        as_docbuf db = {0};
        as_docrec r;
        assert_int_equal(as_index_doc(ix, 0, &db, &r), AS_ENOTFOUND);
        as_pcur c;
        as_pcur_init(&c, ix, NULL);
        assert_int_equal(c.doc, AS_DOC_END);
        assert_int_equal(as_pcur_next(&c), AS_DOC_END);
        assert_int_equal(as_pcur_seek_block(&c, 0), AS_DOC_END);
        as_index_close(ix);
        rmtree(dir);
        free(dir);
    }
}

/* A corpus of one file whose sentences are texts[0..n). */
static void corpus_of(corpus *c, const char *const *texts, size_t n)
{
    c->nfiles = 1;
    c->files = calloc(1, sizeof *c->files);
    assert_non_null(c->files);
    tfile *tf = &c->files[0];
    snprintf(tf->path, sizeof tf->path, "/corpus/few.txt");
    tf->ndocs = n;
    tf->docs = calloc(n + 1, sizeof *tf->docs);
    assert_non_null(tf->docs);
    for (size_t d = 0; d < n; d++) {
        tf->docs[d].text = xstrdup(texts[d]);
        tf->docs[d].line = (uint32_t)d + 1;
        tf->docs[d].council = "Some Council";
    }
}

/* Builds c twice, by the two-thread encoding of a full build and with a
 * run per sentence (the serial merge), and checks the generations are the
 * same bytes, verify and hold exactly c's postings.  Frees c. */
static void assert_split_same(corpus *c)
{
    char *a = tempdir(), *b = tempdir();
    build(c, a, 0, NULL, 0);
    build(c, b, 1, NULL, 0);
    assert_same_gens(a, b);
    as_index *ix = open_gen(a);
    as_err err = {0};
    assert_int_equal(as_index_verify(ix, &err), AS_OK);
    check_postings(ix, c);
    as_index_close(ix);
    rmtree(a);
    rmtree(b);
    free(a);
    free(b);
    free_corpus(c);
}

/* A fresh build's terms are encoded in two ranges on two threads, the
 * later one into buffers appended with its offsets moved (encode.c:
 * encode_mem): the files must be those of the one-thread merge a spilling
 * build makes, at every place the cut can fall (one term, two, a term
 * with most of the postings first or last, high lists on either side). */
static void test_split_encoding_same_bytes(void **state)
{
    (void)state;
    static const char *const one[] = {"care", "care care", "care"};
    static const char *const two[] = {"alpha beta", "beta", "alpha alpha beta"};
    char big[4096];
    size_t n = 0;
    for (int k = 0; k < 600; k++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%szz", k ? " " : "");
    const char *const heavy_last[] = {"aa bb cc dd ee", big, big, "ff zz"};
    const char *const heavy_first[] = {"aa bb cc dd ee", "ff zz", big, big};
    struct {
        const char *const *t;
        size_t n;
    } cases[] = {{one, 3}, {two, 3}, {heavy_last, 4}, {heavy_first, 4}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        corpus c;
        corpus_of(&c, cases[i].t, cases[i].n);
        assert_split_same(&c);
    }
    /* many terms, many with high lists (df >= 129), cut anywhere */
    for (uint64_t seed = 1; seed <= 3; seed++) {
        corpus c;
        make_corpus(&c, 4242 + seed, 12, 300, 50 * (unsigned)seed);
        assert_split_same(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_by_hand),
        cmocka_unit_test(test_dups_skewed),
        cmocka_unit_test(test_dups_all_candidates),
        cmocka_unit_test(test_dups_out_of_order),
        cmocka_unit_test(test_store_text_length),
        cmocka_unit_test(test_high_list_by_hand),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_store_codes),
        cmocka_unit_test(test_store_many_tokens),
        cmocka_unit_test(test_random_corpus),
        cmocka_unit_test(test_spill_same_bytes),
        cmocka_unit_test(test_copy_same_bytes),
        cmocka_unit_test(test_copy_verbatim),
        cmocka_unit_test(test_stale_base),
        cmocka_unit_test(test_damaged_base),
        cmocka_unit_test(test_store_line_delta),
        cmocka_unit_test(test_copy_from_tampered),
        cmocka_unit_test(test_flipped_bytes),
        cmocka_unit_test(test_damage_seen_by_reads),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_open_current),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_extremes),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_skip_pages),
        cmocka_unit_test(test_tampered_with_good_crcs),
        cmocka_unit_test(test_split_encoding_same_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
