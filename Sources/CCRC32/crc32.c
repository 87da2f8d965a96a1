// CRC-32 (the gzip polynomial, bit-reflected) by folding with carry-less multiplication.
//
// The method is the one in Intel's white paper "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ
// Instruction" (Gopal et al., 2009): keep four 128-bit accumulators; each step multiplies every accumulator's
// two halves by x^(512±32) mod P, which moves it 64 bytes further along the message, and XORs in the next
// 64 bytes. At the end the four are folded into one (x^(128±32) mod P), reduced to 64 and then 32 bits, and
// a Barrett reduction gives the remainder. All constants are bit-reflected and shifted left by one, because
// the data is reflected and a carry-less product of two reflected values comes out one bit short.

#include "ccrc32.h"
#include <zlib.h>

uint32_t tripline_crc32_zlib(uint32_t crc, const uint8_t *bytes, size_t length) {
    return (uint32_t)crc32_z(crc, bytes, length);
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define CLMUL __attribute__((target("pclmul,sse4.1")))

// Folds `length` bytes (a multiple of 16, at least 64) into the raw (pre-inverted) state `state`.
CLMUL static uint32_t fold(uint32_t state, const uint8_t *p, size_t length) {
    // x^(4·128+32), x^(4·128−32) mod P: advance an accumulator by 64 bytes.
    const __m128i by64 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
    // x^(128+32), x^(128−32) mod P: advance by 16 bytes.
    const __m128i by16 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
    // x^64 mod P: the 64 → 32 bit step.
    const __m128i by8 = _mm_set_epi64x(0, 0x0163cd6124);
    // P itself and the Barrett constant floor(x^64 / P).
    const __m128i barrett = _mm_set_epi64x(0x01f7011641, 0x01db710641);
    const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);

    __m128i a = _mm_loadu_si128((const __m128i *)(p + 0));
    __m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(p + 48));
    a = _mm_xor_si128(a, _mm_cvtsi32_si128((int)state));
    p += 64;
    length -= 64;

#define ADVANCE(acc, k, next) \
    _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(acc, k, 0x00), _mm_clmulepi64_si128(acc, k, 0x11)), next)

    while (length >= 64) {
        a = ADVANCE(a, by64, _mm_loadu_si128((const __m128i *)(p + 0)));
        b = ADVANCE(b, by64, _mm_loadu_si128((const __m128i *)(p + 16)));
        c = ADVANCE(c, by64, _mm_loadu_si128((const __m128i *)(p + 32)));
        d = ADVANCE(d, by64, _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64;
        length -= 64;
    }
    a = ADVANCE(a, by16, b);
    a = ADVANCE(a, by16, c);
    a = ADVANCE(a, by16, d);
    while (length >= 16) {
        a = ADVANCE(a, by16, _mm_loadu_si128((const __m128i *)p));
        p += 16;
        length -= 16;
    }
#undef ADVANCE

    // 128 → 64 bits: the low half times x^(128−32)·… moves it onto the high half.
    __m128i t = _mm_clmulepi64_si128(a, by16, 0x10);
    a = _mm_xor_si128(_mm_srli_si128(a, 8), t);
    // 64 → 32 bits.
    t = _mm_srli_si128(a, 4);
    a = _mm_clmulepi64_si128(_mm_and_si128(a, low32), by8, 0x00);
    a = _mm_xor_si128(a, t);
    // Barrett reduction: q = floor(a·µ / x^64), remainder = a − q·P.
    t = _mm_clmulepi64_si128(_mm_and_si128(a, low32), barrett, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), barrett, 0x00);
    a = _mm_xor_si128(a, t);
    return (uint32_t)_mm_extract_epi32(a, 1);
}

static int detect_clmul(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_PCLMUL) && (ecx & bit_SSE4_1);
}

int tripline_crc32_uses_clmul(void) {
    static int known = -1;  // a benign race: every thread computes the same answer
    int value = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (value < 0) {
        value = detect_clmul();
        __atomic_store_n(&known, value, __ATOMIC_RELAXED);
    }
    return value;
}

uint32_t tripline_crc32(uint32_t crc, const uint8_t *bytes, size_t length) {
    if (length >= 64 && tripline_crc32_uses_clmul()) {
        size_t whole = length & ~(size_t)15;
        crc = ~fold(~crc, bytes, whole);
        bytes += whole;
        length -= whole;
    }
    return (uint32_t)crc32_z(crc, bytes, length);
}

#else

int tripline_crc32_uses_clmul(void) { return 0; }

uint32_t tripline_crc32(uint32_t crc, const uint8_t *bytes, size_t length) {
    return (uint32_t)crc32_z(crc, bytes, length);
}

#endif
