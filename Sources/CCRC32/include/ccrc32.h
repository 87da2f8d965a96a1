#ifndef TRIPLINE_CCRC32_H
#define TRIPLINE_CCRC32_H

#include <stddef.h>
#include <stdint.h>

/// The gzip CRC-32 of `length` bytes, continuing from `crc` (0 to start), exactly as zlib's `crc32_z`.
/// On x86-64 with PCLMULQDQ it folds 64 bytes per step with carry-less multiplies (about three times
/// zlib's speed); elsewhere, and for the last bytes, it is zlib's own `crc32_z`.
uint32_t tripline_crc32(uint32_t crc, const uint8_t *bytes, size_t length);

/// Whether `tripline_crc32` uses carry-less multiplies on this machine (tests check both paths).
int tripline_crc32_uses_clmul(void);

/// The same CRC computed by zlib alone, whatever the machine has (the oracle the tests compare against).
uint32_t tripline_crc32_zlib(uint32_t crc, const uint8_t *bytes, size_t length);

#endif
