/*
 * strtab.c — String interning for the index writer: an open-addressing
 * hash table whose 32-byte slots hold the hash, the id and the string's
 * first bytes (one cache line per lookup: interning every token is the
 * writer's hottest loop), strings kept in an arena and never moved.
 */
#include <stdlib.h>
#include <string.h>

#include "wint.h"

#define ARENA_CHUNK ((size_t)1 << 20)

uint32_t as_strtab_hash(const char *s, size_t n, uint64_t *head)
{
    return as_strtab_hash_in(s, n, head);
}

static char *arena_copy(as_wctx *c, strtab *t, const char *s, size_t n)
{
    if (t->left < n + 1) {
        size_t sz = n + 1 > ARENA_CHUNK ? n + 1 : ARENA_CHUNK;
        if (t->nchunks == t->chunkcap) {
            size_t nc = t->chunkcap ? 2 * t->chunkcap : 16;
            char **p = realloc(t->chunks, nc * sizeof *p);
            if (!p) {
                as_wctx_fail(c, AS_ENOMEM, "out of memory");
                return NULL;
            }
            t->chunks = p;
            t->chunkcap = nc;
        }
        char *ch = malloc(sz);
        if (!ch) {
            as_wctx_fail(c, AS_ENOMEM, "out of memory");
            return NULL;
        }
        t->chunks[t->nchunks++] = ch;
        t->next = ch;
        t->left = sz;
        t->bytes += sz;
    }
    char *r = t->next;
    memcpy(r, s, n);
    r[n] = 0;
    t->next += n + 1;
    t->left -= n + 1;
    return r;
}

static int strtab_grow(as_wctx *c, strtab *t)
{
    uint32_t nslots = t->mask ? 2 * (t->mask + 1) : 1024;
    slot *s = calloc(nslots, sizeof *s);
    if (!s) {
        as_wctx_fail(c, AS_ENOMEM, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < t->n; i++) {
        uint32_t j = t->e[i].hash & (nslots - 1);
        while (s[j].id1)
            j = (j + 1) & (nslots - 1);
        s[j] = t->slots[t->e[i].slot];
        t->e[i].slot = j;
    }
    t->bytes += (size_t)nslots * sizeof *s - (t->mask ? (size_t)(t->mask + 1) * sizeof *s : 0);
    free(t->slots);
    t->slots = s;
    t->mask = nslots - 1;
    return 0;
}

/* Returns the id of s (adding it), or UINT32_MAX on error. */
uint32_t as_strtab_intern(as_wctx *c, strtab *t, const char *s, size_t n, int *added)
{
    uint64_t head;
    uint32_t h = as_strtab_hash(s, n, &head);
    return as_strtab_intern_h(c, t, s, n, h, head, added);
}

uint32_t as_strtab_intern_h(as_wctx *c, strtab *t, const char *s, size_t n, uint32_t h,
                            uint64_t head, int *added)
{
    *added = 0;
    if (c->rc != AS_OK)
        return UINT32_MAX;
    if ((uint64_t)(t->n + 1) * 2 > (uint64_t)t->mask + 1 && strtab_grow(c, t) != 0)
        return UINT32_MAX;
    uint32_t j = h & t->mask;
    uint8_t l8 = n > 255 ? 255 : (uint8_t)n;
    /* bytes 8.. kept in pre[], the rest only in the arena */
    size_t pl = n <= 8 ? 0 : n - 8 < SLOT_PRE ? n - 8 : SLOT_PRE;
    for (;;) {
        const slot *q = &t->slots[j];
        if (!q->id1)
            break;
        if (q->head == head && q->hash == h && q->len == l8 &&
            (pl == 0 || memcmp(q->pre, s + 8, pl) == 0) &&
            (n <= 8 + SLOT_PRE || (t->e[q->id1 - 1].len == n &&
                                   memcmp(t->e[q->id1 - 1].s, s, n) == 0)))
            return q->id1 - 1;
        j = (j + 1) & t->mask;
    }
    if (t->n == UINT32_MAX - 1) {
        as_wctx_fail(c, AS_ELIMIT, "too many distinct terms");
        return UINT32_MAX;
    }
    if (t->n == t->cap) {
        uint32_t nc = t->cap ? 2 * t->cap : 1024;
        sent *e = realloc(t->e, (size_t)nc * sizeof *e);
        if (!e) {
            as_wctx_fail(c, AS_ENOMEM, "out of memory");
            return UINT32_MAX;
        }
        t->bytes += (size_t)(nc - t->cap) * sizeof *e;
        t->e = e;
        t->cap = nc;
    }
    const char *copy = arena_copy(c, t, s, n);
    if (!copy)
        return UINT32_MAX;
    t->e[t->n] = (sent){copy, (uint32_t)n, h, j};
    slot *q = &t->slots[j];
    q->head = head;
    q->hash = h;
    q->len = l8;
    memcpy(q->pre, s + 8, pl);
    q->id1 = ++t->n;
    *added = 1;
    return t->n - 1;
}

void as_strtab_free(strtab *t)
{
    for (size_t i = 0; i < t->nchunks; i++)
        free(t->chunks[i]);
    free(t->chunks);
    free(t->slots);
    free(t->e);
    memset(t, 0, sizeof *t);
}

