/*
 * stok.h — Interface to stok.c: the sentence store's tokens (format.h:
 * store): a text split into runs of word bytes (as_ix_wordbyte) and runs
 * of gap bytes, a single space between two words left out, each token
 * with the hash the store writer's vocab table is keyed on.  The store
 * writer splits every sentence of the corpus this way; a byte loop with a
 * branch per byte was most of its thread's time, so the split classifies
 * 64 bytes at a time into a bit mask and walks the run boundaries.
 */
#ifndef AS_STOK_H
#define AS_STOK_H

#include <stddef.h>
#include <stdint.h>

#include "storew.h" /* as_swtok */

/* The store vocab's hash of token bytes [s, s + n). */
uint32_t as_stok_hash(const uint8_t *s, size_t n);
/* The first min(n, 8) bytes of [s, s + n) as a little-endian number (the
 * rest zero): two tokens of at most 8 bytes are equal when their lengths
 * and heads are. */
uint64_t as_stok_head(const uint8_t *s, size_t n);

/* The memo: a direct-mapped cache of the ids of tokens of at most
 * AS_STOK_MEMO_LEN bytes, in front of the store writer's vocab table.  Most
 * of a text's tokens are a few thousand common ones; found here by the
 * split itself (one entry, no table probe, no token record written and
 * read back) they cost a fraction of a lookup in the vocab (tens of
 * thousands of tokens, bigger than the caches).  A token of at most 16
 * bytes is its length, its head (as_stok_head) and its tail (the last 8
 * bytes when longer than 8, else 0): an entry holds those three and the
 * token's id; len 0: empty.  The caller owns the entries (calloc'd:
 * empty), fills them (as_stok_memo_put) and empties them when its ids
 * change. */
#define AS_STOK_MEMO_BITS 13
#define AS_STOK_MEMO (1u << AS_STOK_MEMO_BITS)
#define AS_STOK_MEMO_LEN 16
typedef struct as_stok_memo {
    uint64_t head, tail;
    uint32_t len, id;
} as_stok_memo;

/* Remembers that token t (a miss of as_stok_split) has id.  Of two tokens
 * on one entry the smaller id stays: ids are ranked by count (storew.c),
 * so the commoner token keeps its place (~3% more hits than replacing,
 * simulated on the 100k and 1M corpora). */
static inline void as_stok_memo_put(as_stok_memo *m, const as_swtok *t, uint32_t id)
{
    if (t->len > AS_STOK_MEMO_LEN)
        return;
    as_stok_memo *e = &m[t->slot];
    if (e->len && e->id <= id)
        return;
    e->head = t->head;
    e->tail = t->tail;
    e->len = t->len;
    e->id = id;
}

/* Splits text t[0, n) into the store's tokens, in order, looking each up
 * in memo m: token k's id in ids[k] when m has it (else ids[k] is left
 * as it was), and each token m does not have appended to miss (*nmiss of
 * them; room for n needed, as for ids: a token has at least one byte):
 * off = base + the token's offset in t, len, hash = as_stok_hash of its
 * bytes, at = k, head = as_stok_head of them, tail (see the memo), hint
 * 0, slot = the token's memo entry (the top AS_STOK_MEMO_BITS bits of its
 * hash's last product, before the fold).
 * avail >= n bytes are readable from t (bytes past n may be read, never
 * used).  Returns the number of tokens; 0 for n == 0.  base + n must fit
 * 32 bits. */
size_t as_stok_split(const uint8_t *t, size_t n, size_t avail, uint32_t base,
                     const as_stok_memo *m, uint32_t *ids, as_swtok *miss, size_t *nmiss);

#endif
