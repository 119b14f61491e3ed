/*
 * test_acronym.c — the acronym table: mining every definition in the two
 * real reports with its exact expansion, negatives, lookup and tie rules,
 * order independence, the curated table, and the byte format under
 * corruption.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "analyze.h"

/* Mines text into a fresh table and renders it as "ACRO=expansion(count)"
 * lines joined by '|'. */
static char *mine_render(const char *text)
{
    as_acrotab *t;
    assert_int_equal(as_acrotab_new(&t), AS_OK);
    assert_int_equal(as_acrotab_mine(t, text, strlen(text)), AS_OK);
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    s[0] = '\0';
    for (size_t i = 0; i < as_acrotab_size(t); i++) {
        const as_acronym *e = as_acrotab_get(t, i);
        len += (size_t)snprintf(s + len, cap - len, "%s%s=%s(%u)", i ? "|" : "", e->acro,
                                e->expansion, e->count);
        assert_true(len < cap);
    }
    as_acrotab_free(t);
    return s;
}

static const struct {
    const char *text, *want;
} mining[] = {
    /* the walk starts after the last barrier before each "(" (acronym.c:
     * resets): a word's hyphen and apostrophe, "&" and spaces are not
     * barriers, so these definitions keep their first words */
    {"Alpha Beta, Gamma Delta Epsilon (GDE) then, Zeta Eta (ZE) again.",
     "GDE=Gamma Delta Epsilon(1)|ZE=Zeta Eta(1)"},
    {"Plans; the Self-Directed Support (SDS) grew.", "SDS=Self-Directed Support(1)"},
    {"Our Children's Services Department (CSD) and, Health & Wellbeing Board (HWB) met.",
     "CSD=Children's Services Department(1)|HWB=Health & Wellbeing Board(1)"},
    {"Adult Social Care (ASC) / Care Act (CA).", "ASC=Adult Social Care(1)|CA=Care Act(1)"},
    /* the five definitions in the real reports, sentence as written */
    {"There were clear systems to ensure that learning from complaints, Safeguarding "
     "Adults Reviews (SAR) and any internal audits were shared.",
     "SAR=Safeguarding Adults Reviews(1)"},
    {"One of the areas was the further development of technology enabled care (TEC).",
     "TEC=technology enabled care(1)"},
    {"Focused practice development groups were held monthly on identified areas of "
     "improvement needed, such as the Mental Capacity Act 2005 and Deprivations of "
     "Liberty Safeguards (DoLS).",
     "DoLS=Deprivations of Liberty Safeguards(1)"},
    {"The local authority was well connected into regional work in the North-East "
     "region, including through the North-East Association of Directors of Adult "
     "Social Services (ADASS) group and the regional Directors of Public Health group "
     "as well as into the North-West and North Yorkshire.",
     "ADASS=Association of Directors of Adult Social Services(1)"},
    {"National data from the Local Government and Social Care Ombudsman (LGSCO) "
     "indicated that the local authority had a higher than average uphold rate.",
     "LGSCO=Local Government and Social Care Ombudsman(1)"},
    /* plural acronym, plural words, case, line breaks, & and hyphens */
    {"learning from Safeguarding Adult Reviews (SARs)", "SAR=Safeguarding Adult Reviews(1)"},
    {"Safeguarding Adults\n  Reviews (SAR)", "SAR=Safeguarding Adults Reviews(1)"},
    {"Safeguarding Adults Reviews(SAR)", "SAR=Safeguarding Adults Reviews(1)"},
    {"technology-enabled care (TEC)", "TEC=technology-enabled care(1)"},
    {"the North-East Association (NA)", "NA=North-East Association(1)"},
    {"the North-East Association (NEA)", "NEA=North-East Association(1)"},
    {"a Face-to-Face Team (FFT)", "FFT=Face-to-Face Team(1)"},
    {"Learning & Development (LD)", "LD=Learning & Development(1)"},
    {"the Department for Education (DfE)", "DfE=Department for Education(1)"},
    {"Assessed and Supported Year in Employment (ASYE)",
     "ASYE=Assessed and Supported Year in Employment(1)"},
    {"the Adult Team (TAT)", "TAT=the Adult Team(1)"},
    {"Child and Adolescent Mental Health Services (CAMHS)",
     "CAMHS=Child and Adolescent Mental Health Services(1)"},
    {"the \xe2\x80\x98Team Around the Adult\xe2\x80\x99 (TAA)", "TAA=Team Around the Adult(1)"},
    {"Safeguarding Adults Reviews (SAR) and later Safeguarding Adults Reviews (SAR)",
     "SAR=Safeguarding Adults Reviews(2)"},
    {"Safeguarding Adults Reviews (SAR), Care Quality Commission (CQC)",
     "CQC=Care Quality Commission(1)|SAR=Safeguarding Adults Reviews(1)"},
    /* the acronym first, its name in parentheses */
    {"people subject to DoLS (Deprivation of Liberty Safeguards) were",
     "DoLS=Deprivation of Liberty Safeguards(1)"},
    {"the CQC (the Care Quality Commission)", "CQC=Care Quality Commission(1)"},
    {"SARs (Safeguarding Adults Reviews)", "SAR=Safeguarding Adults Reviews(1)"},
    {"TEC (technology-enabled care)", "TEC=technology-enabled care(1)"},
    /* what may stand between the acronym and its "(" (acronym.c:
     * acronym_before, which lets the walk skip a "(" that defines nothing) */
    {"the CQC \"(Care Quality Commission)", "CQC=Care Quality Commission(1)"},
    {"the CQC' (Care Quality Commission)", "CQC=Care Quality Commission(1)"},
    {"the CQC\xc2\xa0(Care Quality Commission)", "CQC=Care Quality Commission(1)"},
    {"the CQC\xe2\x80\x9d (Care Quality Commission)", "CQC=Care Quality Commission(1)"},
    {"ABCDEFGHIJs (aa bb cc dd ee ff gg hh ii jj)", "ABCDEFGHIJ=aa bb cc dd ee ff gg hh ii jj(1)"},
    {"ABCDEFGHIJK (aa bb cc dd ee ff gg hh ii jj kk)", ""},
    {"O'CQC (Care Quality Commission)", ""},
    {"2CQC (Care Quality Commission)", ""},
    {"the CQC- (Care Quality Commission)", ""},
    {"a (b) Care (c) Quality (d) CQC (Care Quality Commission) (e) x (f)",
     "CQC=Care Quality Commission(1)"},
    /* the walk from the MINE_SPACES-th space back, and again from the
     * last barrier when the match wants more words (acronym.c: under) */
    {"x, Alpha of of of of of of of of of of of of of Beta (AB)",
     "AB=Alpha of of of of of of of of of of of of of Beta(1)"},
    {"a b c d e f g h i j k l m n o p Quality Care Commission (QCC) q",
     "QCC=Quality Care Commission(1)"},
    {"the CQC              (Care Quality Commission)", "CQC=Care Quality Commission(1)"},
    {"TEC (see above)", ""},
    {"TEC (technology enabled care, for example)", ""},
    {"TEC (new technology enabled care)", ""},        /* a word left over */
    {"TEC (technology enabled)", ""},
    {"Tec (technology enabled care)", ""},
    /* negatives */
    {"as described (see above)", ""},
    {"in the last year (2023)", ""},
    {"the Care Quality Commission (CQD)", ""},          /* mismatched initials */
    {"Safeguarding, Adults Reviews (SAR)", ""},         /* crosses punctuation */
    {"Care Quality Commission and (CQC)", ""},          /* must end on a letter */
    {"Reviews (SAR)", ""},                              /* too few words */
    {"the well-being team (BT)", ""},                   /* starts inside a word */
    {"Safeguarding Adults Reviews (sar)", ""},          /* not in capitals */
    {"Safeguarding Adults Reviews ( SAR )", ""},
    {"Safeguarding Adults Reviews (S.A.R.)", ""},
    {"a b c d e f g h i j k l (ABCDEFGHIJKL)", ""},     /* too long */
    {"Adults Reviews \xe2\x80\x93 (AR)", ""},
    {"(SAR)", ""},
    {"", ""},
    {"Reviews (SAR", ""},
};

static void test_mining(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof mining / sizeof mining[0]; i++) {
        char *got = mine_render(mining[i].text);
        if (strcmp(got, mining[i].want) != 0)
            fail_msg("case %zu [%s]\n  got  %s\n  want %s", i, mining[i].text, got,
                     mining[i].want);
        free(got);
    }
}

static void test_find(void **state)
{
    (void)state;
    as_acrotab *t;
    assert_int_equal(as_acrotab_new(&t), AS_OK);
    assert_null(as_acrotab_find(t, "SAR", 3));
    assert_int_equal(as_acrotab_add_curated(t), AS_OK);
    const as_acronym *e = as_acrotab_find(t, "SAR", 3);
    assert_non_null(e);
    assert_string_equal(e->expansion, "Safeguarding Adults Review");
    assert_int_equal(e->curated, 1);
    /* a mined definition beats the curated one */
    static const char s[] = "learning from Safeguarding Adults Reviews (SAR) was shared";
    assert_int_equal(as_acrotab_mine(t, s, sizeof s - 1), AS_OK);
    static const char *const spell[] = {"SAR", "sar", "Sar", "SARs"};
    for (size_t i = 0; i < 4; i++) {
        e = as_acrotab_find(t, spell[i], strlen(spell[i]));
        assert_non_null(e);
        assert_string_equal(e->expansion, "Safeguarding Adults Reviews");
        assert_string_equal(e->acro, "SAR");
        assert_int_equal(e->count, 1);
        assert_int_equal(e->curated, 0);
    }
    e = as_acrotab_find(t, "dols", 4);
    assert_non_null(e);
    assert_string_equal(e->acro, "DoLS");
    assert_string_equal(e->expansion, "Deprivation of Liberty Safeguards");
    assert_null(as_acrotab_find(t, "XYZ", 3));
    /* a plural written "SARs" prefers SAR over a known SARS */
    assert_int_equal(as_acrotab_add(t, "SARS", "Severe Acute Respiratory Syndrome", 5, 0),
                     AS_OK);
    assert_string_equal(as_acrotab_find(t, "SARs", 4)->acro, "SAR");
    assert_string_equal(as_acrotab_find(t, "SARS", 4)->acro, "SARS");
    assert_string_equal(as_acrotab_find(t, "sars", 4)->acro, "SARS");
    assert_string_equal(as_acrotab_find(t, "OTs", 3)->expansion, "Occupational Therapist");
    assert_null(as_acrotab_find(t, "", 0));
    assert_null(as_acrotab_find(NULL, "SAR", 3));
    as_acrotab_free(t);
}

static void test_ties(void **state)
{
    (void)state;
    as_acrotab *t;
    assert_int_equal(as_acrotab_new(&t), AS_OK);
    assert_int_equal(as_acrotab_add(t, "XY", "Beta", 1, 0), AS_OK);
    assert_int_equal(as_acrotab_add(t, "XY", "Alpha", 1, 1), AS_OK);
    assert_string_equal(as_acrotab_find(t, "xy", 2)->expansion, "Beta"); /* mined first */
    assert_int_equal(as_acrotab_add(t, "XY", "Gamma", 1, 0), AS_OK);
    assert_string_equal(as_acrotab_find(t, "XY", 2)->expansion, "Beta"); /* byte order */
    assert_int_equal(as_acrotab_add(t, "XY", "Zeta", 2, 1), AS_OK);
    assert_string_equal(as_acrotab_find(t, "XY", 2)->expansion, "Zeta"); /* count */
    assert_int_equal(as_acrotab_add(t, "XY", "Gamma", 2, 0), AS_OK);
    assert_string_equal(as_acrotab_find(t, "XY", 2)->expansion, "Gamma"); /* 3 > 2 */
    /* spellings of one acronym merge; the byte-smallest spelling stays */
    assert_int_equal(as_acrotab_add(t, "Xy", "Gamma", 1, 0), AS_OK);
    assert_int_equal(as_acrotab_size(t), 4);
    const as_acronym *e = as_acrotab_find(t, "XY", 2);
    assert_string_equal(e->acro, "XY");
    assert_int_equal(e->count, 4);
    /* invalid entries */
    assert_int_equal(as_acrotab_add(t, "", "Thing", 1, 0), AS_EINVAL);
    assert_int_equal(as_acrotab_add(t, "TH", "", 1, 0), AS_EINVAL);
    assert_int_equal(as_acrotab_add(t, NULL, "Thing", 1, 0), AS_EINVAL);
    assert_int_equal(as_acrotab_add(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG", "x", 1, 0),
                     AS_EINVAL);
    assert_int_equal(as_acrotab_size(t), 4);
    as_acrotab_free(t);
    as_acrotab_free(NULL);
}

/* The curated table is sorted, curated, count 0, and (where the name has
 * no comma and initials that spell it) mines back to itself. */
static void test_curated(void **state)
{
    (void)state;
    as_acrotab *t;
    assert_int_equal(as_acrotab_new(&t), AS_OK);
    assert_int_equal(as_acrotab_add_curated(t), AS_OK);
    size_t n = as_acrotab_size(t);
    assert_int_equal(n, 31);
    size_t remined = 0;
    for (size_t i = 0; i < n; i++) {
        const as_acronym *e = as_acrotab_get(t, i);
        assert_int_equal(e->curated, 1);
        assert_int_equal(e->count, 0);
        if (i > 0)
            assert_true(strcasecmp(as_acrotab_get(t, i - 1)->acro, e->acro) < 0);
        char text[256];
        snprintf(text, sizeof text, "the %s (%s) said", e->expansion, e->acro);
        char *got = mine_render(text);
        char want[256];
        snprintf(want, sizeof want, "%s=%s(1)", e->acro, e->expansion);
        int comma = strchr(e->expansion, ',') != NULL;
        int chc = strcmp(e->acro, "CHC") == 0; /* "Healthcare" is one word */
        if (comma || chc)
            assert_string_equal(got, "");
        else {
            if (strcmp(got, want) != 0)
                fail_msg("curated %s: mined [%s]", e->acro, got);
            remined++;
        }
        free(got);
    }
    assert_int_equal(remined, 28);
    assert_int_equal(as_acrotab_add_curated(t), AS_OK); /* idempotent in size */
    assert_int_equal(as_acrotab_size(t), 31);
    assert_null(as_acrotab_get(t, 31));
    as_acrotab_free(t);
}

static int serialize(const as_acrotab *t, char **b, size_t *n)
{
    return as_acrotab_serialize(t, b, n);
}

/* The same entries added in any order give the same bytes. */
static void test_order_independent(void **state)
{
    (void)state;
    static const char *const defs[] = {
        "Safeguarding Adults Reviews (SAR)", "technology enabled care (TEC)",
        "Deprivations of Liberty Safeguards (DoLS)",
        "Local Government and Social Care Ombudsman (LGSCO)",
        "Safeguarding Adult Reviews (SARs)", "Safeguarding Adults Reviews (SAR)",
    };
    as_acrotab *a, *b, *c, *m;
    assert_int_equal(as_acrotab_new(&a), AS_OK);
    assert_int_equal(as_acrotab_new(&b), AS_OK);
    assert_int_equal(as_acrotab_new(&c), AS_OK);
    assert_int_equal(as_acrotab_new(&m), AS_OK);
    assert_int_equal(as_acrotab_add_curated(a), AS_OK);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(as_acrotab_mine(a, defs[i], strlen(defs[i])), AS_OK);
    for (size_t i = 6; i-- > 0;)
        assert_int_equal(as_acrotab_mine(b, defs[i], strlen(defs[i])), AS_OK);
    assert_int_equal(as_acrotab_add_curated(b), AS_OK);
    /* c = curated + first half, merged with m = second half */
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(as_acrotab_mine(c, defs[i], strlen(defs[i])), AS_OK);
    for (size_t i = 3; i < 6; i++)
        assert_int_equal(as_acrotab_mine(m, defs[i], strlen(defs[i])), AS_OK);
    assert_int_equal(as_acrotab_merge(m, c), AS_OK);
    assert_int_equal(as_acrotab_add_curated(m), AS_OK);
    char *ba, *bb, *bm;
    size_t na, nb, nm;
    assert_int_equal(serialize(a, &ba, &na), AS_OK);
    assert_int_equal(serialize(b, &bb, &nb), AS_OK);
    assert_int_equal(serialize(m, &bm, &nm), AS_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(ba, bb, na);
    assert_int_equal(na, nm);
    assert_memory_equal(ba, bm, na);
    const as_acronym *e = as_acrotab_find(a, "SAR", 3);
    assert_string_equal(e->expansion, "Safeguarding Adults Reviews");
    assert_int_equal(e->count, 2);
    assert_int_equal(e->curated, 0);
    free(ba);
    free(bb);
    free(bm);
    as_acrotab_free(a);
    as_acrotab_free(b);
    as_acrotab_free(c);
    as_acrotab_free(m);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void fix_crc(unsigned char *b, size_t n)
{
    put32(b + n - 4, (uint32_t)crc32(0L, b, (uInt)(n - 4)));
}

static void test_serialize(void **state)
{
    (void)state;
    as_acrotab *t, *r;
    as_err err;
    assert_int_equal(as_acrotab_new(&t), AS_OK);
    assert_int_equal(as_acrotab_add_curated(t), AS_OK);
    static const char s[] = "Deprivations of Liberty Safeguards (DoLS)";
    assert_int_equal(as_acrotab_mine(t, s, sizeof s - 1), AS_OK);
    char *buf;
    size_t len;
    assert_int_equal(as_acrotab_serialize(t, &buf, &len), AS_OK);
    assert_memory_equal(buf, "ASAC\1\0\0\0", 8);
    assert_int_equal(as_acrotab_deserialize(&r, buf, len, &err), AS_OK);
    assert_int_equal(as_acrotab_size(r), 32);
    for (size_t i = 0; i < 32; i++) {
        const as_acronym *x = as_acrotab_get(t, i), *y = as_acrotab_get(r, i);
        assert_string_equal(x->acro, y->acro);
        assert_string_equal(x->expansion, y->expansion);
        assert_int_equal(x->count, y->count);
        assert_int_equal(x->curated, y->curated);
    }
    assert_string_equal(as_acrotab_find(r, "DOLS", 4)->expansion,
                        "Deprivations of Liberty Safeguards");
    as_acrotab_free(r);

    /* every single-byte change and every truncation is detected */
    unsigned char *c = malloc(len);
    assert_non_null(c);
    for (size_t i = 0; i < len; i++) {
        memcpy(c, buf, len);
        c[i] ^= 0x5A;
        r = (as_acrotab *)1;
        int rc = as_acrotab_deserialize(&r, (char *)c, len, &err);
        assert_true(rc == AS_ECORRUPT || rc == AS_EFORMAT);
        assert_null(r);
    }
    for (size_t n = 0; n < len; n++)
        assert_int_equal(as_acrotab_deserialize(&r, buf, n, &err), AS_ECORRUPT);
    assert_int_equal(as_acrotab_deserialize(&r, NULL, 0, &err), AS_ECORRUPT);

    /* another version */
    memcpy(c, buf, len);
    c[4] = 2;
    fix_crc(c, len);
    assert_int_equal(as_acrotab_deserialize(&r, (char *)c, len, &err), AS_EFORMAT);
    assert_int_equal(err.code, AS_EFORMAT);

    /* damage with a valid checksum: lengths, order, flags, count */
    static const size_t offs[] = {8, 12, 13, 14, 15, 16, 17, 18, 19, 20, 30, 40, 60};
    for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++)
        for (unsigned v = 0; v < 256; v += 17) {
            memcpy(c, buf, len);
            c[offs[k]] = (unsigned char)v;
            fix_crc(c, len);
            int rc = as_acrotab_deserialize(&r, (char *)c, len, &err);
            if (rc == AS_OK) { /* a change that is still a valid table */
                assert_int_equal(as_acrotab_size(r), as_acrotab_size(t));
                as_acrotab_free(r);
            } else {
                assert_int_equal(rc, AS_ECORRUPT);
            }
        }
    /* entries swapped: out of order */
    as_acrotab *two;
    assert_int_equal(as_acrotab_new(&two), AS_OK);
    assert_int_equal(as_acrotab_add(two, "AB", "Alpha Beta", 1, 0), AS_OK);
    assert_int_equal(as_acrotab_add(two, "CD", "Charlie Delta", 1, 0), AS_OK);
    char *b2;
    size_t n2;
    assert_int_equal(as_acrotab_serialize(two, &b2, &n2), AS_OK);
    assert_int_equal(n2, 12 + 2 * (1 + 2 + 2 + 4 + 1) + 10 + 13 + 4);
    unsigned char *sw = malloc(n2);
    assert_non_null(sw);
    memcpy(sw, b2, 12);
    size_t e1 = 1 + 2 + 2 + 10 + 4 + 1, e2 = 1 + 2 + 2 + 13 + 4 + 1;
    memcpy(sw + 12, b2 + 12 + e1, e2);
    memcpy(sw + 12 + e2, b2 + 12, e1);
    fix_crc(sw, n2);
    assert_int_equal(as_acrotab_deserialize(&r, (char *)sw, n2, &err), AS_ECORRUPT);
    /* a duplicate entry */
    size_t nd = 12 + 2 * e1 + 4;
    unsigned char *dup = malloc(nd);
    assert_non_null(dup);
    memcpy(dup, b2, 12 + e1);
    memcpy(dup + 12 + e1, b2 + 12, e1);
    fix_crc(dup, nd);
    assert_int_equal(as_acrotab_deserialize(&r, (char *)dup, nd, &err), AS_ECORRUPT);
    free(dup);
    assert_int_equal(as_acrotab_deserialize(&r, b2, n2, &err), AS_OK);
    assert_int_equal(as_acrotab_size(r), 2);
    as_acrotab_free(r);
    /* an empty table */
    as_acrotab *empty;
    assert_int_equal(as_acrotab_new(&empty), AS_OK);
    char *b3;
    size_t n3;
    assert_int_equal(as_acrotab_serialize(empty, &b3, &n3), AS_OK);
    assert_int_equal(n3, 16);
    assert_int_equal(as_acrotab_deserialize(&r, b3, n3, &err), AS_OK);
    assert_int_equal(as_acrotab_size(r), 0);
    as_acrotab_free(r);
    free(b3);
    as_acrotab_free(empty);
    free(sw);
    free(b2);
    as_acrotab_free(two);
    free(c);
    free(buf);
    as_acrotab_free(t);
}

/* Hostile input never crashes the miner; long runs of stop words do not
 * blow up the backtracking. */
static void test_mining_hostile(void **state)
{
    (void)state;
    as_acrotab *t;
    assert_int_equal(as_acrotab_new(&t), AS_OK);
    size_t len = 1 << 20;
    char *b = malloc(len);
    assert_non_null(b);
    uint64_t x = 88172645463325252ull;
    static const char alphabet[] = "aAoO(S)s -&\n\xe2\x80\x99\xff";
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b[i] = alphabet[x % (sizeof alphabet - 1)];
    }
    assert_int_equal(as_acrotab_mine(t, b, len), AS_OK);
    for (size_t i = 0; i < as_acrotab_size(t); i++) {
        const as_acronym *e = as_acrotab_get(t, i);
        assert_true(strlen(e->acro) >= 2 && strlen(e->acro) <= 10);
        assert_true(strlen(e->expansion) >= 3);
    }
    /* "of of of ... (OOOOOOOOOO)": many ways to match, bounded work */
    size_t k = 0;
    for (int i = 0; i < 60; i++)
        k += (size_t)snprintf(b + k, len - k, "of ");
    k += (size_t)snprintf(b + k, len - k, "Oak (OOOOOOOOOX)");
    assert_int_equal(as_acrotab_mine(t, b, k), AS_OK);
    /* a hyphenated chain longer than the word window */
    k = 0;
    for (int i = 0; i < 100; i++)
        k += (size_t)snprintf(b + k, len - k, "w%d-", i);
    k += (size_t)snprintf(b + k, len - k, "Yak-Zoo (YZ) Alpha-Beta-Gamma-Delta (GD)");
    size_t before = as_acrotab_size(t);
    assert_int_equal(as_acrotab_mine(t, b, k), AS_OK);
    assert_int_equal(as_acrotab_size(t), before);
    k = 0;
    for (int i = 0; i < 100; i++)
        k += (size_t)snprintf(b + k, len - k, "x-");
    k += (size_t)snprintf(b + k, len - k, "Yak (XY)");
    assert_int_equal(as_acrotab_mine(t, b, k), AS_OK);
    assert_int_equal(as_acrotab_size(t), before);
    assert_int_equal(as_acrotab_mine(t, NULL, 0), AS_OK);
    assert_int_equal(as_acrotab_mine(t, NULL, 3), AS_EINVAL);
    free(b);
    as_acrotab_free(t);
}

/* The two bundled reports, whole files: exactly their five definitions. */
static void test_bundled_corpus(void **state)
{
    (void)state;
    static const char *const files[] = {
        "corpus/lincolnshire-county-council/learning-improvement-and-innovation.txt",
        "corpus/durham-county-council/learning-improvement-and-innovation.txt",
    };
    const char *root = getenv("AS_SRCDIR");
    as_acrotab *t;
    assert_int_equal(as_acrotab_new(&t), AS_OK);
    for (size_t i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", root ? root : "..", files[i]);
        FILE *f = fopen(path, "rb");
        if (!f)
            fail_msg("cannot open %s (set AS_SRCDIR to the repository root)", path);
        static char buf[1 << 16];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        assert_true(n > 1000 && n < sizeof buf);
        assert_int_equal(as_acrotab_mine(t, buf, n), AS_OK);
    }
    static const char *const want[][2] = {
        {"ADASS", "Association of Directors of Adult Social Services"},
        {"DoLS", "Deprivations of Liberty Safeguards"},
        {"LGSCO", "Local Government and Social Care Ombudsman"},
        {"SAR", "Safeguarding Adults Reviews"},
        {"TEC", "technology enabled care"},
    };
    assert_int_equal(as_acrotab_size(t), 5);
    for (size_t i = 0; i < 5; i++) {
        const as_acronym *e = as_acrotab_get(t, i);
        assert_string_equal(e->acro, want[i][0]);
        assert_string_equal(e->expansion, want[i][1]);
        assert_int_equal(e->count, 1);
        assert_int_equal(e->curated, 0);
    }
    as_acrotab_free(t);
}

/* as_acrotab_find_index: the index of as_acrotab_find's entry. */
static void test_find_index(void **state)
{
    (void)state;
    as_acrotab *t;
    assert_int_equal(as_acrotab_new(&t), AS_OK);
    assert_int_equal(as_acrotab_add(t, "TEC", "Technology Enabled Care", 1, 0), AS_OK);
    assert_int_equal(as_acrotab_add(t, "SAR", "Safeguarding Adults Review", 1, 1), AS_OK);
    assert_int_equal(as_acrotab_add(t, "SAR", "Safeguarding Adults Reviews", 3, 0), AS_OK);
    size_t i = 99;
    /* (sar, ...Review) 0, (sar, ...Reviews) 1, (tec, ...) 2; the most defined wins */
    assert_int_equal(as_acrotab_find_index(t, "SARs", 4, &i), AS_OK);
    assert_int_equal(i, 1);
    assert_ptr_equal(as_acrotab_get(t, i), as_acrotab_find(t, "SARs", 4));
    assert_int_equal(as_acrotab_find_index(t, "tec", 3, &i), AS_OK);
    assert_int_equal(i, 2);
    i = 99;
    assert_int_equal(as_acrotab_find_index(t, "XYZ", 3, &i), AS_ENOTFOUND);
    assert_int_equal(as_acrotab_find_index(t, "SAR", 0, &i), AS_ENOTFOUND);
    assert_int_equal(as_acrotab_find_index(NULL, "SAR", 3, &i), AS_ENOTFOUND);
    assert_int_equal(i, 99);
    as_acrotab_free(t);
}

/* The memo: installed once, the first one wins, dropped on any change and
 * freed with the table. */
typedef struct memo {
    int *freed; /* counts the frees of this memo */
} memo;
static void memo_free(void *m)
{
    (*((memo *)m)->freed)++;
}

static void test_memo(void **state)
{
    (void)state;
    int freed[4] = {0, 0, 0, 0};
    memo m[4] = {{&freed[0]}, {&freed[1]}, {&freed[2]}, {&freed[3]}};
    as_acrotab *t;
    assert_int_equal(as_acrotab_new(&t), AS_OK);
    assert_int_equal(as_acrotab_add(t, "TEC", "Technology Enabled Care", 1, 0), AS_OK);
    assert_null(as_acrotab_memo(t));
    assert_null(as_acrotab_memo(NULL));
    assert_ptr_equal(as_acrotab_set_memo(t, &m[0], memo_free), &m[0]);
    assert_ptr_equal(as_acrotab_memo(t), &m[0]);
    /* a second one (a thread that lost the race): the first stays, it goes */
    assert_ptr_equal(as_acrotab_set_memo(t, &m[1], memo_free), &m[0]);
    assert_int_equal(freed[1], 1);
    assert_int_equal(freed[0], 0);
    /* adding an entry, even an existing one, changes what the memo knew */
    assert_int_equal(as_acrotab_add(t, "TEC", "Technology Enabled Care", 1, 0), AS_OK);
    assert_int_equal(freed[0], 1);
    assert_null(as_acrotab_memo(t));
    assert_ptr_equal(as_acrotab_set_memo(t, &m[2], memo_free), &m[2]);
    assert_int_equal(as_acrotab_merge(t, t), AS_OK);
    assert_int_equal(freed[2], 1);
    assert_null(as_acrotab_memo(t));
    /* a rejected add leaves it */
    assert_ptr_equal(as_acrotab_set_memo(t, &m[3], memo_free), &m[3]);
    assert_int_equal(as_acrotab_add(t, "", "x", 1, 0), AS_EINVAL);
    assert_ptr_equal(as_acrotab_memo(t), &m[3]);
    as_acrotab_free(t);
    assert_int_equal(freed[3], 1);
    assert_int_equal(freed[0] + freed[1] + freed[2], 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_index),
        cmocka_unit_test(test_memo),
        cmocka_unit_test(test_mining),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_ties),
        cmocka_unit_test(test_curated),
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_serialize),
        cmocka_unit_test(test_mining_hostile),
        cmocka_unit_test(test_bundled_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
