// vmath_avx512.h — small 16-lane helpers for the AVX-512 kernel files only (they are the ones compiled with
// -mavx512f). The vectorized math (exp, log, erf) is in traits_avx512.h.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace fastnn::avx512 {

inline __mmask16 first_lanes(int64_t k) { return k >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << k) - 1u); }

}  // namespace fastnn::avx512
