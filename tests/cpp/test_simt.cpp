// test_simt.cpp — the SIMT emulator's own tests: kernels with shared memory, barriers, warp shuffles,
// atomics and vector loads give exact results at several block sizes; a kernel missing one barrier is
// caught (wrong result under the shuffled schedule); misuse raises simt::SimtError.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "simt_test_kernels.cuh"

namespace {

int g_failures = 0;

#define CHECK(cond, what)                                                                          \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      ++g_failures;                                                                                \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed: %s (seed %llu)\n", __FILE__, __LINE__, #cond, \
                   std::string(what).c_str(), (unsigned long long)simt::last_seed());              \
    }                                                                                              \
  } while (0)

// Integer-valued floats: every partial sum is exact, so any summation order gives the same bits.
std::vector<float> integer_floats(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = float(int(rng() % 201) - 100);
  return x;
}

std::vector<float> reference_block_sums(const std::vector<float>& x, int threads) {
  std::vector<float> out((x.size() + size_t(threads) - 1) / size_t(threads), 0.f);
  for (size_t i = 0; i < x.size(); ++i) out[i / size_t(threads)] += x[i];
  return out;
}

void test_block_reductions() {
  for (int threads : {32, 64, 96, 256, 1024})
    for (int n : {1, 31, 1000, 5000}) {
      const auto x = integer_floats(n, unsigned(n + threads));
      const auto want = reference_block_sums(x, threads);
      std::vector<float> got(want.size(), -1.f);
      launch_block_sum(x.data(), n, got.data(), threads, false);
      CHECK(cudaGetLastError() == cudaSuccess, "launch");
      CHECK(got == want, "block_sum threads=" + std::to_string(threads) + " n=" + std::to_string(n));
      if ((threads & (threads - 1)) == 0) {
        std::fill(got.begin(), got.end(), -1.f);
        launch_tree_sum(x.data(), n, got.data(), threads);
        CHECK(got == want, "tree_sum threads=" + std::to_string(threads) + " n=" + std::to_string(n));
      }
    }
}

#if !defined(FASTNN_SIMT_OS_THREADS)
void test_missing_barrier_is_caught() {
  const int n = 4096, threads = 256;
  const auto x = integer_floats(n, 7);
  const auto want = reference_block_sums(x, threads);
  int wrong_launches = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    simt::set_seed(seed);
    std::vector<float> got(want.size(), 0.f);
    launch_block_sum(x.data(), n, got.data(), threads, true);
    wrong_launches += got != want;
  }
  CHECK(wrong_launches > 0, "a kernel missing its __syncthreads gave the right sums under every shuffled schedule");
  std::printf("missing barrier: wrong result in %d of 8 shuffled launches\n", wrong_launches);
}
#endif

void test_warp_shuffles() {
  for (int threads : {32, 64}) {
    std::vector<int> x(static_cast<size_t>(threads)), out(static_cast<size_t>(threads));
    for (int i = 0; i < threads; ++i) x[size_t(i)] = i * 3 - 7;
    launch_warp_scan(x.data(), out.data(), threads);
    for (int w = 0; w < threads / 32; ++w) {
      int prefix = 0;
      for (int lane = 0; lane < 32; ++lane) {
        prefix += x[size_t(w * 32 + lane)];
        CHECK(out[size_t(w * 32 + lane)] == prefix + x[size_t(w * 32)], "warp scan lane " + std::to_string(lane));
      }
    }
  }
}

void test_atomics_and_vector_loads() {
  const int n4 = 1003;
  const auto x = integer_floats(4 * n4, 11);
  float total = 0.f, maximum = -INFINITY;
  launch_total_and_max(reinterpret_cast<const float4*>(x.data()), n4, &total, &maximum);
  float want_total = 0.f, want_max = -INFINITY;
  for (float v : x) want_total += v, want_max = std::max(want_max, v);
  CHECK(total == want_total, "atomicAdd total");
  CHECK(maximum == want_max, "atomicMax through atomicCAS");
}

void test_memory_api_warp_sync_and_float2() {
  const int n = 64;
  float* x = nullptr;
  float2* out = nullptr;
  CHECK(cudaMalloc(&x, n * sizeof(float)) == cudaSuccess && cudaMalloc(&out, n * sizeof(float2)) == cudaSuccess, "cudaMalloc");
  std::vector<float> host(n);
  for (int i = 0; i < n; ++i) host[size_t(i)] = float(i * i);
  CHECK(cudaMemset(out, 0, n * sizeof(float2)) == cudaSuccess, "cudaMemset");
  CHECK(cudaMemcpy(x, host.data(), n * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess, "cudaMemcpy");
  launch_warp_rotate(x, out);
  std::vector<float2> back(n);
  CHECK(cudaMemcpy(back.data(), out, n * sizeof(float2), cudaMemcpyDeviceToHost) == cudaSuccess, "cudaMemcpy back");
  for (int t = 0; t < n; ++t) {
    const int base = t - t % 32;
    CHECK(back[size_t(t)].x == host[size_t(base + (t % 32 + 1) % 32)] && back[size_t(t)].y == float(t % 32),
          "warp rotate through __syncwarp, thread " + std::to_string(t));
  }
  cudaFree(x);
  cudaFree(out);
}

void test_launch_errors_become_exceptions() {
  std::vector<float> x(8, 1.f), y(8);
  bool thrown = false;
  try {
    launch_block_sum(x.data(), 8, y.data(), 2048, false);  // more than 1024 threads per block
    FASTNN_CUDA_CHECK(cudaGetLastError());
  } catch (const fastnn::CudaError& e) {
    thrown = std::string(e.what()).find("invalid configuration argument") != std::string::npos;
  }
  CHECK(thrown, "FASTNN_CUDA_CHECK did not turn a launch error into fastnn::CudaError");
}

void test_misuse_is_an_error() {
  std::vector<int> out(32, 0);
  bool caught = false;
  try {
    launch_divergent_barrier(out.data());
  } catch (const simt::SimtError& e) {
    caught = std::string(e.what()).find("__syncthreads() reached by 16 of 32 threads") != std::string::npos;
  }
  CHECK(caught, "a barrier reached by half the block was not reported");
  std::vector<float> x(8, 1.f), y(8);
  launch_block_sum(x.data(), 8, y.data(), 2048, false);  // more than 1024 threads per block
  CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration, "oversized block accepted");
  CHECK(cudaGetLastError() == cudaSuccess, "cudaGetLastError did not reset the error");
  bool outside = false;
  try {
    (void)threadIdx.x;
  } catch (const simt::SimtError&) {
    outside = true;
  }
  CHECK(outside, "threadIdx outside a kernel");
}

}  // namespace

// OS-thread mode (cuda/simt/simt.h): the schedule is the OS's, so a wrong result is not guaranteed;
// under ThreadSanitizer the missing barrier is a reported data race instead. `--missing-barrier` runs
// that kernel once on its own (CI expects ThreadSanitizer to report it and fail the run).
int run_missing_barrier_once() {
  const int n = 4096, threads = 256;
  const auto x = integer_floats(n, 7);
  std::vector<float> got(size_t(n / threads), 0.f);
  launch_block_sum(x.data(), n, got.data(), threads, true);
  std::printf("ran a block sum missing its __syncthreads (%s mode)\n", simt::mode());
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--missing-barrier") return run_missing_barrier_once();
  std::printf("SIMT emulator, %s mode\n", simt::mode());
  test_block_reductions();
#if defined(FASTNN_SIMT_OS_THREADS)
  std::printf("missing barrier: see --missing-barrier (OS threads: ThreadSanitizer reports the race)\n");
#else
  test_missing_barrier_is_caught();
#endif
  test_warp_shuffles();
  test_atomics_and_vector_loads();
  test_memory_api_warp_sync_and_float2();
  test_launch_errors_become_exceptions();
  test_misuse_is_an_error();
  std::printf("%s (%d failures)\n", g_failures ? "FAILED" : "OK", g_failures);
  return g_failures ? 1 : 0;
}
