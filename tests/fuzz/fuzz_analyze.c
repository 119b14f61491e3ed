/*
 * fuzz_analyze.c — libFuzzer target: any bytes as text for the analyzer
 * and the acronym miner.
 *
 * Checks analyze.h's promises for every input: tokens in position order
 * (ordinary term first at a position), spans inside the input, terms
 * 1..AS_TERM_MAX bytes of valid UTF-8, only known flags, the same tokens
 * on a second call (the stem cache must be invisible), as_analyze_word's
 * term bounded too.  The miner's table must survive serialize ->
 * deserialize -> serialize byte for byte, and every entry must be found by
 * as_acrotab_find.  An input starting with the table magic "ASAC" is also
 * fed to as_acrotab_deserialize twice: as is, and with its trailing crc32
 * recomputed, so that the parser behind the checksum is reached.
 */
#include "fuzz_common.h"

#include "analyze.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static as_analyzer *an;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    FZ_CHECK(as_analyzer_new(&an) == AS_OK, "as_analyzer_new");
    return 0;
}

typedef struct tokcopy {
    as_token *t;
    char *terms;
    size_t n;
} tokcopy;

static void copy_tokens(tokcopy *c, const as_token *tk, size_t n)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += tk[i].len;
    c->t = malloc((n ? n : 1) * sizeof *c->t);
    c->terms = malloc(bytes ? bytes : 1);
    FZ_CHECK(c->t && c->terms, "malloc");
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        c->t[i] = tk[i];
        memcpy(c->terms + at, tk[i].term, tk[i].len);
        c->t[i].term = c->terms + at;
        at += tk[i].len;
    }
    c->n = n;
}

static void check_tokens(const char *text, size_t len, const as_token *tk, size_t n)
{
    const uint32_t known = AS_TOK_PART | AS_TOK_JOINED | AS_TOK_ACRONYM | AS_TOK_NUMBER;
    for (size_t i = 0; i < n; i++) {
        const as_token *t = &tk[i];
        FZ_CHECK(t->len >= 1 && t->len <= AS_TERM_MAX, "token %zu: term of %u bytes", i, t->len);
        FZ_CHECK(fz_utf8_valid(t->term, t->len), "token %zu: term not UTF-8", i);
        FZ_CHECK(!memchr(t->term, '\0', t->len), "token %zu: NUL in term", i);
        FZ_CHECK(t->start < t->end && t->end <= len, "token %zu: span [%u,%u) in %zu bytes", i,
                 t->start, t->end, len);
        FZ_CHECK((t->flags & ~known) == 0, "token %zu: flags %#x", i, t->flags);
        if (t->flags & AS_TOK_ACRONYM)
            FZ_CHECK(t->term[0] == '^' && t->len >= 3, "token %zu: acronym term %.*s", i,
                     (int)t->len, t->term);
        else
            FZ_CHECK(t->term[0] != '^', "token %zu: ^term without the acronym flag", i);
        if (i > 0) {
            FZ_CHECK(t->pos >= tk[i - 1].pos, "token %zu: position %u after %u", i, t->pos,
                     tk[i - 1].pos);
            /* Positions are dense: a new word is the next position. */
            FZ_CHECK(t->pos <= tk[i - 1].pos + 1, "token %zu: position %u skips after %u", i,
                     t->pos, tk[i - 1].pos);
            if (t->pos == tk[i - 1].pos)
                FZ_CHECK(t->flags & (AS_TOK_JOINED | AS_TOK_ACRONYM),
                         "token %zu: second term at position %u is neither joined nor acronym",
                         i, t->pos);
        } else {
            FZ_CHECK(t->pos == 0, "first position %u", t->pos);
        }
    }
    (void)text;
}

static void check_acronyms(const char *text, size_t len)
{
    as_acrotab *t = NULL, *back = NULL;
    FZ_CHECK(as_acrotab_new(&t) == AS_OK, "as_acrotab_new");
    FZ_CHECK(as_acrotab_mine(t, text, len) == AS_OK, "as_acrotab_mine");
    if (len && (text[0] & 1))
        FZ_CHECK(as_acrotab_add_curated(t) == AS_OK, "as_acrotab_add_curated");
    size_t n = as_acrotab_size(t);
    for (size_t i = 0; i < n; i++) {
        const as_acronym *a = as_acrotab_get(t, i);
        FZ_CHECK(a && a->acro && a->expansion, "entry %zu incomplete", i);
        size_t al = strlen(a->acro);
        FZ_CHECK(al >= 1 && al <= 32, "acronym of %zu bytes", al);
        FZ_CHECK(as_acrotab_find(t, a->acro, al) != NULL, "entry %s not found", a->acro);
    }
    char *b1 = NULL, *b2 = NULL;
    size_t l1 = 0, l2 = 0;
    as_err err = {0};
    FZ_CHECK(as_acrotab_serialize(t, &b1, &l1) == AS_OK, "serialize");
    int rc = as_acrotab_deserialize(&back, b1, l1, &err);
    FZ_CHECK(rc == AS_OK, "deserialize of a serialized table: %d %s", rc, err.msg);
    FZ_CHECK(as_acrotab_size(back) == n, "round trip: %zu entries of %zu",
             as_acrotab_size(back), n);
    FZ_CHECK(as_acrotab_serialize(back, &b2, &l2) == AS_OK, "serialize again");
    FZ_CHECK(l1 == l2 && memcmp(b1, b2, l1) == 0, "round trip changed the bytes");
    /* Merging a table into a copy of itself doubles counts, keeps keys. */
    FZ_CHECK(as_acrotab_merge(back, t) == AS_OK, "merge");
    FZ_CHECK(as_acrotab_size(back) == n, "merge with itself: %zu entries of %zu",
             as_acrotab_size(back), n);
    free(b1);
    free(b2);
    as_acrotab_free(back);
    as_acrotab_free(t);
}

static void check_deserialize(const char *data, size_t len)
{
    for (int fix = 0; fix < 2; fix++) {
        char *b = malloc(len);
        FZ_CHECK(b, "malloc");
        memcpy(b, data, len);
        if (fix && len >= 8) {
            uint32_t c = (uint32_t)crc32(0L, (const Bytef *)b, (uInt)(len - 4));
            for (int k = 0; k < 4; k++)
                b[len - 4 + k] = (char)(c >> (8 * k));
        }
        as_acrotab *t = NULL;
        as_err err = {0};
        int rc = as_acrotab_deserialize(&t, b, len, &err);
        FZ_CHECK(rc == AS_OK || rc == AS_ECORRUPT || rc == AS_EFORMAT,
                 "deserialize returned %d", rc);
        if (rc == AS_OK) {
            /* What was accepted must write back to exactly these bytes:
             * the format is canonical (sorted, unique keys). */
            char *o = NULL;
            size_t ol = 0;
            FZ_CHECK(as_acrotab_serialize(t, &o, &ol) == AS_OK, "serialize");
            FZ_CHECK(ol == len && memcmp(o, b, len) == 0,
                     "accepted bytes do not serialize back (%zu vs %zu)", ol, len);
            free(o);
        } else {
            FZ_CHECK(!t && err.msg[0], "failed deserialize left a table or no message");
        }
        as_acrotab_free(t);
        free(b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const as_token *tk;
    size_t n;
    FZ_CHECK(as_analyze(an, text, size, &tk, &n) == AS_OK, "as_analyze failed");
    check_tokens(text, size, tk, n);
    tokcopy first;
    copy_tokens(&first, tk, n);
    FZ_CHECK(as_analyze(an, text, size, &tk, &n) == AS_OK, "as_analyze failed");
    FZ_CHECK(n == first.n, "second call: %zu tokens, first %zu", n, first.n);
    for (size_t i = 0; i < n; i++)
        FZ_CHECK(tk[i].len == first.t[i].len && !memcmp(tk[i].term, first.t[i].term, tk[i].len)
                     && tk[i].pos == first.t[i].pos && tk[i].start == first.t[i].start
                     && tk[i].end == first.t[i].end && tk[i].flags == first.t[i].flags,
                 "second call differs at token %zu", i);
    free(first.t);
    free(first.terms);

    const char *term;
    size_t tl;
    FZ_CHECK(as_analyze_word(an, text, size, &term, &tl) == AS_OK, "as_analyze_word failed");
    FZ_CHECK(tl <= AS_TERM_MAX, "as_analyze_word: %zu bytes", tl);
    FZ_CHECK(fz_utf8_valid(term, tl), "as_analyze_word: not UTF-8");

    check_acronyms(text, size);
    if (size >= 4 && memcmp(data, "ASAC", 4) == 0)
        check_deserialize(text, size);
    return 0;
}
