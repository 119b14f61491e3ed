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
 * thousands of tokens, bigger than the caches).  A token of under 8 bytes
 * is one word, its key: its head (as_stok_head) with its length in the top
 * byte (which its head leaves 0), in an entry of s: one compare.  One of 8
 * to 16 bytes is its length, its head and its tail (its last 8 bytes), in
 * an entry of l.  An entry holds the key and the token's id; key 0 or len
 * 0: empty.  The caller owns the memo (calloc'd: empty), fills it
 * (as_stok_memo_put) and empties it when its ids change. */
#define AS_STOK_MEMO_BITS 13
#define AS_STOK_MEMO (1u << AS_STOK_MEMO_BITS)
#define AS_STOK_MEMO_LEN 16
typedef struct as_stok_memo {
    struct {
        uint64_t key;
        uint32_t id, pad;
    } s[AS_STOK_MEMO];
    struct {
        uint64_t head, tail;
        uint32_t len, id;
    } l[AS_STOK_MEMO];
} as_stok_memo;

/* The memo key of a token of n < 8 bytes of head h. */
static inline uint64_t as_stok_key(uint64_t h, size_t n)
{
    return h | (uint64_t)n << 56;
}

/* Remembers that token t (a miss of as_stok_split) has id.  Of two tokens
 * on one entry the smaller id stays: ids are ranked by count (storew.c),
 * so the commoner token keeps its place (~3% more hits than replacing,
 * simulated on the 100k and 1M corpora). */
static inline void as_stok_memo_put(as_stok_memo *m, const as_swtok *t, uint32_t id)
{
    if (t->len < 8) {
        if (m->s[t->slot].key && m->s[t->slot].id <= id)
            return;
        m->s[t->slot].key = as_stok_key(t->head, t->len);
        m->s[t->slot].id = id;
        return;
    }
    if (t->len > AS_STOK_MEMO_LEN || (m->l[t->slot].len && m->l[t->slot].id <= id))
        return;
    m->l[t->slot].head = t->head;
    m->l[t->slot].tail = t->tail;
    m->l[t->slot].len = t->len;
    m->l[t->slot].id = id;
}

/* Splits text t[0, n) into the store's tokens, in order, looking each up
 * in memo m: token k's id in ids[k] when m has it (else ids[k] is left
 * as it was), and each token m does not have appended to miss (*nmiss of
 * them; room for n needed, as for ids: a token has at least one byte):
 * off = base + the token's offset in t, len, hash = as_stok_hash of its
 * bytes, at = k, head = as_stok_head of them, tail (see the memo), hint
 * 0, slot = the token's memo entry (the top AS_STOK_MEMO_BITS bits of a
 * product: of its key (as_stok_key) and the hash's multiplier for under
 * 8 bytes, else of the hash, its last product before the fold).
 * avail >= n bytes are readable from t (bytes past n may be read, never
 * used).  Returns the number of tokens; 0 for n == 0.  base + n must fit
 * 32 bits. */
size_t as_stok_split(const uint8_t *t, size_t n, size_t avail, uint32_t base,
                     const as_stok_memo *m, uint32_t *ids, as_swtok *miss, size_t *nmiss);

#endif
