// workspace.h — scratch memory for the ops and kernels: each thread keeps one aligned buffer per slot,
// grown on demand and reused from call to call (the pool's threads are long-lived), so a hot op allocates
// nothing. A slot's memory is uninitialized and stays valid until the same thread asks for that slot
// again; two uses that overlap in time need two slots. Buffers of 2 MiB or more are 2 MiB-aligned and
// advised onto huge pages (GEMM panels of up to 12 MiB stream through the micro-kernels: a TLB miss every
// 4 KiB otherwise). Freed when the thread exits.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fastnn {

enum class Scratch : int {
  GemmPackA,   // ops/gemm.cpp: the packed A block of a thread
  GemmPackB,   // ops/gemm.cpp: the packed B panel (shared with the workers by the calling thread)
  ConvCol,     // ops/conv.cpp: im2col of a block of images
  ConvDcol,    // ops/conv.cpp: the col-shaped input gradient / the forward's block output
  ConvDy,      // ops/conv.cpp: the block's output gradient rows side by side
  SoftmaxRow,  // ops/softmax.cpp: one row's exp values
  Count
};

// At least `bytes` of 64-byte-aligned memory of the calling thread's `slot`.
void* thread_scratch(Scratch slot, int64_t bytes);

template <class T>
T* thread_scratch(Scratch slot, int64_t n) {
  return static_cast<T*>(thread_scratch(slot, n * int64_t(sizeof(T))));
}

}  // namespace fastnn
