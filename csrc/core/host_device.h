// host_device.h — FASTNN_HD marks inline math that CUDA kernels share with the CPU reference
// (math/activation_math.h, math/loss_math.h, math/traits_ref.h): __host__ __device__ under nvcc,
// nothing for the host compiler (the SIMT emulator build included).
#pragma once

#if defined(__CUDACC__)
#define FASTNN_HD __host__ __device__
#else
#define FASTNN_HD
#endif
