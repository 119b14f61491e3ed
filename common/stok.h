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

/* Splits text t[0, n) into the store's tokens, in order, into out (room
 * for n entries needed: a token has at least one byte): off = base + the
 * token's offset in t, len, hash = as_stok_hash of its bytes, head =
 * as_stok_head of them (zero = 0).  avail >= n
 * bytes are readable from t (bytes past n may be read, never used).
 * Returns the number of tokens; 0 for n == 0.  base + n must fit 32 bits. */
size_t as_stok_split(const uint8_t *t, size_t n, size_t avail, uint32_t base, as_swtok *out);

#endif
