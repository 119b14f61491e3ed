/*
 * bitpack.c — Fixed-width bit packing (see bitpack.h).
 *
 * Unpacking is the inner loop of every postings read, so it works on 64-bit
 * little-endian words: value i starts at bit i*w, which lies in the 8 bytes
 * from byte (i*w)/8 whenever w <= 32 (shift <= 7, 7 + 32 < 64).  Those 8
 * bytes may run past the packed data for the last few values; there the
 * bytes are gathered one by one instead, so nothing outside is touched.
 */
#include "bitpack.h"
#include "varint.h"

size_t as_bitpack_pack(uint8_t *out, const uint32_t *v, size_t n, unsigned w)
{
    size_t len = as_bitpack_size(n, w), o = 0;
    if (w == 0)
        return 0;
    uint64_t acc = 0;
    unsigned have = 0; /* bits in acc */
    uint64_t mask = w == 32 ? 0xffffffffu : ((uint64_t)1 << w) - 1;
    for (size_t i = 0; i < n; i++) {
        acc |= ((uint64_t)v[i] & mask) << have;
        have += w;
        while (have >= 8) {
            out[o++] = (uint8_t)acc;
            acc >>= 8;
            have -= 8;
        }
    }
    if (have > 0)
        out[o++] = (uint8_t)acc;
    (void)len;
    return o;
}

static inline uint64_t load_tail(const uint8_t *p, size_t avail)
{
    uint64_t x = 0;
    for (size_t k = 0; k < avail && k < 8; k++)
        x |= (uint64_t)p[k] << (8 * k);
    return x;
}

void as_bitpack_unpack(const uint8_t *in, uint32_t *v, size_t n, unsigned w)
{
    if (w == 0) {
        memset(v, 0, n * sizeof *v);
        return;
    }
    size_t len = as_bitpack_size(n, w);
    uint64_t mask = w == 32 ? 0xffffffffu : ((uint64_t)1 << w) - 1;
    size_t i = 0, bit = 0;
    /* Fast part: the 8-byte window starting at byte bit/8 is inside. */
    if (len >= 8) {
        size_t safe_bytes = len - 8; /* windows starting at <= this are whole */
        for (; i < n && (bit >> 3) <= safe_bytes; i++, bit += w)
            v[i] = (uint32_t)((le64(in + (bit >> 3)) >> (bit & 7)) & mask);
    }
    for (; i < n; i++, bit += w) {
        size_t b = bit >> 3;
        v[i] = (uint32_t)((load_tail(in + b, len - b) >> (bit & 7)) & mask);
    }
}
