/*
 * test_build.c — the index writer's paths for a build's speed (common/
 * encode.c: encode_pipe; common/writer.c: as_writer_add_h): a build that
 * spills, encoded in chunks on two threads with its last postings merged
 * from memory, and a build fed precomputed term hashes, write the same
 * bytes as a plain build.  The chunks are made tiny (as_writer_set_pipe_chunk)
 * so that a small corpus gives hundreds of them and the ring of chunks in
 * flight wraps many times: a chunk written out of order, lost or twice, or
 * a term's parts joined wrongly, changes the files.  And an incremental
 * run's merge takes the copied files' postings a whole block at a time,
 * exactly where it can (test_copy_whole_blocks).
 *
 * The corpus: documents of 3-40 words "w<n>" drawn with a skew (a few
 * words in most documents, so that terms span many blocks and get high
 * lists; most words rare), some repeated within a document (wdf > 1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "format.h"
#include "index.h"
#include "wint.h"
#include "testdir.h"

#define NFILES 12
#define NDOCS 400 /* per file */

static char *tempdir(void)
{
    char t[] = "/tmp/as_test_build_XXXXXX";
    char *d = mkdtemp(t);
    assert_non_null(d);
    return strdup(d);
}

/* xorshift: the same corpus on every run */
static uint32_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

/* One document's text and tokens (terms pointing into store). */
static size_t make_doc(uint64_t *seed, char *text, size_t tcap, as_token *toks, char *store)
{
    size_t n = 3 + rnd(seed) % 38, tl = 0, sl = 0;
    uint32_t prev = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t r = rnd(seed) % 100000;
        /* skewed: word r*r/3.3e6 of 0..3000 (w0 .. w9 in most docs) */
        uint32_t word = (uint32_t)((uint64_t)r * r / 3333333u);
        if (k > 0 && rnd(seed) % 8 == 0)
            word = prev; /* a repeat: wdf > 1 */
        prev = word;
        int len = snprintf(store + sl, 16, "w%u", word);
        toks[k] = (as_token){store + sl, (uint32_t)len, (uint32_t)k, 0, 0, 0, 0, 0};
        sl += (size_t)len + 1;
        tl += (size_t)snprintf(text + tl, tcap - tl, "%sw%u", k ? " " : "", word);
    }
    return n;
}

/* Sections and councils as a page's sentences point at them: runs of one
 * string, another at its own address with the same bytes, none, and a
 * buffer at one address whose bytes (and length) change from file to file
 * and that ends one file and begins the next (a page's strings go with
 * it, the next page's may come at the same address): as_writer_add_doc_n
 * may take a string at the previous one's address as the same only within
 * a file. */
static char sec_a[] = "Key findings", sec_b[] = "Key findings", sec_c[] = "Safe";
static char co_a[] = "Testshire", co_b[] = "Testshire", co_c[] = "Otherby";
static char sec_f[32], co_f[32];

static char *pick(int d, char *a, char *b, char *c, char *f)
{
    static const int pat[8] = {0, 0, 0, 1, 2, 3, 4, 4}; /* d = 0 and NDOCS - 1: f */
    char *const v[5] = {a, b, c, NULL, f};
    return v[pat[(d + 7) % 8]];
}

/* Builds the corpus into dir with mem_limit (0: the default) and chunk
 * (0: the default); hashed 1: through as_writer_add_h with the hashes
 * computed here, prefetching a document ahead; hashed 2: a file's postings
 * grouped by term (as_wpost_*, as an analysis thread of a build does) and
 * added at its end (as_writer_add_doc/_n, as_writer_add_post); hashed 3:
 * the same, every sentence through as_writer_add_doc_n.  With old: every file but
 * the first is copied from it (an incremental run where the first file
 * changed), and *st gets how their postings were merged. */
static void build_ex(const char *dir, size_t mem_limit, size_t chunk, int hashed,
                     const as_index *old, as_wmerge_stats *st)
{
    as_writer_opts o = {mem_limit, NULL};
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, &o, &w, &err), AS_OK);
    as_writer_set_high_min_df(w, 129); /* high lists for most frequent terms */
    as_writer_set_pipe_chunk(w, chunk);
    as_writer_set_merge_stats(w, st);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    static char text[1024], store[1024];
    static as_token toks[64];
    uint32_t hash[64];
    uint64_t head[64];
    for (int f = 0; f < NFILES; f++) {
        if (old && f > 0) {
            if (as_writer_copy_file(w, old, (uint32_t)f) != AS_OK)
                fail_msg("copy: %s", as_writer_errmsg(w));
            continue;
        }
        char path[64];
        snprintf(path, sizeof path, "/c/file%02d.txt", f);
        snprintf(sec_f, sizeof sec_f, "Part %.*s", f + 1, "abcdefghijklmnop");
        snprintf(co_f, sizeof co_f, "Shire %.*s", 12 - f, "abcdefghijklmnop");
        as_file_state fs = {path, path, 100 + (uint64_t)f, 1000 + f, (uint32_t)f, 0, 0};
        assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
        as_wpost wp;
        memset(&wp, 0, sizeof wp);
        uint32_t first = (uint32_t)(f * NDOCS);
        for (int d = 0; d < NDOCS; d++) {
            size_t n = make_doc(&seed, text, sizeof text, toks, store);
            as_meta m = {pick(d, co_a, co_b, co_c, co_f), 1 + d % 9, 1 + d % 4, 0, 0};
            as_doc_in in = {&m, text, pick(d, sec_a, sec_b, sec_c, sec_f), AS_KIND_FINDING,
                            (uint32_t)d + 1, 1, 1, NULL};
            int rc;
            if (hashed >= 2) {
                /* half of them (3: all) with the text's length given, as a
                 * build's sentences come (the store must hold the same
                 * bytes) */
                rc = hashed == 3 || d % 2 ? as_writer_add_doc_n(w, &in, n, strlen(text))
                                          : as_writer_add_doc(w, &in, n);
                assert_int_equal(as_wpost_add(&wp, (uint32_t)d, toks, n), AS_OK);
                memset(store, '#', sizeof store); /* the terms were copied */
            } else if (hashed) {
                for (size_t k = 0; k < n; k++)
                    hash[k] = as_strtab_hash(toks[k].term, toks[k].len, &head[k]);
                as_writer_prefetch(w, hash, n);
                rc = as_writer_add_h(w, &in, toks, n, hash, head);
            } else {
                rc = as_writer_add(w, &in, toks, n);
            }
            if (rc != AS_OK)
                fail_msg("add: %s", as_writer_errmsg(w));
        }
        if (hashed >= 2) {
            assert_int_equal(as_wpost_finish(&wp), AS_OK);
            if (as_writer_add_post(w, first, &wp) != AS_OK)
                fail_msg("add_post: %s", as_writer_errmsg(w));
            as_wpost_free(&wp);
        }
        assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    }
    int rc = as_writer_finish(w, &err);
    if (rc != AS_OK)
        fail_msg("finish: %s", err.msg);
}

static void build(const char *dir, size_t mem_limit, size_t chunk, int hashed)
{
    build_ex(dir, mem_limit, chunk, hashed, NULL, NULL);
}

/* Every file of the two generations is the same but meta's build time
 * (and meta's crc over it). */
static void assert_same(const char *a, const char *b)
{
    static const char *const files[] = {"meta", "terms", "postings", "positions", "docs",
                                        "store"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        size_t na, nb;
        uint8_t *x = slurp(a, files[i], &na), *y = slurp(b, files[i], &nb);
        if (i == 0) {
            assert_true(na > AS_HEADER_SIZE + 8 * MF_COUNT + 4 && na == nb);
            memset(x + AS_HEADER_SIZE + 8 * MF_BUILT, 0, 8);
            memset(y + AS_HEADER_SIZE + 8 * MF_BUILT, 0, 8);
            memset(x + na - 4, 0, 4);
            memset(y + nb - 4, 0, 4);
        }
        if (na != nb || memcmp(x, y, na) != 0)
            fail_msg("%s differs: %zu vs %zu bytes", files[i], na, nb);
        free(x);
        free(y);
    }
}

/* The plain build is what the others are held to: it must hold what the
 * corpus has (a frequent term in many blocks, with a high list). */
static void check_plain(const char *dir)
{
    as_index *ix = NULL;
    as_err err = {0};
    assert_int_equal(as_index_open_gen(dir, &ix, &err), AS_OK);
    assert_int_equal(as_index_ndocs(ix), NFILES * NDOCS);
    as_term t;
    assert_int_equal(as_index_find_term(ix, "w0", 2, &t), AS_OK);
    assert_true(t.df > 4 * AS_BLOCK_SIZE);
    as_index_close(ix);
}

static void test_pipe_same_bytes(void **state)
{
    (void)state;
    char *a = tempdir(), *b = tempdir(), *c = tempdir(), *d = tempdir();
    build(a, 0, 0, 0); /* no spill: encode_mem */
    check_plain(a);
    /* spills every ~40 KiB, chunks of ~200 bytes: hundreds of chunks, the
     * last postings merged from memory */
    build(b, 40000, 200, 0);
    assert_same(a, b);
    /* a run after every document (merged 32 at a time), a chunk per term */
    build(c, 1, 1, 0);
    assert_same(a, c);
    /* the default chunk: one or two chunks, the memory part the most */
    build(d, 40000, 0, 0);
    assert_same(a, d);
    rmtree(a);
    rmtree(b);
    rmtree(c);
    rmtree(d);
    free(a);
    free(b);
    free(c);
    free(d);
}

static void test_hashed_same_bytes(void **state)
{
    (void)state;
    char *a = tempdir(), *b = tempdir(), *c = tempdir();
    build(a, 0, 0, 0);
    build(b, 0, 0, 1);
    assert_same(a, b);
    build(c, 40000, 300, 1); /* and spilling */
    assert_same(a, c);
    rmtree(b);
    rmtree(c);
    assert_int_equal(mkdir(b, 0700), 0);
    assert_int_equal(mkdir(c, 0700), 0);
    build(b, 0, 0, 2); /* grouped by term per file */
    assert_same(a, b);
    build(c, 40000, 300, 2); /* and spilling (after a file) */
    assert_same(a, c);
    rmtree(b);
    assert_int_equal(mkdir(b, 0700), 0);
    build(b, 0, 0, 3); /* every sentence's strings taken as stable */
    assert_same(a, b);
    rmtree(a);
    rmtree(b);
    rmtree(c);
    free(a);
    free(b);
    free(c);
}

/* What the merge of test_copy_whole_blocks must do with one term of the
 * old generation: its blocks from the first that begins past the first
 * file (NDOCS docs) are taken whole (the new first file has as many
 * postings of the term as the old one, so the new blocks line up with
 * the old), its other postings past the first file go one by one. */
typedef struct expect_merge {
    const as_index *ix;
    as_wmerge_stats st;
} expect_merge;

static int expect_term(void *arg, const char *term, size_t len, const as_term *t)
{
    (void)term;
    (void)len;
    expect_merge *x = arg;
    as_pcur c;
    as_pcur_init(&c, x->ix, t);
    uint64_t n0 = 0;
    for (uint32_t d = c.doc; d != AS_DOC_END && d < NDOCS; d = as_pcur_next(&c))
        n0++;
    uint64_t nb = (t->df + AS_BLOCK_SIZE - 1) / AS_BLOCK_SIZE,
             b0 = (n0 + AS_BLOCK_SIZE - 1) / AS_BLOCK_SIZE;
    uint64_t in_taken = nb > b0 ? t->df - b0 * AS_BLOCK_SIZE : 0;
    x->st.blocks_taken += nb > b0 ? nb - b0 : 0;
    x->st.postings_one_by_one += t->df - n0 - in_taken;
    return 0;
}

/* An incremental run whose first file changed copies the rest: their
 * docs move by the same amount and lie next to each other in both
 * generations, so the merge takes their postings a block at a time even
 * where a block spans files (of 400 docs, each under 4 blocks of w0),
 * not one by one, and writes a fresh build's bytes. */
static void test_copy_whole_blocks(void **state)
{
    (void)state;
    char *a = tempdir(), *b = tempdir();
    build(a, 0, 0, 0);
    as_index *old = NULL;
    as_err err = {0};
    assert_int_equal(as_index_open_gen(a, &old, &err), AS_OK);
    as_term t;
    assert_int_equal(as_index_find_term(old, "w0", 2, &t), AS_OK);
    assert_true(t.df > 8 * AS_BLOCK_SIZE);
    expect_merge x = {old, {0, 0}};
    assert_int_equal(as_index_each_term(old, "", 0, expect_term, &x), 0);
    as_wmerge_stats st = {99, 99};
    build_ex(b, 0, 0, 0, old, &st);
    as_index_close(old);
    assert_same(a, b);
    /* exactly: one segment per file took 8 blocks here, of 538 */
    assert_true(x.st.blocks_taken > 500);
    assert_int_equal(st.blocks_taken, x.st.blocks_taken);
    assert_int_equal(st.postings_one_by_one, x.st.postings_one_by_one);
    rmtree(a);
    rmtree(b);
    free(a);
    free(b);
}

/* The grouped path refuses what the per-sentence one does: an empty or
 * too long term, tokens out of position order, sentences out of order,
 * postings not finished or past the writer's sentences, a file's terms
 * appended before an earlier file's.  And the grouping itself: sentence 2
 * "a b a" and sentence 5 "a": a's bytes are wdf 2, positions 0, 2 (gap 2),
 * then the gap 3 to sentence 5, wdf 1, position 0. */
/* Terms that share their first 8 bytes (as_strtab_hash's head; lengths
 * 8, 9 and 17, tails that differ) stay apart, through the local table's
 * growth: each token's local term has its bytes, and the first and last
 * sentences are exact. */
static void test_wpost_terms(void **state)
{
    (void)state;
    static const char *words[] = {"abcdefgh", "abcdefghi", "abcdefghj", "ab", "abc",
                                  "abcdefghijklmnopq", "abcdefghijklmnopr"};
    enum { NW = sizeof words / sizeof *words, NX = 3000 };
    as_wpost p;
    memset(&p, 0, sizeof p);
    static char xs[NX][8];
    as_token tk[NW + 1];
    for (uint32_t s = 0; s < NX; s++) {
        size_t n = 0;
        for (size_t i = 0; i < NW; i++)
            if ((s + i) % 3 != 0) {
                tk[n] = (as_token){words[i], strlen(words[i]), (uint32_t)n, 0, 0, 0, 0, 0};
                n++;
            }
        snprintf(xs[s], sizeof xs[s], "x%u", (unsigned)s); /* a new term each */
        tk[n] = (as_token){xs[s], strlen(xs[s]), (uint32_t)n, 0, 0, 0, 0, 0};
        n++;
        assert_int_equal(as_wpost_add(&p, s, tk, n), AS_OK);
    }
    assert_int_equal(p.nt, NW + NX);
    assert_true(p.mask + 1 >= 2 * (NW + NX));
    assert_int_equal(p.nr, NX); /* a run per sentence */
    for (size_t k = 0, r = 0; k < p.nk; k++) {
        while (r + 1 < p.nr && p.runs[r + 1].k0 <= k)
            r++;
        uint32_t s = p.runs[r].s, pos = p.pos[k];
        size_t n = 0, i;
        for (i = 0; i < NW; i++)
            if ((s + i) % 3 != 0 && n++ == pos)
                break;
        const char *want = i < NW ? words[i] : xs[s];
        const as_wpterm *e = &p.t[p.lid[k]];
        assert_int_equal(e->len, strlen(want));
        assert_memory_equal(p.terms + e->toff, want, e->len);
    }
    assert_int_equal(as_wpost_finish(&p), AS_OK);
    for (size_t i = 0; i < NW; i++) {
        /* sentence s holds word i unless (s + i) % 3 == 0 */
        uint32_t id = 0;
        while (id < p.nt && (p.t[id].len != strlen(words[i]) ||
                             memcmp(p.terms + p.t[id].toff, words[i], p.t[id].len) != 0))
            id++;
        assert_true(id < p.nt);
        assert_int_equal(p.t[id].first, (i % 3 == 0) ? 1 : 0);
        uint32_t last = NX - 1;
        while ((last + i) % 3 == 0)
            last--;
        assert_int_equal(p.t[id].last, last);
    }
    /* x0 is the fifth term of sentence 0 (words 1, 2, 4, 5 before it) */
    assert_memory_equal(p.terms + p.t[4].toff, "x0", 2);
    assert_int_equal(p.t[4].first, 0);
    assert_int_equal(p.t[4].last, 0);
    assert_int_equal(p.t[p.nt - 1].last, NX - 1);
    as_wpost_free(&p);
}

/* as_wpost_reserve (a file's tokens reserved up front, build.c) changes
 * nothing but the arrays' sizes: with no reserve, a too small one and a
 * large one, 2,000 sentences over 5,000 terms (the local table grows past
 * its first size in each) group into the same terms, tokens and bytes. */
static void test_wpost_reserve(void **state)
{
    (void)state;
    enum { NS = 2000, NV = 5000 };
    static const size_t want[3] = {0, 10, 200000};
    static char vocab[NV][12];
    for (int v = 0; v < NV; v++)
        snprintf(vocab[v], sizeof vocab[v], "t%d", v * 7919 % 100003);
    as_wpost p[3];
    uint32_t seed = 7;
    for (int r = 0; r < 3; r++) {
        memset(&p[r], 0, sizeof p[r]);
        if (want[r])
            assert_int_equal(as_wpost_reserve(&p[r], want[r]), AS_OK);
        /* the terms' bytes too: 8 a term, a quarter of the tokens */
        assert_true(p[r].tbcap >= 8 * (want[r] / 4));
        const char *terms0 = p[r].terms;
        seed = 7;
        for (uint32_t s = 0; s < NS; s++) {
            as_token tk[12];
            size_t n = 1 + s % 12;
            for (size_t k = 0; k < n; k++) {
                seed = seed * 1103515245u + 12345u;
                const char *w = vocab[(seed >> 8) % (s < NS / 2 ? 50 : NV)];
                tk[k] = (as_token){w, (uint32_t)strlen(w), (uint32_t)k, 0, 0, 0, 0, 0};
            }
            assert_int_equal(as_wpost_add(&p[r], s, tk, n), AS_OK);
        }
        assert_true(p[r].mask + 1 >= 2 * (p[r].nt + 1));
        if (r == 2) /* room for them all: never moved */
            assert_ptr_equal(p[r].terms, terms0);
        assert_int_equal(as_wpost_finish(&p[r]), AS_OK);
    }
    assert_true(p[0].nt > 1024); /* past the table's first size */
    for (int r = 1; r < 3; r++) {
        assert_int_equal(p[r].nt, p[0].nt);
        assert_int_equal(p[r].nk, p[0].nk);
        assert_int_equal(p[r].tbytes, p[0].tbytes);
        assert_memory_equal(p[r].terms, p[0].terms, p[0].tbytes);
        assert_memory_equal(p[r].lid, p[0].lid, p[0].nk * sizeof *p[0].lid);
        for (uint32_t i = 0; i < p[0].nt; i++) {
            const as_wpterm *a = &p[0].t[i], *b = &p[r].t[i];
            assert_int_equal(b->len, a->len);
            assert_int_equal(b->first, a->first);
            assert_int_equal(b->last, a->last);
            assert_int_equal(b->blen, a->blen);
            assert_memory_equal(p[r].bytes + b->boff, p[0].bytes + a->boff, a->blen);
        }
    }
    for (int r = 0; r < 3; r++)
        as_wpost_free(&p[r]);
}

/* Two terms that match in everything but the bytes a probe must still
 * compare: same head, same length, the same whole hash (so the same first
 * slot; found by search), differing after byte 8: the tail's comparison
 * alone keeps them apart. */
static void test_wpost_collide(void **state)
{
    (void)state;
    /* equal whole hashes (so the same first slot): 2^20 tails of 3 bytes,
     * a pair expected among 2^12 or so of them; a table of the last tail
     * per top 20 bits of the hash */
    enum { N = 1 << 20 };
    uint32_t *last = calloc(N, sizeof *last), *hs = malloc(N * sizeof *hs);
    assert_non_null(last);
    assert_non_null(hs);
    char a[11] = "abcdefgh", b[11] = "abcdefgh";
    int found = 0;
    uint64_t head;
    for (uint32_t t = 0; t < N && !found; t++) {
        memcpy(a + 8, (char[3]){(char)(t >> 16), (char)(t >> 8), (char)t}, 3);
        hs[t] = as_strtab_hash(a, 11, &head);
        uint32_t u = last[hs[t] >> 12];
        if (u && hs[u - 1] == hs[t]) {
            memcpy(b + 8, (char[3]){(char)((u - 1) >> 16), (char)((u - 1) >> 8), (char)(u - 1)}, 3);
            found = 1;
        }
        last[hs[t] >> 12] = t + 1;
    }
    free(last);
    free(hs);
    assert_true(found);
    as_wpost p;
    memset(&p, 0, sizeof p);
    as_token tk[3] = {{a, 11, 0, 0, 0, 0, 0, 0}, {b, 11, 1, 0, 0, 0, 0, 0}, {a, 11, 2, 0, 0, 0, 0, 0}};
    assert_int_equal(as_wpost_add(&p, 0, tk, 3), AS_OK);
    assert_int_equal(p.nt, 2);
    assert_int_equal(p.lid[0], 0);
    assert_int_equal(p.lid[1], 1);
    assert_int_equal(p.lid[2], 0);
    assert_memory_equal(p.terms + p.t[1].toff, b, 11);
    as_wpost_free(&p);
}

/* as_wpost_add_an takes the tokens' hashes (as_analyze's) instead of
 * hashing each one: the same grouping as as_wpost_add, whose hashes are
 * its own, and the given hashes are the ones kept (altered ones show
 * through in the terms' records, and the grouping, by bytes, stands). */
static void test_wpost_hashes(void **state)
{
    (void)state;
    static const char *const sent[] = {
        "The provider's co-production plan: 2022/23 SARs reviewed by SARs teams.",
        "Providers reviewed the plans; the plan was co-produced with carers.",
        "Averyveryverylongwordindeed and the plan, the plan again."};
    as_analyzer *an;
    assert_int_equal(as_analyzer_new(&an), AS_OK);
    as_wpost p[3];
    memset(p, 0, sizeof p);
    for (uint32_t s = 0; s < 3; s++) {
        const as_token *tk;
        size_t nt;
        assert_int_equal(as_analyze(an, sent[s], strlen(sent[s]), &tk, &nt), AS_OK);
        as_token alt[64];
        assert_true(nt <= 64);
        for (size_t k = 0; k < nt; k++) {
            alt[k] = tk[k];
            alt[k].hash ^= 0x5a5a5a5au;
        }
        assert_int_equal(as_wpost_add(&p[0], s, tk, nt), AS_OK);
        assert_int_equal(as_wpost_add_an(&p[1], s, tk, nt), AS_OK);
        assert_int_equal(as_wpost_add_an(&p[2], s, alt, nt), AS_OK);
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(as_wpost_finish(&p[i]), AS_OK);
    assert_true(p[0].nt > 10);
    for (int i = 1; i < 3; i++) {
        assert_int_equal(p[i].nt, p[0].nt);
        assert_int_equal(p[i].nk, p[0].nk);
        assert_memory_equal(p[i].lid, p[0].lid, p[0].nk * sizeof *p[0].lid);
        assert_memory_equal(p[i].terms, p[0].terms, p[0].tbytes);
        for (uint32_t t = 0; t < p[0].nt; t++) {
            const as_wpterm *a = &p[0].t[t], *b = &p[i].t[t];
            assert_int_equal(b->hash, i == 1 ? a->hash : (a->hash ^ 0x5a5a5a5au));
            assert_true(b->head == a->head);
            assert_int_equal(b->len, a->len);
            assert_int_equal(b->blen, a->blen);
            assert_memory_equal(p[i].bytes + b->boff, p[0].bytes + a->boff, a->blen);
        }
    }
    for (int i = 0; i < 3; i++)
        as_wpost_free(&p[i]);
    as_analyzer_free(an);
}

/* A term's postings coded as term_append codes them, from its tokens'
 * (sentence, position) pairs in the order they were added: the reference
 * as_wpost_finish's single pass (each token coded at its term's place,
 * from a bound on the term's bytes, each wdf set at its sentence's end)
 * must match. */
static size_t ref_code(const uint32_t *ts, const uint32_t *tp, size_t n, uint8_t *out)
{
    uint8_t *q = out;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && ts[j] == ts[i])
            j++;
        if (i > 0)
            q += varint_put(q, ts[i] - ts[i - 1]);
        q += varint_put(q, j - i);
        for (size_t k = i; k < j; k++)
            q += varint_put(q, tp[k] - (k > i ? tp[k - 1] : 0));
        i = j;
    }
    return (size_t)(q - out);
}

/* as_wpost_finish codes every token at its term's place in one pass over
 * the sentences: random files of a few terms, with sentence gaps and
 * positions of one to three varint bytes, wdfs past 127 and 16383 (their
 * byte count grows), and a sentence added in two calls, code each term's
 * tokens as the reference does; positions that go back across the two
 * calls of one sentence are refused. */
static void test_wpost_code(void **state)
{
    (void)state;
    static const char *const words[] = {"a", "bb", "ccc", "dddd", "eeeeeeeeeeee"};
    enum { NW = 5, MAXK = 40000 };
    uint32_t *ts = malloc(MAXK * sizeof *ts), *tp = malloc(MAXK * sizeof *tp);
    uint32_t *tw = malloc(MAXK * sizeof *tw);
    uint32_t *xs = malloc(MAXK * sizeof *xs), *xp = malloc(MAXK * sizeof *xp);
    uint8_t *want = malloc(16 * MAXK);
    as_token *tk = malloc(20000 * sizeof *tk);
    assert_true(ts && tp && tw && xs && xp && want && tk);
    uint32_t seed = 12345;
#define RND() (seed = seed * 1103515245u + 12345u, seed >> 8)
    for (int round = 0; round < 40; round++) {
        as_wpost p;
        memset(&p, 0, sizeof p);
        size_t nk = 0;
        uint32_t s = RND() % 3;
        int nsent = 1 + (int)(RND() % 30);
        for (int si = 0; si < nsent; si++) {
            /* the sentence gap: mostly 1, sometimes of 2 or 3 bytes */
            uint32_t g = RND() % 8;
            s += g < 6 ? 1 : g == 6 ? 200 + RND() % 100 : 20000;
            size_t n = RND() % 8 == 0 ? 150 + RND() % 17000 : RND() % 30;
            if (n > MAXK - nk)
                n = MAXK - nk;
            uint32_t pos = RND() % 4 == 0 ? 130 + RND() % 20000 : 0;
            size_t split = RND() % 2 ? RND() % (n + 1) : n; /* two calls */
            size_t k0 = 0;
            for (size_t k = 0; k < n; k++) {
                pos += RND() % 3 == 0 ? 0 : RND() % 16 == 0 ? 300 : 1;
                /* a long sentence mostly repeats one term */
                uint32_t wi = n > 100 && RND() % 8 ? 0 : RND() % NW;
                tk[k] = (as_token){words[wi], (uint32_t)strlen(words[wi]), pos, 0, 0, 0, 0, 0};
                ts[nk] = s;
                tp[nk] = pos;
                tw[nk] = wi;
                nk++;
                if (k + 1 == split || k + 1 == n) {
                    assert_int_equal(as_wpost_add(&p, s, tk + k0, k + 1 - k0), AS_OK);
                    k0 = k + 1;
                }
            }
        }
        assert_int_equal(p.nk, nk);
        assert_int_equal(as_wpost_finish(&p), AS_OK);
        for (uint32_t id = 0; id < p.nt; id++) {
            const as_wpterm *e = &p.t[id];
            size_t wi = 0;
            while (strlen(words[wi]) != e->len || memcmp(words[wi], p.terms + e->toff, e->len))
                wi++;
            size_t n = 0;
            for (size_t k = 0; k < nk; k++)
                if (tw[k] == wi) {
                    xs[n] = ts[k];
                    xp[n] = tp[k];
                    n++;
                }
            size_t len = ref_code(xs, xp, n, want);
            assert_int_equal(e->first, xs[0]);
            assert_int_equal(e->last, xs[n - 1]);
            assert_int_equal(e->blen, len);
            assert_memory_equal(p.bytes + e->boff, want, len);
        }
        as_wpost_free(&p);
    }
#undef RND
    /* wdf 16384 in one sentence: its wdf takes 3 bytes */
    as_wpost p;
    memset(&p, 0, sizeof p);
    for (size_t k = 0; k < 16384; k++)
        tk[k] = (as_token){"w", 1, (uint32_t)k / 2, 0, 0, 0, 0, 0};
    assert_int_equal(as_wpost_add(&p, 7, tk, 16384), AS_OK);
    assert_int_equal(as_wpost_finish(&p), AS_OK);
    for (size_t k = 0; k < 16384; k++) {
        xs[k] = 7;
        xp[k] = (uint32_t)k / 2;
    }
    size_t len = ref_code(xs, xp, 16384, want);
    assert_int_equal(p.t[0].blen, len);
    assert_memory_equal(p.bytes + p.t[0].boff, want, len);
    as_wpost_free(&p);
    /* a sentence's second call may not go back from its first's positions */
    memset(&p, 0, sizeof p);
    as_token a[2] = {{"a", 1, 5, 0, 0, 0, 0, 0}, {"a", 1, 4, 0, 0, 0, 0, 0}};
    assert_int_equal(as_wpost_add(&p, 3, a, 1), AS_OK);
    assert_int_equal(as_wpost_add(&p, 3, a + 1, 1), AS_EINVAL);
    assert_int_equal(as_wpost_add(&p, 4, a + 1, 1), AS_OK); /* a new sentence may */
    as_wpost_free(&p);
    free(ts);
    free(tp);
    free(tw);
    free(xs);
    free(xp);
    free(want);
    free(tk);
}

/* The dictionary is in byte order however the terms came: the writer
 * sorts them by their first 8 bytes (a radix sort of the big-endian
 * heads) and then the ties by their bytes.  2,000 random terms of 1 to 20
 * bytes over "a", "b" and a NUL (so that most share 8-byte heads, some are
 * others' prefixes, and "ab" pads like "ab\0"), added in random order, come
 * out strictly ascending, each once. */
static void test_term_order(void **state)
{
    (void)state;
    enum { NT = 2000 };
    static char terms[NT][21];
    static uint32_t lens[NT];
    uint32_t seed = 99;
#define RND() (seed = seed * 1103515245u + 12345u, seed >> 8)
    for (int i = 0; i < NT; i++) {
        lens[i] = 1 + RND() % 20;
        for (uint32_t k = 0; k < lens[i]; k++) {
            uint32_t r = RND() % 9;
            terms[i][k] = r < 4 ? 'a' : r < 8 ? 'b' : '\0';
        }
    }
#undef RND
    char *dir = tempdir();
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    as_file_state fs = {"/c/t.txt", "/c/t.txt", 1, 1, 1, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    as_doc_in in = {NULL, "t", NULL, AS_KIND_FINDING, 1, 1, 1, NULL};
    for (int i = 0; i < NT; i += 10) {
        as_token tk[10];
        for (int k = 0; k < 10; k++)
            tk[k] = (as_token){terms[i + k], lens[i + k], (uint32_t)k, 0, 0, 0, 0, 0};
        assert_int_equal(as_writer_add(w, &in, tk, 10), AS_OK);
    }
    assert_int_equal(as_writer_end_file(w, NULL), AS_OK);
    assert_int_equal(as_writer_finish(w, &err), AS_OK);
    as_index *ix = NULL;
    assert_int_equal(as_index_open_gen(dir, &ix, &err), AS_OK);
    as_ix_dictit it;
    assert_int_equal(as_ix_dictit_start(&it, ix, 0), AS_OK);
    char prev[AS_TERM_BYTES + 1];
    size_t plen = 0, n = 0;
    while (as_ix_dictit_next(&it) == 1) {
        if (n > 0)
            assert_true(bytes_cmp(prev, plen, it.term, it.tlen) < 0);
        memcpy(prev, it.term, it.tlen);
        plen = it.tlen;
        n++;
    }
    /* every distinct term is there */
    size_t distinct = 0;
    for (int i = 0; i < NT; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = lens[j] == lens[i] && memcmp(terms[j], terms[i], lens[i]) == 0;
        distinct += !seen;
    }
    assert_int_equal(n, distinct);
    as_index_close(ix);
    rmtree(dir);
    free(dir);
}

static void test_wpost(void **state)
{
    (void)state;
    as_wpost p;
    memset(&p, 0, sizeof p);
    as_token t3[3] = {{"a", 1, 0, 0, 0, 0, 0, 0}, {"b", 1, 1, 0, 0, 0, 0, 0}, {"a", 1, 2, 0, 0, 0, 0, 0}};
    as_token t1[1] = {{"a", 1, 0, 0, 0, 0, 0, 0}};
    assert_int_equal(as_wpost_add(&p, 2, t3, 3), AS_OK);
    assert_int_equal(as_wpost_add(&p, 5, t1, 1), AS_OK);
    assert_int_equal(as_wpost_add(&p, 4, t1, 1), AS_EINVAL); /* sentence back */
    as_token bad[2] = {{"c", 1, 3, 0, 0, 0, 0, 0}, {"d", 1, 2, 0, 0, 0, 0, 0}};
    assert_int_equal(as_wpost_add(&p, 6, bad, 2), AS_EINVAL); /* positions back */
    as_token empty[1] = {{"c", 0, 0, 0, 0, 0, 0, 0}};
    assert_int_equal(as_wpost_add(&p, 6, empty, 1), AS_EINVAL);
    static char longterm[AS_TERM_BYTES + 1];
    memset(longterm, 'x', sizeof longterm);
    as_token lt[1] = {{longterm, AS_TERM_BYTES + 1, 0, 0, 0, 0, 0, 0}};
    assert_int_equal(as_wpost_add(&p, 6, lt, 1), AS_EINVAL);
    p.nk = 4; /* the refused sentences' tokens dropped */
    p.nt = 2;
    char *dir = tempdir();
    as_writer *w = NULL;
    as_err err = {0};
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    as_file_state fs = {"/c/a.txt", "/c/a.txt", 1, 1, 1, 0, 0};
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    as_doc_in in = {NULL, "a b a", NULL, AS_KIND_FINDING, 1, 1, 1, NULL};
    for (int d = 0; d < 6; d++)
        assert_int_equal(as_writer_add_doc(w, &in, 1), AS_OK);
    assert_int_equal(as_writer_add_post(w, 0, &p), AS_EINVAL); /* not finished */
    as_writer_abort(w);
    assert_int_equal(as_wpost_finish(&p), AS_OK);
    assert_int_equal(p.nt, 2);
    assert_memory_equal(p.terms + p.t[0].toff, "a", 1);
    assert_int_equal(p.t[0].first, 2);
    assert_int_equal(p.t[0].last, 5);
    static const uint8_t abytes[] = {2, 0, 2, 3, 1, 0}, bbytes[] = {1, 1};
    assert_int_equal(p.t[0].blen, sizeof abytes);
    assert_memory_equal(p.bytes + p.t[0].boff, abytes, sizeof abytes);
    assert_int_equal(p.t[1].blen, sizeof bbytes);
    assert_memory_equal(p.bytes + p.t[1].boff, bbytes, sizeof bbytes);
    rmtree(dir);
    mkdir(dir, 0700);
    w = NULL;
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    for (int d = 0; d < 5; d++)
        assert_int_equal(as_writer_add_doc(w, &in, 1), AS_OK);
    assert_int_equal(as_writer_add_post(w, 0, &p), AS_EINVAL); /* sentence 5 not added */
    as_writer_abort(w);
    rmtree(dir);
    mkdir(dir, 0700);
    w = NULL;
    assert_int_equal(as_writer_open(dir, NULL, &w, &err), AS_OK);
    assert_int_equal(as_writer_begin_file(w, &fs), AS_OK);
    for (int d = 0; d < 12; d++)
        assert_int_equal(as_writer_add_doc(w, &in, 1), AS_OK);
    assert_int_equal(as_writer_add_post(w, 6, &p), AS_OK);
    assert_int_equal(as_writer_add_post(w, 0, &p), AS_EINVAL); /* before sentence 11 */
    as_writer_abort(w);
    as_wpost_free(&p);
    as_wpost_free(NULL);
    rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe_same_bytes),
        cmocka_unit_test(test_hashed_same_bytes),
        cmocka_unit_test(test_copy_whole_blocks),
        cmocka_unit_test(test_wpost),
        cmocka_unit_test(test_wpost_hashes),
        cmocka_unit_test(test_wpost_code),
        cmocka_unit_test(test_term_order),
        cmocka_unit_test(test_wpost_terms),
        cmocka_unit_test(test_wpost_reserve),
        cmocka_unit_test(test_wpost_collide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
