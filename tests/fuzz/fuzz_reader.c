/*
 * fuzz_reader.c — libFuzzer target: any bytes as a corpus page.
 *
 * Input: byte 0 chooses the shape (its value mod 3: .txt, .md, .tsv) and
 * whether a MANIFEST row applies (bit 2); the rest is the page.  The page
 * goes through as_page_parse, the sentence dump (every line must be one
 * valid JSON object), the terminal-safe renderer (no control character may
 * come out) and, directly, the segmenter, the whitespace cleaner, the
 * UTF-8 stepper and the JSON string writer.  Checked invariants are the
 * promises of reader.h, segment.h and dump.h.
 */
#include "fuzz_common.h"

#include "dump.h"
#include "reader.h"
#include "render.h"
#include "segment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void count_warn(void *ctx, const char *path, const char *reason)
{
    FZ_CHECK(path && reason && *reason, "warning without a reason");
    (*(unsigned *)ctx)++;
}

/* Every line of a dump must be one valid JSON object. */
static void check_json_lines(const char *buf, size_t len, size_t want_lines)
{
    size_t lines = 0, at = 0;
    while (at < len) {
        const char *nl = memchr(buf + at, '\n', len - at);
        FZ_CHECK(nl, "dump line %zu not terminated", lines + 1);
        size_t ll = (size_t)(nl - (buf + at));
        FZ_CHECK(ll > 1 && buf[at] == '{', "dump line %zu is not an object", lines + 1);
        FZ_CHECK(fz_json_valid(buf + at, ll), "dump line %zu is not valid JSON: %.*s",
                 lines + 1, (int)(ll > 400 ? 400 : ll), buf + at);
        lines++;
        at += ll + 1;
    }
    FZ_CHECK(lines == want_lines, "dump has %zu lines for %zu sentences", lines, want_lines);
}

/* The renderer must not let a C0/C1 control character or DEL through. */
static void check_render(const char *s, size_t len)
{
    char *out = NULL;
    size_t olen = 0;
    FILE *f = open_memstream(&out, &olen);
    FZ_CHECK(f, "open_memstream");
    as_render_safe(f, s, len);
    fclose(f);
    const unsigned char *o = (const unsigned char *)out;
    for (size_t i = 0; i < olen; i++) {
        FZ_CHECK(o[i] >= 0x20 && o[i] != 0x7f, "control byte 0x%02x rendered at %zu", o[i], i);
        FZ_CHECK(!(o[i] == 0xc2 && i + 1 < olen && o[i + 1] >= 0x80 && o[i + 1] <= 0x9f),
                 "C1 control U+%04X rendered at %zu", o[i + 1], i);
    }
    free(out);
}

static void check_json_string(const char *s, size_t len)
{
    char *out = NULL;
    size_t olen = 0;
    FILE *f = open_memstream(&out, &olen);
    FZ_CHECK(f, "open_memstream");
    int replaced = as_json_string(f, s, len);
    fclose(f);
    FZ_CHECK(fz_json_valid(out, olen), "as_json_string wrote invalid JSON: %.*s",
             (int)(olen > 400 ? 400 : olen), out);
    FZ_CHECK(replaced == !fz_utf8_valid(s, len), "as_json_string replaced=%d", replaced);
    free(out);
}

typedef struct segcheck {
    size_t len;       /* of the text */
    size_t end;       /* end of the previous segment */
    uint32_t line;    /* line of the previous segment */
    uint32_t maxline; /* 1 + number of '\n' in the text */
    size_t n;
} segcheck;

static int seg_cb(void *ctx, const as_segment *seg)
{
    segcheck *c = ctx;
    FZ_CHECK(seg->off <= c->len && seg->len <= c->len - seg->off,
             "segment [%zu,+%zu) outside text of %zu", seg->off, seg->len, c->len);
    FZ_CHECK(seg->off >= c->end, "segment at %zu overlaps the previous (ends %zu)", seg->off,
             c->end);
    FZ_CHECK(seg->len > 0, "empty segment at %zu", seg->off);
    FZ_CHECK(seg->len <= AS_SENTENCE_MAX, "segment of %zu bytes", seg->len);
    FZ_CHECK(seg->line >= c->line && seg->line <= c->maxline, "segment line %u (prev %u, max %u)",
             seg->line, c->line, c->maxline);
    c->end = seg->off + seg->len;
    c->line = seg->line;
    c->n++;
    return 0;
}

static void check_segmenter(const char *t, size_t len)
{
    uint32_t nl = 1;
    for (size_t i = 0; i < len; i++)
        nl += t[i] == '\n';
    segcheck c = {len, 0, 1, nl, 0};
    FZ_CHECK(as_segment_split(t, len, 1, seg_cb, &c) == 0, "as_segment_split failed");
    segcheck b = {len, 0, 1, nl, 0};
    FZ_CHECK(as_segment_bound(t, len, 1, seg_cb, &b) == 0, "as_segment_bound failed");
    /* A stop from the callback is returned as is. */
    char *clean = malloc(len + 1);
    FZ_CHECK(clean, "malloc");
    size_t cl = as_segment_clean(t, len, clean);
    FZ_CHECK(cl <= len && clean[cl] == '\0', "as_segment_clean returned %zu for %zu", cl, len);
    free(clean);
    size_t at = 0, steps = 0;
    while (at < len) {
        int valid;
        size_t k = as_utf8_next(t + at, len - at, &valid);
        FZ_CHECK(k >= 1 && k <= 4 && k <= len - at, "as_utf8_next step %zu at %zu", k, at);
        if (valid)
            FZ_CHECK(fz_utf8_valid(t + at, k), "as_utf8_next called ill-formed bytes valid at %zu",
                     at);
        at += k;
        steps++;
    }
    FZ_CHECK(at == len, "as_utf8_next overran");
}

static void check_page(const as_page *p, size_t len)
{
    uint32_t prev_line = 0;
    for (size_t i = 0; i < p->nsents; i++) {
        const as_sentence *s = &p->sents[i];
        FZ_CHECK(s->text, "sentence %zu has no text", i);
        size_t tl = strlen(s->text);
        FZ_CHECK(tl > 0, "sentence %zu is empty", i);
        FZ_CHECK(tl <= AS_SENTENCE_MAX, "sentence %zu has %zu bytes", i, tl);
        FZ_CHECK(fz_utf8_valid(s->text, tl), "sentence %zu is not valid UTF-8", i);
        if (s->section)
            FZ_CHECK(fz_utf8_valid(s->section, strlen(s->section)), "section %zu not UTF-8", i);
        FZ_CHECK(s->kind >= 0 && s->kind < AS_NKINDS, "sentence %zu kind %d", i, s->kind);
        FZ_CHECK(s->meta >= p->metas && s->meta < p->metas + p->nmetas,
                 "sentence %zu meta outside the page's metas", i);
        FZ_CHECK(s->meta->statement >= 0 && s->meta->statement <= 9, "statement %d",
                 s->meta->statement);
        FZ_CHECK(s->meta->score >= 0 && s->meta->score <= 4, "score %d", s->meta->score);
        FZ_CHECK(s->line >= 1 && s->line <= len + 1, "sentence %zu line %u", i, s->line);
        FZ_CHECK(s->line >= prev_line, "sentence %zu line %u after line %u", i, s->line,
                 prev_line);
        FZ_CHECK(s->paragraph >= 1 && s->sentence >= 1, "sentence %zu numbering", i);
        prev_line = s->line;
        check_render(s->text, tl);
    }
    for (size_t m = 0; m < p->nmetas; m++)
        if (p->metas[m].council)
            check_render(p->metas[m].council, strlen(p->metas[m].council));
    char *out = NULL;
    size_t olen = 0;
    FILE *f = open_memstream(&out, &olen);
    FZ_CHECK(f, "open_memstream");
    FZ_CHECK(as_dump_page(f, p) == AS_OK, "as_dump_page failed");
    fclose(f);
    check_json_lines(out, olen, p->nsents);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = {"fuzz/some-council/page.txt",
                                        "fuzz/some-council/page.md",
                                        "fuzz/some-council/findings.tsv"};
    if (size == 0)
        return 0;
    const char *path = paths[data[0] % 3];
    as_meta manifest = {.council = "Manifest Council", .statement = 3, .score = 2,
                        .published = 20240517, .updated = 0};
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    unsigned warns = 0;
    as_page *p = NULL;
    as_err err = {0};
    int rc = as_page_parse(path, text, len, (data[0] & 4) ? &manifest : NULL, count_warn, &warns,
                           &p, &err);
    FZ_CHECK(rc == AS_OK || rc == AS_ESKIP, "as_page_parse returned %d (%s)", rc, err.msg);
    if (rc == AS_OK) {
        FZ_CHECK(p, "AS_OK without a page");
        FZ_CHECK(p->nwarnings == warns, "nwarnings %u but %u warnings", p->nwarnings, warns);
        check_page(p, len);
    } else {
        FZ_CHECK(!p, "a page with AS_ESKIP");
        FZ_CHECK(err.msg[0], "AS_ESKIP without a reason");
    }
    as_page_free(p);

    check_segmenter(text, len);
    check_json_string(text, len);
    check_render(text, len);
    return 0;
}
