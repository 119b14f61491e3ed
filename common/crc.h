/* crc.h: the zlib crc32 (polynomial 0xEDB88320, same values as zlib's
 * crc32()), faster on x86-64 with PCLMULQDQ: the index checks every page it
 * first reads against a stored zlib crc32, and that was half a search's work. */
#ifndef AS_CRC_H
#define AS_CRC_H

#include <stddef.h>
#include <stdint.h>

/* Same result as zlib crc32(crc, p, n) for any p, n (p may be NULL when n is 0). */
uint32_t as_crc32(uint32_t crc, const void *p, size_t n);

/* The implementation as_crc32 uses here (for tests): 2 the folding in VEX
 * encoding (PCLMULQDQ and AVX), 1 the folding in SSE encoding, 0 zlib's. */
int as_crc_kind(void);

#endif
