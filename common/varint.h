/*
 * varint.h — Little-endian fixed-width loads/stores and LEB128 varints,
 * shared by the index writer and readers.  Decoders take an end pointer and
 * never read past it: every input is hostile.
 */
#ifndef AS_VARINT_H
#define AS_VARINT_H

#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the index format is read and written in little-endian byte order"
#endif

/* memcpy keeps unaligned loads defined; compilers turn it into one move. */
static inline uint16_t le16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t le32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t le64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Writes v at p (up to 10 bytes); returns the bytes written. */
static inline unsigned varint_put(uint8_t *p, uint64_t v)
{
    unsigned n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Reads a varint from [*p, end); advances *p.  Returns 0 on success, -1 if
 * truncated or longer than 10 bytes / 64 bits. */
static inline int varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    const uint8_t *q = *p;
    if (q < end && *q < 0x80) { /* the common one-byte case */
        *v = *q;
        *p = q + 1;
        return 0;
    }
    uint64_t x = 0;
    for (unsigned shift = 0; q < end && shift < 64; shift += 7) {
        uint8_t b = *q++;
        if (shift == 63 && b > 1)
            return -1;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80) {
            *v = x;
            *p = q;
            return 0;
        }
    }
    return -1;
}

/* As varint_get, for values that must fit 32 bits. */
static inline int varint_get32(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
    uint64_t x;
    if (varint_get(p, end, &x) != 0 || x > UINT32_MAX)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

/* Bits needed for v (0 for 0). */
static inline unsigned bits_for(uint32_t v)
{
    return v ? 32u - (unsigned)__builtin_clz(v) : 0u;
}

#endif
