/*
 * bitpack.h — Interface to bitpack.c: n unsigned values of a fixed width
 * w (0..32 bits) packed LSB first into ceil(n * w / 8) bytes.  The postings
 * and positions blocks of the index are made of these (format.h).
 */
#ifndef AS_BITPACK_H
#define AS_BITPACK_H

#include <stddef.h>
#include <stdint.h>

/* Bytes that n values of w bits take. */
static inline size_t as_bitpack_size(size_t n, unsigned w)
{
    return (n * w + 7) / 8;
}

/* Packs v[0..n) (each < 2^w) into out, which has as_bitpack_size(n, w)
 * bytes.  Returns the bytes written. */
size_t as_bitpack_pack(uint8_t *out, const uint32_t *v, size_t n, unsigned w);

/* Unpacks n values of w bits from in (exactly as_bitpack_size(n, w) bytes,
 * the caller has checked they exist) into v.  Never reads past them. */
void as_bitpack_unpack(const uint8_t *in, uint32_t *v, size_t n, unsigned w);

/* as_bitpack_unpack where avail >= as_bitpack_size(n, w) bytes may be read
 * from in (the packed run and whatever follows it, e.g. the rest of an
 * index file): the 8- to 32-byte loads of the last groups then stay on the
 * fast paths instead of copying the run's tail.  Only the values' own bits
 * reach v. */
void as_bitpack_unpack_in(const uint8_t *in, size_t avail, uint32_t *v, size_t n, unsigned w);

/* as_bitpack_unpack_in with add added to every value (w may be 0): the
 * wdfs, stored less one, in one pass. */
void as_bitpack_unpack_add(const uint8_t *in, size_t avail, uint32_t *v, size_t n, unsigned w,
                           uint32_t add);

/* as_bitpack_unpack_in of n docid gaps (each doc - previous doc - 1)
 * whose docs follow prev1 (the previous doc + 1), summed into the docs
 * inside the unpack: v[j] = prev1 - 1 + sum of (gap i + 1) for i <= j.
 * Returns the last doc + 1 (prev1 when n is 0).  Sums are mod 2^32: the
 * caller makes sure none passes 2^32 - 1 (prev1 + n * 2^w < 2^32 - 1). */
uint32_t as_bitpack_unpack_sums(const uint8_t *in, size_t avail, uint32_t *v, size_t n,
                                unsigned w, uint32_t prev1);

/* What a postings block packs (format.h: pblock) and its skip entry's
 * minima, from its n postings in one pass: docs ascending after prev
 * (UINT32_MAX before a term's first: the first gap is from -1), wdfs >= 1,
 * lens the docs' lengths.  Sets gaps[j] = docs[j] - docs[j - 1] - 1
 * (docs[-1] = prev, mod 2^32), wv[j] = wdfs[j] - 1, ors[0] and ors[1] to
 * the OR of the gaps and of wv (their widths), and lowers mins[c] to the
 * smallest len among the postings of wdf class c (wdf 1, 2, 3, 4 or
 * more).  AVX2 does eight postings a step where the machine has it. */
void as_bitpack_block(const uint32_t *docs, const uint32_t *wdfs, const uint32_t *lens,
                      size_t n, uint32_t prev, uint32_t *gaps, uint32_t *wv, uint32_t ors[2],
                      uint32_t mins[4]);

/* as_bitpack_block that also sets, for the cells of the high lists
 * (format.h: high; cap is AS_HIGH_MAXLEN, below 2^14), keys[j] =
 * (wdf - 1) * (cap + 2) + min(len, cap + 1) for wdf 1..3, 3 * (cap + 2)
 * for wdf 4 or more. */
void as_bitpack_block_keys(const uint32_t *docs, const uint32_t *wdfs, const uint32_t *lens,
                           size_t n, uint32_t prev, uint32_t *gaps, uint32_t *wv,
                           uint32_t ors[2], uint32_t mins[4], uint16_t *keys, uint32_t cap);

/* Decodes the leading run of short postings of a varint postings buffer
 * (runs.c: v doc gap, v wdf, v positions; the encoder's input) at in, of
 * avail bytes, in groups of five: a group is taken when each of its five
 * postings is 3 bytes (a gap 1..127, wdf 1, one position < 128) and its
 * last doc is below ndocs.  prev1 is the doc before + 1 (<= ndocs).  Sets
 * docs, wdfs (1) and pos for at most max postings and returns how many
 * were taken (a multiple of 5: 3 bytes each); 0 where the machine lacks
 * AVX2 (the caller decodes one by one). */
size_t as_bitpack_short3(const uint8_t *in, size_t avail, uint32_t prev1, uint32_t ndocs,
                         uint32_t *docs, uint32_t *wdfs, uint32_t *pos, size_t max);

/* out[j] = col[idx[j]] for j < n (a column's values at a block's docs):
 * AVX2 gathers eight a step (indices below 2^31; a group with a larger
 * one is read one by one). */
void as_bitpack_gather(const uint32_t *col, const uint32_t *idx, size_t n, uint32_t *out);

/* out[j] = col[idx[j]] for j < n, read from col8, col's values capped at
 * AS_BITPACK_ESC (as_bitpack_narrow): col is read only where col8 holds
 * AS_BITPACK_ESC.  col8 has 3 bytes of room past its last index (AVX2
 * gathers four bytes at each index, eight a step). */
#define AS_BITPACK_ESC 255u
void as_bitpack_gather8(const uint8_t *col8, const uint32_t *col, const uint32_t *idx,
                        size_t n, uint32_t *out);

/* col8[i] = min(col[i], AS_BITPACK_ESC) for i < n, and the 3 bytes past
 * them 0 (col8 has n + 3 bytes): the compact column as_bitpack_gather8
 * reads. */
void as_bitpack_narrow(const uint32_t *col, size_t n, uint8_t *col8);

/* The indices j < n (ascending, into idx, which has room for n) whose
 * keys[j] lies in one of the closed ranges [lo[r], hi[r]], r < 4 (lo[r] <=
 * hi[r]); returns how many.  AVX2 tests sixteen keys a step. */
size_t as_bitpack_select(const uint16_t *keys, size_t n, const uint16_t lo[4],
                         const uint16_t hi[4], uint32_t *idx);

/* The OR of v[0..n) (the width of their widest: bits_for of it). */
uint32_t as_bitpack_or(const uint32_t *v, size_t n);

/* 1 when as_bitpack_unpack uses its AVX2 code on this machine (for
 * tests: the results are the same either way), else 0. */
int as_bitpack_simd(void);

#endif
