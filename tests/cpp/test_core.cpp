// test_core.cpp — the kernel core tested as a plain C++ library (no Python), meant to run under
// sanitizers: ASan+UBSan (buffers are allocated at their exact size, so a kernel reading or writing one
// element too far is caught) and ThreadSanitizer (the thread pool's hand-written synchronisation).
// Build and run: .ci/run does it (see the "C++ core under sanitizers" step there).
#include <dlfcn.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/array_view.h"
#include "core/buffer_cache.h"
#include "core/cpu_features.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/activation.h"
#include "cpu/conv_direct.h"
#include "cpu/gemm.h"
#include "cpu/loss.h"
#include "cpu/norm.h"
#include "cpu/registry.h"
#include "cpu/relu.h"
#include "cpu/rnn.h"
#include "cpu/softmax.h"
#include "ops/conv.h"
#include "ops/dropout.h"
#include "ops/gemm.h"
#include "ops/norm.h"
#include "ops/optim.h"
#include "ops/pool.h"
#include "ops/relu.h"
#include "ops/rnn.h"
#include "ops/softmax.h"

namespace {

int g_failures = 0;

#define CHECK(cond, ...)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      ++g_failures;                                                                   \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed: %s\n", __FILE__, __LINE__, #cond, \
                   fastnn::str_cat(__VA_ARGS__).c_str());                             \
    }                                                                                 \
  } while (0)

template <class F>
bool throws_kind(fastnn::ErrorKind kind, F&& f) {
  try {
    f();
  } catch (const fastnn::Error& e) {
    return e.kind() == kind;
  }
  return false;
}

const int64_t kSizes[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 129, 1000, 4099, 16384, 16385, 100003};

void test_parallel_for_covers_each_index_once() {
  for (int threads : {1, 2, 3, 7}) {
    fastnn::set_num_threads(threads);
    for (int64_t n : kSizes)
      for (int64_t grain : {int64_t(1), int64_t(64), int64_t(1000), int64_t(16384)}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::atomic<bool> aligned{true};
        fastnn::parallel_for(n, grain, [&](int64_t b, int64_t e) {
          if (b % grain != 0) aligned = false;
          for (int64_t i = b; i < e; ++i) hits[size_t(i)].fetch_add(1, std::memory_order_relaxed);
        });
        for (int64_t i = 0; i < n; ++i) CHECK(hits[size_t(i)] == 1, "threads=", threads, " n=", n, " i=", i);
        CHECK(aligned, "chunk start not a multiple of the grain: threads=", threads, " n=", n, " grain=", grain);
      }
  }
}

void test_parallel_for_from_many_threads_and_nested() {
  fastnn::set_num_threads(3);
  std::vector<std::thread> callers;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&, t] {
      for (int rep = 0; rep < 100; ++rep) {
        const int64_t n = 5000 + 97 * t + rep;
        std::vector<int> hits(size_t(n), 0);  // disjoint chunks: plain ints are race-free
        fastnn::parallel_for(n, 128, [&](int64_t b, int64_t e) {
          // nested: runs inline on the calling worker
          fastnn::parallel_for(e - b, 16, [&](int64_t ib, int64_t ie) {
            for (int64_t i = ib; i < ie; ++i) hits[size_t(b + i)] += 1;
          });
        });
        for (int v : hits) bad += (v != 1);
      }
    });
  for (auto& c : callers) c.join();
  CHECK(bad == 0, bad.load(), " indices not visited exactly once");
}

void test_exceptions_propagate_and_pool_survives() {
  fastnn::set_num_threads(2);
  const bool threw = throws_kind(fastnn::ErrorKind::Value, [] {
    fastnn::parallel_for(100000, 1000, [](int64_t b, int64_t) {
      if (b >= 50000) fastnn::fail(fastnn::ErrorKind::Value, "chunk at ", b);
    });
  });
  CHECK(threw, "exception from a chunk was not rethrown");
  std::atomic<int64_t> sum{0};
  fastnn::parallel_for(100000, 1000, [&](int64_t b, int64_t e) { sum += e - b; });
  CHECK(sum == 100000, "pool unusable after an exception: ", sum.load());
  CHECK(throws_kind(fastnn::ErrorKind::Value, [] { fastnn::set_num_threads(0); }), "set_num_threads(0) accepted");
}

void test_resize_while_in_use() {
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread user([&] {
    while (!stop) {
      std::atomic<int64_t> sum{0};
      fastnn::parallel_for(50000, 256, [&](int64_t b, int64_t e) { sum += e - b; });
      bad += (sum != 50000);
    }
  });
  for (int i = 0; i < 200; ++i) fastnn::set_num_threads(1 + i % 4);
  stop = true;
  user.join();
  CHECK(bad == 0, "wrong coverage while resizing");
}

// Every usable kernel of a family against its reference, on exact-size heap buffers at several
// offsets from an aligned base (the streaming variants peel to alignment).
template <class T, class Fn>
void check_unary_family(const char* family, const fastnn::KernelList<Fn>& list) {
  const Fn ref = list.back().fn;
  for (const auto& k : list) {
    if (!fastnn::may_use(k.isa)) continue;
    for (int64_t n : kSizes)
      for (int64_t off : {0, 1, 3}) {
        std::unique_ptr<T[]> x(new T[size_t(n + off)]), y(new T[size_t(n + off)]), want(new T[size_t(n)]);
        for (int64_t i = 0; i < n + off; ++i) x[size_t(i)] = T(std::sin(double(i)) * 3);
        if (n > 2) x[1] = std::numeric_limits<T>::quiet_NaN(), x[2] = T(-0.0);
        ref(x.get() + off, want.get(), n);
        k.fn(x.get() + off, y.get() + off, n);
        CHECK(std::memcmp(y.get() + off, want.get(), size_t(n) * sizeof(T)) == 0, family, " ", k.name, " n=", n,
              " off=", off);
      }
  }
}

template <class T, class Fn>
void check_binary_family(const char* family, const fastnn::KernelList<Fn>& list) {
  const Fn ref = list.back().fn;
  for (const auto& k : list) {
    if (!fastnn::may_use(k.isa)) continue;
    for (int64_t n : kSizes)
      for (int64_t off : {0, 5}) {
        std::unique_ptr<T[]> dy(new T[size_t(n)]), y(new T[size_t(n)]), dx(new T[size_t(n + off)]), want(new T[size_t(n)]);
        for (int64_t i = 0; i < n; ++i) dy[size_t(i)] = T(i % 13) - 6, y[size_t(i)] = T(std::cos(double(i)));
        if (n > 1) y[0] = std::numeric_limits<T>::quiet_NaN(), y[1] = T(0);
        ref(dy.get(), y.get(), want.get(), n);
        k.fn(dy.get(), y.get(), dx.get() + off, n);
        CHECK(std::memcmp(dx.get() + off, want.get(), size_t(n) * sizeof(T)) == 0, family, " ", k.name, " n=", n);
      }
  }
}

fastnn::ArrayView view2d(void* p, fastnn::DType t, int64_t rows, int64_t cols) {
  fastnn::ArrayView v;
  v.data = p;
  v.dtype = t;
  v.shape = {rows, cols};
  v.strides = {cols, 1};
  return v;
}

fastnn::ArrayView view1d(void* p, fastnn::DType t, int64_t n, int64_t stride = 1) {
  fastnn::ArrayView v;
  v.data = p;
  v.dtype = t;
  v.shape = {n};
  v.strides = {stride};
  return v;
}

void test_relu_op_validates_views() {
  std::vector<float> a(64, -1.f), b(64);
  using fastnn::DType;
  using fastnn::ErrorKind;
  fastnn::relu(view1d(a.data(), DType::Float32, 64), view1d(b.data(), DType::Float32, 64));
  CHECK(b[0] == 0.f && b[63] == 0.f, "relu op result");
  CHECK(throws_kind(ErrorKind::Value, [&] { fastnn::relu(view1d(a.data(), DType::Float32, 32, 2), view1d(b.data(), DType::Float32, 32)); }),
        "strided input accepted");
  CHECK(throws_kind(ErrorKind::Value, [&] { fastnn::relu(view1d(a.data(), DType::Float32, 64), view1d(b.data(), DType::Float32, 63)); }),
        "shape mismatch accepted");
  CHECK(throws_kind(ErrorKind::Type, [&] { fastnn::relu(view1d(a.data(), DType::Float32, 16), view1d(b.data(), DType::Float64, 16)); }),
        "dtype mismatch accepted");
  CHECK(throws_kind(ErrorKind::Value, [&] { fastnn::relu(view1d(a.data(), DType::Float32, 32), view1d(a.data() + 1, DType::Float32, 32)); }),
        "partial overlap accepted");
  CHECK(throws_kind(ErrorKind::Value, [&] { fastnn::relu(view1d(nullptr, DType::Float32, 4), view1d(b.data(), DType::Float32, 4)); }),
        "null pointer accepted");
  auto ro = view1d(b.data(), DType::Float32, 64);
  ro.readonly = true;
  CHECK(throws_kind(ErrorKind::Value, [&] { fastnn::relu(view1d(a.data(), DType::Float32, 64), ro); }), "read-only out accepted");
  CHECK(throws_kind(ErrorKind::Value, [&] { fastnn::relu(view1d(a.data(), DType::Float32, 4), view1d(b.data(), DType::Float32, 4), "nope"); }),
        "unknown kernel accepted");
  auto on_gpu = view1d(b.data(), DType::Float32, 64);
  on_gpu.device = fastnn::DeviceType::CUDA;
  CHECK(throws_kind(ErrorKind::Value, [&] { fastnn::relu(view1d(a.data(), DType::Float32, 64), on_gpu); }),
        "a GPU view accepted by the CPU op");
  auto other_gpu = on_gpu;
  other_gpu.device_index = 1;
  CHECK(throws_kind(ErrorKind::Value, [&] { fastnn::check_same_device(on_gpu, "x", other_gpu, "out", "relu"); }),
        "arrays on two devices accepted");
  fastnn::relu(view1d(nullptr, DType::Float32, 0), view1d(nullptr, DType::Float32, 0));  // empty is fine
  fastnn::relu(view1d(a.data(), DType::Float32, 64), view1d(a.data(), DType::Float32, 64));  // exact alias: in place
  CHECK(a[5] == 0.f, "in-place relu");
}

fastnn::ArrayView view2d(void* p, fastnn::DType t, int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  fastnn::ArrayView v;
  v.data = p;
  v.dtype = t;
  v.shape = {rows, cols};
  v.strides = {rs, cs};
  return v;
}

// One forced GEMM kernel on exact-size heap buffers (ASan sees any element read or written past an
// operand), op(A) (m x k), op(B) (k x n), C with a padded row stride, bias on both sides and ReLU,
// against a double-precision loop; the error bound is that of a length-k dot product.
template <class T>
void check_gemm(const std::string& kernel, int64_t m, int64_t n, int64_t k, bool ta, bool tb) {
  using fastnn::DType;
  const DType dt = sizeof(T) == 4 ? DType::Float32 : DType::Float64;
  const int64_t ldc = n + 3;
  std::unique_ptr<T[]> a(new T[size_t(m * k)]), b(new T[size_t(k * n)]), c(new T[size_t(m ? (m - 1) * ldc + n : 0)]);
  std::unique_ptr<T[]> bm(new T[size_t(m)]), bn(new T[size_t(n)]);
  uint32_t seed = 12345;
  auto rnd = [&] { seed = seed * 1664525u + 1013904223u; return T(int(seed >> 9) % 2001 - 1000) / T(500); };
  for (int64_t i = 0; i < m * k; ++i) a[size_t(i)] = rnd();
  for (int64_t i = 0; i < k * n; ++i) b[size_t(i)] = rnd();
  for (int64_t i = 0; i < m; ++i) bm[size_t(i)] = rnd();
  for (int64_t j = 0; j < n; ++j) bn[size_t(j)] = rnd();
  auto A = [&](int64_t i, int64_t p) { return double(ta ? a[size_t(p * m + i)] : a[size_t(i * k + p)]); };
  auto B = [&](int64_t p, int64_t j) { return double(tb ? b[size_t(j * k + p)] : b[size_t(p * n + j)]); };
  const auto av = ta ? view2d(a.get(), dt, k, m, m, 1) : view2d(a.get(), dt, m, k, k, 1);
  const auto bv = tb ? view2d(b.get(), dt, n, k, k, 1) : view2d(b.get(), dt, k, n, n, 1);
  const auto cv = view2d(c.get(), dt, m, n, ldc, 1);
  const auto bmv = view1d(bm.get(), dt, m), bnv = view1d(bn.get(), dt, n);
  fastnn::MatmulOptions opt;
  opt.trans_a = ta;
  opt.trans_b = tb;
  opt.relu = true;
  fastnn::matmul(av, bv, cv, &bmv, &bnv, opt, kernel);
  const double u = std::numeric_limits<T>::epsilon() / 2;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double want = double(bm[size_t(i)]) + double(bn[size_t(j)]), mag = std::fabs(want);
      for (int64_t p = 0; p < k; ++p) {
        want += A(i, p) * B(p, j);
        mag += std::fabs(A(i, p) * B(p, j));
      }
      want = want < 0 ? 0 : want;
      const double got = double(c[size_t(i * ldc + j)]);
      CHECK(std::fabs(got - want) <= double(k + 4) * u * mag + 1e-30, kernel, " m=", m, " n=", n, " k=", k,
            " ta=", ta, " tb=", tb, " at (", i, ", ", j, "): ", got, " vs ", want);
    }
  }
}

void test_gemm_kernels() {
  const int64_t shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {13, 70, 33}, {6, 64, 1025}, {67, 129, 17}, {3, 200, 300}, {5, 3, 0}};
  int checked = 0;
  for (const auto& k : fastnn::gemm_f32_kernels()) {
    if (!fastnn::may_use(k.isa)) continue;
    for (const auto& s : shapes)
      for (int t = 0; t < 4; ++t, ++checked) check_gemm<float>(k.name, s[0], s[1], s[2], t & 1, t & 2);
  }
  for (const auto& k : fastnn::gemm_dot_f32_kernels()) {
    if (!fastnn::may_use(k.isa)) continue;
    for (const auto& s : shapes) check_gemm<float>(k.name, s[0], s[1], s[2], false, true), ++checked;
  }
  for (const auto& k : fastnn::gemm_f64_kernels())
    for (const auto& s : shapes)
      for (int t = 0; t < 4; ++t, ++checked) check_gemm<double>(k.name, s[0], s[1], s[2], t & 1, t & 2);
  // Large enough (2 * M * N * K >= 2e8) for the threads to pack B panels together (ops/gemm.cpp)
  check_gemm<float>(fastnn::gemm_f32_kernels().front().name, 300, 200, 1700, false, false);
  check_gemm<float>(fastnn::gemm_f32_kernels().front().name, 300, 200, 1700, true, true);
  std::printf("gemm: %d kernel/shape/layout combinations checked\n", checked);
}

// Row strides past 2^31 bytes on every operand (A, B and C each span > 8 GiB of address space): any
// 32-bit product in the index math lands on the wrong row. The rows sit in one sparse anonymous mapping
// (MAP_NORESERVE): only the pages of the elements used are ever touched.
// Products with a prepacked B (ops/gemm.h: pack_gemm_b / gemm_prepacked, an RNN's recurrent weights)
// against gemm() with the same micro-kernel: every usable kernel, shapes that cross the NC, KC and MC
// blocks and leave partial tiles, both layouts of op(B), beta and a column bias, at 1 and 2 threads.
void test_gemm_prepacked() {
  int checked = 0;
  const int before = fastnn::get_num_threads();
  for (const auto& k : fastnn::gemm_f32_kernels()) {
    if (!fastnn::may_use(k.isa)) continue;
    for (const std::array<int64_t, 3>& mnk : {std::array<int64_t, 3>{32, 1024, 256}, std::array<int64_t, 3>{7, 70, 5},
                                               std::array<int64_t, 3>{300, 1601, 1100}, std::array<int64_t, 3>{3, 5, 0}}) {
      const int64_t M = mnk[0], N = mnk[1], K = mnk[2];
      std::vector<float> a(static_cast<size_t>(M * K)), b(static_cast<size_t>(K * N)), bias(static_cast<size_t>(N)),
          c0(static_cast<size_t>(M * N)), want, got;
      for (size_t i = 0; i < a.size(); ++i) a[i] = float(int(i * 7 % 13) - 6) * 0.1f;
      for (size_t i = 0; i < b.size(); ++i) b[i] = float(int(i * 5 % 11) - 5) * 0.1f;
      for (size_t i = 0; i < bias.size(); ++i) bias[i] = float(i % 3);
      for (size_t i = 0; i < c0.size(); ++i) c0[i] = float(i % 5) * 0.5f;
      for (bool b_rows_along_n : {false, true}) {  // op(B)(k, j) = b[k * N + j], or b[j * K + k]
        const int64_t b_rs = b_rows_along_n ? N : 1, b_cs = b_rows_along_n ? 1 : K;
        const fastnn::PackedGemmB<float> packed = fastnn::pack_gemm_b(K, N, b.data(), b_rs, b_cs, k.name);
        for (int threads : {1, 2}) {
          fastnn::set_num_threads(threads);
          want = c0, got = c0;
          fastnn::GemmProblem<float> g{M, N, K, a.data(), K, 1, b.data(), b_rs, b_cs, want.data(), N, 1.f, 0.5f,
                                       nullptr, bias.data(), false};
          fastnn::gemm(g, k.name);
          g.c = got.data();
          g.b = nullptr;
          fastnn::gemm_prepacked(g, packed);
          bool ok = true;
          for (size_t i = 0; i < want.size(); ++i) ok = ok && std::fabs(got[i] - want[i]) <= 1e-5f * (1 + std::fabs(want[i]));
          CHECK(ok, k.name, " prepacked M=", M, " N=", N, " K=", K, " rows_along_n=", b_rows_along_n, " threads=", threads);
          ++checked;
        }
      }
    }
  }
  fastnn::set_num_threads(before);
  bool threw = false;
  try {
    const fastnn::PackedGemmB<float> packed = fastnn::pack_gemm_b(4, 4, std::vector<float>(16).data(), 4, 1);
    std::vector<float> a(15), c(20);
    fastnn::gemm_prepacked(fastnn::GemmProblem<float>{5, 4, 3, a.data(), 3, 1, nullptr, 0, 0, c.data(), 4, 1.f, 0.f,
                                                      nullptr, nullptr, false}, packed);
  } catch (const fastnn::Error&) {
    threw = true;
  }
  CHECK(threw, "gemm_prepacked accepted a product whose K does not match the packed weights");
  std::printf("gemm prepacked: %d cases checked\n", checked);
}

void test_gemm_64bit_strides() {
  using fastnn::DType;
  const int64_t m = 5, n = 19, k = 37, ld = (int64_t(1) << 29) + 3;  // floats: 2 GiB + 12 bytes per row
  const size_t span = size_t(std::max(m, k) * ld + std::max(n, k)) * sizeof(float);
  void* mem = mmap(nullptr, 3 * span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) {
    std::printf("gemm 64-bit strides: SKIPPED (mmap of %zu GiB of address space refused)\n", 3 * span >> 30);
    return;
  }
  float* a = static_cast<float*>(mem);
  float* b = a + span / sizeof(float);
  float* c = b + span / sizeof(float);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) a[i * ld + p] = float((i * 7 + p * 3) % 11) - 5;
  for (int64_t p = 0; p < k; ++p)
    for (int64_t j = 0; j < n; ++j) b[p * ld + j] = float((p * 5 + j) % 7) - 3;
  int checked = 0;
  for (const auto& kern : fastnn::gemm_f32_kernels()) {
    if (!fastnn::may_use(kern.isa)) continue;
    for (int64_t i = 0; i < m; ++i) std::fill(c + i * ld, c + i * ld + n, -1.f);
    fastnn::MatmulOptions opt;
    fastnn::matmul(view2d(a, DType::Float32, m, k, ld, 1), view2d(b, DType::Float32, k, n, ld, 1),
                   view2d(c, DType::Float32, m, n, ld, 1), nullptr, nullptr, opt, kern.name);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double want = 0;
        for (int64_t p = 0; p < k; ++p) want += double(a[i * ld + p]) * double(b[p * ld + j]);
        CHECK(double(c[i * ld + j]) == want, kern.name, " 64-bit strides at (", i, ", ", j, "): ", c[i * ld + j],
              " vs ", want);  // small integers: exact in float
      }
    ++checked;
  }
  munmap(mem, 3 * span);
  std::printf("gemm 64-bit strides (row stride %lld bytes): %d kernels checked\n", (long long)(ld * 4), checked);
}

fastnn::ArrayView view4d(void* p, fastnn::DType t, int64_t n, int64_t c, int64_t h, int64_t w) {
  fastnn::ArrayView v;
  v.data = p;
  v.dtype = t;
  v.shape = {n, c, h, w};
  v.strides = {c * h * w, h * w, w, 1};
  return v;
}

// conv2d forward and all three gradients on exact-size buffers against direct loops (double): im2col's
// and col2im's edge intervals are where an off-by-one would read or write outside an image.
void test_conv2d_exact_buffers() {
  using fastnn::DType;
  struct Case { int64_t N, C, H, W, O, KH, KW, sh, sw, pt, pb, pl, pr, dh, dw, G; };
  const Case cases[] = {{2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 4, 9, 8, 6, 3, 2, 2, 3, 0, 1, 2, 0, 2, 1, 2},
                        {2, 2, 5, 5, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1}, {1, 6, 11, 7, 6, 5, 3, 3, 2, 2, 2, 1, 1, 1, 2, 6},
                        // 9 images: blocks of several images per GEMM, the last one partial
                        {9, 4, 6, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},
                        // the direct route's AVX-512 weight-gradient tiles (72 rows, 64 + 6 output channels)
                        {2, 8, 5, 6, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
                        // 25 outputs: 16 in a vector tile, 9 in channel-vector tail tiles (6 + 3), 64 + 6 channels
                        {2, 3, 5, 5, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}};
  int checked = 0;
  for (const Case& c : cases) {
    const fastnn::Conv2dParams p{c.sh, c.sw, c.pt, c.pb, c.pl, c.pr, c.dh, c.dw, c.G};
    int64_t OH = 0, OW = 0;
    fastnn::conv2d_output_size(c.H, c.W, c.KH, c.KW, p, OH, OW, "test");
    const int64_t Cg = c.C / c.G, Og = c.O / c.G;
    std::vector<double> x(size_t(c.N * c.C * c.H * c.W)), w(size_t(c.O * Cg * c.KH * c.KW)), b(size_t(c.O)),
        y(size_t(c.N * c.O * OH * OW)), gy(y.size()), gx(x.size()), gw(w.size()), gb(b.size());
    uint32_t seed = 7;
    auto rnd = [&] { seed = seed * 1664525u + 1013904223u; return double(int(seed >> 9) % 2001 - 1000) / 500; };
    for (auto* v : {&x, &w, &b, &gy})
      for (auto& e : *v) e = rnd();
    fastnn::conv2d(view4d(x.data(), DType::Float64, c.N, c.C, c.H, c.W), view4d(w.data(), DType::Float64, c.O, Cg, c.KH, c.KW),
                   nullptr, view4d(y.data(), DType::Float64, c.N, c.O, OH, OW), p);
    const auto gxv = view4d(gx.data(), DType::Float64, c.N, c.C, c.H, c.W);
    const auto gwv = view4d(gw.data(), DType::Float64, c.O, Cg, c.KH, c.KW);
    const auto gbv = view1d(gb.data(), DType::Float64, c.O);
    fastnn::conv2d_backward(view4d(gy.data(), DType::Float64, c.N, c.O, OH, OW),
                            view4d(x.data(), DType::Float64, c.N, c.C, c.H, c.W),
                            view4d(w.data(), DType::Float64, c.O, Cg, c.KH, c.KW), &gxv, &gwv, &gbv, p);
    std::vector<double> ry(y.size(), 0), rgx(x.size(), 0), rgw(w.size(), 0), rgb(b.size(), 0);
    for (int64_t n = 0; n < c.N; ++n)
      for (int64_t o = 0; o < c.O; ++o)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            const size_t yi = size_t(((n * c.O + o) * OH + oh) * OW + ow);
            rgb[size_t(o)] += gy[yi];
            for (int64_t ci = 0; ci < Cg; ++ci)
              for (int64_t kh = 0; kh < c.KH; ++kh)
                for (int64_t kw = 0; kw < c.KW; ++kw) {
                  const int64_t ih = oh * c.sh - c.pt + kh * c.dh, iw = ow * c.sw - c.pl + kw * c.dw;
                  if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                  const size_t xi = size_t(((n * c.C + (o / Og) * Cg + ci) * c.H + ih) * c.W + iw);
                  const size_t wi = size_t(((o * Cg + ci) * c.KH + kh) * c.KW + kw);
                  ry[yi] += x[xi] * w[wi];
                  rgx[xi] += gy[yi] * w[wi];
                  rgw[wi] += gy[yi] * x[xi];
                }
          }
    auto close = [](const std::vector<double>& a, const std::vector<double>& r) {
      for (size_t i = 0; i < a.size(); ++i)
        if (std::fabs(a[i] - r[i]) > 1e-9 * (1 + std::fabs(r[i]))) return false;
      return true;
    };
    CHECK(close(y, ry) && close(gx, rgx) && close(gw, rgw) && close(gb, rgb), "conv2d case ", checked);
    ++checked;
    const bool pointwise = c.KH == 1 && c.KW == 1 && c.pt == 0 && c.pl == 0 && OH == c.H;  // GEMM without im2col
    if (c.sh != 1 || c.sw != 1 || OW != c.W || pointwise) continue;
    // float32 through every usable direct kernel, forced, on exact-size buffers of their own
    auto to_f = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
    const std::vector<float> xf = to_f(x), wf = to_f(w), gyf = to_f(gy);
    for (const auto& k : fastnn::conv_direct_f32_kernels()) {
      if (!fastnn::may_use(k.isa)) continue;
      std::vector<float> yf(y.size()), gxf(x.size()), gwf(w.size()), gbf(b.size());
      const auto fx = view4d(const_cast<float*>(xf.data()), DType::Float32, c.N, c.C, c.H, c.W);
      const auto fw = view4d(const_cast<float*>(wf.data()), DType::Float32, c.O, Cg, c.KH, c.KW);
      const auto fgx = view4d(gxf.data(), DType::Float32, c.N, c.C, c.H, c.W);
      const auto fgw = view4d(gwf.data(), DType::Float32, c.O, Cg, c.KH, c.KW);
      const auto fgb = view1d(gbf.data(), DType::Float32, c.O);
      fastnn::conv2d(fx, fw, nullptr, view4d(yf.data(), DType::Float32, c.N, c.O, OH, OW), p, k.name);
      fastnn::conv2d_backward(view4d(const_cast<float*>(gyf.data()), DType::Float32, c.N, c.O, OH, OW), fx, fw, &fgx,
                              &fgw, &fgb, p, k.name);
      auto close_f = [](const std::vector<float>& a, const std::vector<double>& r) {
        for (size_t i = 0; i < a.size(); ++i)
          if (std::fabs(double(a[i]) - r[i]) > 1e-4 * (1 + std::fabs(r[i]))) return false;
        return true;
      };
      CHECK(close_f(yf, ry) && close_f(gxf, rgx) && close_f(gwf, rgw) && close_f(gbf, rgb), "conv2d case ", checked - 1,
            " with ", k.name);
      ++checked;
    }
  }
  std::printf("conv2d: %d cases checked (float64, and float32 through each usable direct kernel)\n", checked);
}

// Pooling on exact-size buffers (windows clipped at every edge, ceil mode) against direct loops.
void test_pool2d_exact_buffers() {
  using fastnn::DType;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const auto& [H, W, k, s, pad, ceil] : {std::tuple{7, 9, 3, 2, 1, true}, std::tuple{28, 28, 2, 2, 0, false},
                                               std::tuple{14, 14, 2, 2, 0, false}, std::tuple{5, 6, 2, 3, 1, true}}) {
    fastnn::Pool2dParams p;
    p.kernel_h = p.kernel_w = k;
    p.stride_h = p.stride_w = s;
    p.pad_h = p.pad_w = pad;
    p.ceil_mode = ceil;
    const int64_t OH = fastnn::pool_output_size(H, k, s, pad, 1, ceil, "test");
    const int64_t OW = fastnn::pool_output_size(W, k, s, pad, 1, ceil, "test");
    std::vector<float> x(size_t(2 * H * W)), y(size_t(2 * OH * OW)), gy(y.size(), 1.f), gx(x.size()), ya(y.size());
    for (size_t i = 0; i < x.size(); ++i) x[i] = float((i * 37) % 101) - 50.f;
    x[3] = nan;
    std::vector<int64_t> idx(y.size());
    fastnn::max_pool2d(view4d(x.data(), DType::Float32, 1, 2, H, W), view4d(y.data(), DType::Float32, 1, 2, OH, OW),
                       idx.data(), p);
    fastnn::max_pool2d_backward(view4d(gy.data(), DType::Float32, 1, 2, OH, OW), view4d(x.data(), DType::Float32, 1, 2, H, W),
                                view4d(gx.data(), DType::Float32, 1, 2, H, W), p);
    fastnn::avg_pool2d(view4d(x.data(), DType::Float32, 1, 2, H, W), view4d(ya.data(), DType::Float32, 1, 2, OH, OW), p);
    double total = 0;
    for (float g : gx) total += g;
    CHECK(total == double(y.size()), "max_pool2d_backward must route each output's gradient once: ", total);
    for (size_t o = 0; o < y.size(); ++o) {
      const int64_t plane = int64_t(o) / (OH * OW);
      const float at = x[size_t(plane * H * W + idx[o])];
      CHECK((std::isnan(y[o]) && std::isnan(at)) || y[o] == at, "max_pool2d index/value mismatch at ", o);
      CHECK(std::isnan(ya[o]) || std::fabs(ya[o]) <= 100.f, "avg_pool2d out of range at ", o);
    }
  }
  std::printf("pool2d: checked\n");
}

// A parallel_for body that asks for the thread count and nests another parallel_for (conv2d's GEMMs do),
// with one thread and with two, on fastnn's own pool: it must neither deadlock nor miss indices.
void test_nested_parallel_for_and_thread_count() {
  const int before = fastnn::get_num_threads();
  for (int threads : {1, 2}) {
    fastnn::set_num_threads(threads);
    std::atomic<int64_t> sum{0};
    fastnn::parallel_for(64, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        CHECK(fastnn::get_num_threads() == threads, "thread count inside a job");
        fastnn::parallel_for(1000, 10, [&](int64_t b2, int64_t e2) { sum += e2 - b2; });
      }
    });
    CHECK(sum == 64 * 1000, "nested parallel_for with ", threads, " threads: ", sum.load());
  }
  fastnn::set_num_threads(before);
}

void run_parallel_tests() {
  test_parallel_for_covers_each_index_once();
  test_parallel_for_from_many_threads_and_nested();
  test_exceptions_propagate_and_pool_survives();
  test_resize_while_in_use();
  test_nested_parallel_for_and_thread_count();
  fastnn::set_num_threads(2);
  check_unary_family<float>("relu_f32", fastnn::relu_f32_kernels());
  check_binary_family<float>("relu_backward_f32", fastnn::relu_backward_f32_kernels());
}

// Every softmax_f32 variant's row primitives on rows of every length from 0 to 70, each in a buffer of
// exactly that size (the sanitizers see any read or write past a row's end), against double loops;
// then cross-entropy (all three reductions, smoothing, weights, an ignored row) on exact buffers.
void test_softmax_exact_buffers() {
  using fastnn::DType;
  int checked = 0;
  for (const auto& k : fastnn::softmax_f32_kernels()) {
    if (!fastnn::may_use(k.isa)) continue;
    for (int64_t n = 0; n <= 70; ++n) {
      std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) x[size_t(i)] = float((i * 37 % 23) - 11) * 0.37f;
      double m = -HUGE_VAL, sum = 0;
      for (float v : x) m = std::max(m, double(v));
      for (float v : x) sum += std::exp(double(v) - m);
      const float got_m = k.fn.row_max(x.data(), n);
      const float got_s = k.fn.exp_sum(x.data(), float(m), y.data(), n);
      CHECK(n == 0 ? std::isinf(got_m) && got_m < 0 : double(got_m) == m, k.name, " row_max n=", n);
      CHECK(std::fabs(got_s - sum) <= 1e-6 * (1 + sum), k.name, " exp_sum n=", n);
      for (int64_t i = 0; i < n; ++i)
        CHECK(std::fabs(y[size_t(i)] - std::exp(double(x[size_t(i)]) - m)) <= 3e-7, k.name, " exp n=", n, " i=", i);
      ++checked;
    }
  }
  const int64_t N = 5, C = 13;
  std::vector<float> x(static_cast<size_t>(N * C)), w(static_cast<size_t>(C));
  for (int64_t i = 0; i < N * C; ++i) x[size_t(i)] = float((i * 29 % 17) - 8) * 0.41f;
  for (int64_t j = 0; j < C; ++j) w[size_t(j)] = 0.5f + 0.1f * float(j);
  const int64_t target[N] = {0, 12, -100, 7, 3};
  for (int red = 0; red < 3; ++red) {
    const fastnn::CrossEntropyParams p{-100, 0.1, fastnn::Reduction(red)};
    std::vector<float> loss(size_t(red == 0 ? N : 1)), grad(size_t(N * C));
    const auto xv = view2d(x.data(), DType::Float32, N, C), gv = view2d(grad.data(), DType::Float32, N, C);
    const auto wv = view1d(w.data(), DType::Float32, C), lv = view1d(loss.data(), DType::Float32, int64_t(loss.size()));
    fastnn::cross_entropy(xv, target, nullptr, &wv, lv, &gv, nullptr, p);
    // double reference: loss_i = (1 - e) w_t (lse - x_t) + (e / C) sum_j w_j (lse - x_j); mean over kept weights
    double total = 0, wkept = 0;
    std::vector<double> ref(size_t(N), 0.0);
    for (int64_t i = 0; i < N; ++i) {
      if (target[i] == -100) continue;
      double m = -HUGE_VAL, s = 0, smooth = 0;
      for (int64_t j = 0; j < C; ++j) m = std::max(m, double(x[size_t(i * C + j)]));
      for (int64_t j = 0; j < C; ++j) s += std::exp(double(x[size_t(i * C + j)]) - m);
      const double lse = m + std::log(s);
      for (int64_t j = 0; j < C; ++j) smooth += double(w[size_t(j)]) * (lse - double(x[size_t(i * C + j)]));
      ref[size_t(i)] = 0.9 * double(w[size_t(target[i])]) * (lse - double(x[size_t(i * C + target[i])])) + 0.1 / C * smooth;
      total += ref[size_t(i)];
      wkept += double(w[size_t(target[i])]);
    }
    if (red == 0) {
      for (int64_t i = 0; i < N; ++i) CHECK(std::fabs(loss[size_t(i)] - ref[size_t(i)]) <= 1e-5, "cross_entropy none row ", i);
    } else {
      const double want = red == 1 ? total / wkept : total;
      CHECK(std::fabs(loss[0] - want) <= 1e-5 * (1 + std::fabs(want)), "cross_entropy reduction ", red);
    }
    for (int64_t j = 0; j < C; ++j) CHECK(grad[size_t(2 * C + j)] == 0.f, "ignored row's gradient");
    ++checked;
  }
  std::vector<float> xs(size_t(N * C), 0.f), loss(1);
  const int64_t bad[N] = {0, 1, 13, 2, 3};
  CHECK(throws_kind(fastnn::ErrorKind::Index, [&] {
          fastnn::cross_entropy(view2d(xs.data(), DType::Float32, N, C), bad, nullptr, nullptr,
                                view1d(loss.data(), DType::Float32, 1), nullptr, nullptr, fastnn::CrossEntropyParams{});
        }), "target out of range");
  // The other forms against the class-index form: one-hot probabilities (Probs) and log_softmax's output
  // (Nll) give the same per-row losses and gradients (exact-size buffers: the sanitizer build checks reads).
  {
    const int64_t kept[N] = {0, 12, 5, 7, 3};
    std::vector<float> onehot(size_t(N * C), 0.f), logp(size_t(N * C)), l_ref(N), l_got(N), g_ref(size_t(N * C)),
        g_got(size_t(N * C));
    for (int64_t i = 0; i < N; ++i) onehot[size_t(i * C + kept[i])] = 1.f;
    const auto xv = view2d(x.data(), DType::Float32, N, C), gref = view2d(g_ref.data(), DType::Float32, N, C),
               ggot = view2d(g_got.data(), DType::Float32, N, C), lref = view1d(l_ref.data(), DType::Float32, N),
               lgot = view1d(l_got.data(), DType::Float32, N), pv = view2d(onehot.data(), DType::Float32, N, C),
               lp = view2d(logp.data(), DType::Float32, N, C);
    fastnn::CrossEntropyParams p{-100, 0.0, fastnn::Reduction::None, fastnn::CeForm::Indices};
    fastnn::cross_entropy(xv, kept, nullptr, nullptr, lref, &gref, nullptr, p);
    p.form = fastnn::CeForm::Probs;
    fastnn::cross_entropy(xv, nullptr, &pv, nullptr, lgot, &ggot, nullptr, p);
    for (int64_t i = 0; i < N * C; ++i) CHECK(std::fabs(g_got[size_t(i)] - g_ref[size_t(i)]) <= 1e-6f, "probs grad ", i);
    for (int64_t i = 0; i < N; ++i) CHECK(std::fabs(l_got[size_t(i)] - l_ref[size_t(i)]) <= 1e-5f, "probs loss ", i);
    fastnn::softmax(xv, lp, 1, true);
    p.form = fastnn::CeForm::Nll;
    fastnn::cross_entropy(lp, kept, nullptr, nullptr, lgot, &ggot, nullptr, p);
    for (int64_t i = 0; i < N; ++i) CHECK(std::fabs(l_got[size_t(i)] - l_ref[size_t(i)]) <= 1e-5f, "nll loss ", i);
    for (int64_t i = 0; i < N * C; ++i)
      CHECK(g_got[size_t(i)] == (i % C == kept[i / C] ? -1.f : 0.f), "nll grad ", i);
    checked += 2;
  }
  std::printf("softmax: %d row/loss cases checked\n", checked);
}

// Every activation_f32 variant, every activation, forward and backward, with ordinary and streaming
// stores (the peel to the vector alignment, the aligned body, the masked tail), on buffers of exactly n
// elements at every offset from a 64-byte boundary, against the reference variant.
void test_activation_exact_buffers() {
  const fastnn::Act acts[] = {fastnn::Act::LeakyRelu, fastnn::Act::Elu, fastnn::Act::EluResult, fastnn::Act::Sigmoid,
                              fastnn::Act::Tanh, fastnn::Act::Gelu, fastnn::Act::GeluTanh, fastnn::Act::Silu, fastnn::Act::Hardtanh,
                              fastnn::Act::Softplus};
  const fastnn::ActParams p{0.7, 1.5};
  const auto& ref = fastnn::activation_f32_kernels().back().fn;
  int checked = 0;
  for (const auto& k : fastnn::activation_f32_kernels()) {
    if (!fastnn::may_use(k.isa)) continue;
    for (fastnn::Act a : acts)
      for (int64_t n : {0, 1, 7, 8, 15, 16, 17, 33, 70})
        for (int64_t off : {0, 1, 5}) {
          std::vector<float> x(static_cast<size_t>(n)), g(static_cast<size_t>(n));
          for (int64_t i = 0; i < n; ++i) x[size_t(i)] = float(i % 9) * 0.6f - 2.5f, g[size_t(i)] = float(i % 4) - 1.5f;
          std::vector<float> want(static_cast<size_t>(n)), wantb(static_cast<size_t>(n));
          if (a != fastnn::Act::EluResult) ref.forward(a, p, x.data(), want.data(), n, false);
          ref.backward(a, p, g.data(), x.data(), wantb.data(), n, false);
          for (bool stream : {false, true}) {
            // the output at `off` floats past a 64-byte boundary; sentinels around it must survive
            const int64_t cap = n + off + 32;
            std::unique_ptr<float[]> raw(new float[size_t(cap)]);
            std::fill(raw.get(), raw.get() + cap, 12345.f);
            float* base = raw.get();
            while (reinterpret_cast<uintptr_t>(base) % 64) ++base;
            auto sentinels_intact = [&] {
              for (float* q = raw.get(); q < raw.get() + cap; ++q)
                if ((q < base + off || q >= base + off + n) && *q != 12345.f) return false;
              return true;
            };
            std::vector<float> y(static_cast<size_t>(n)), yb(static_cast<size_t>(n));
            float* out = n ? base + off : nullptr;
            if (a != fastnn::Act::EluResult) {
              k.fn.forward(a, p, x.data(), out, n, stream);
              for (int64_t i = 0; i < n; ++i) y[size_t(i)] = out[i];
              bool ok = true;
              for (int64_t i = 0; i < n; ++i) ok = ok && std::fabs(y[size_t(i)] - want[size_t(i)]) <= 4e-7f * (1 + std::fabs(want[size_t(i)]));
              CHECK(ok && sentinels_intact(), k.name, " forward act=", int(a), " n=", n, " off=", off, " stream=", stream);
            }
            k.fn.backward(a, p, g.data(), x.data(), out, n, stream);
            bool ok = true;
            for (int64_t i = 0; i < n; ++i) ok = ok && std::fabs(out[i] - wantb[size_t(i)]) <= 1e-6f * (1 + std::fabs(wantb[size_t(i)]));
            CHECK(ok && sentinels_intact(), k.name, " backward act=", int(a), " n=", n, " off=", off, " stream=", stream);
            ++checked;
          }
        }
  }
  std::printf("activations: %d cases checked\n", checked);
}

// Every loss_f32 variant, every loss, forward (sum and per element) and backward, on exact-size buffers
// (with and without weights), against the reference variant.
void test_loss_exact_buffers() {
  const fastnn::Loss kinds[] = {fastnn::Loss::Mse, fastnn::Loss::L1, fastnn::Loss::SmoothL1, fastnn::Loss::Huber,
                                fastnn::Loss::Bce, fastnn::Loss::BceLogits};
  const auto& ref = fastnn::loss_f32_kernels().back().fn;
  int checked = 0;
  for (const auto& k : fastnn::loss_f32_kernels()) {
    if (!fastnn::may_use(k.isa)) continue;
    for (fastnn::Loss kind : kinds)
      for (int64_t n : {0, 1, 7, 15, 16, 17, 33, 300})
        for (bool weighted : {false, true}) {
          std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n)), w(static_cast<size_t>(n)),
              g(static_cast<size_t>(n));
          for (int64_t i = 0; i < n; ++i) {
            x[size_t(i)] = kind == fastnn::Loss::Bce ? 0.05f + 0.9f * float(i % 11) / 10 : float(i % 13) * 0.4f - 2.4f;
            y[size_t(i)] = float(i % 5) * 0.25f, w[size_t(i)] = 0.5f + float(i % 3), g[size_t(i)] = float(i % 4) - 1.5f;
          }
          const fastnn::LossArgs a{kind, 0.7, x.data(), y.data(), weighted ? w.data() : nullptr,
                                   kind == fastnn::Loss::BceLogits && weighted ? w.data() : nullptr, n};
          std::vector<float> out(static_cast<size_t>(n)), want(static_cast<size_t>(n)), dx(static_cast<size_t>(n)),
              wdx(static_cast<size_t>(n));
          const double s = k.fn.forward(a, out.data()), ws = ref.forward(a, want.data());
          k.fn.backward(a, g.data(), 1.f, dx.data());
          ref.backward(a, g.data(), 1.f, wdx.data());
          bool ok = std::fabs(s - ws) <= 1e-5 * (1 + std::fabs(ws));
          for (int64_t i = 0; i < n; ++i)
            ok = ok && std::fabs(out[size_t(i)] - want[size_t(i)]) <= 1e-5f * (1 + std::fabs(want[size_t(i)])) &&
                 std::fabs(dx[size_t(i)] - wdx[size_t(i)]) <= 1e-5f * (1 + std::fabs(wdx[size_t(i)]));
          CHECK(ok, k.name, " loss=", int(kind), " n=", n, " weighted=", weighted);
          ++checked;
        }
  }
  std::printf("losses: %d cases checked\n", checked);
}

fastnn::ArrayView viewnd(float* p, std::vector<int64_t> shape) {
  fastnn::ArrayView v;
  v.data = p;
  v.dtype = fastnn::DType::Float32;
  v.shape = shape;
  v.strides.assign(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) v.strides[i - 1] = v.strides[i] * shape[i];
  return v;
}

// Batch and layer normalization through the ops layer on exact-size buffers, every norm_f32 variant against
// the reference one: planar runs with tails, rows of C (BatchNorm1d), training and eval, all gradients.
void test_norm_exact_buffers() {
  int checked = 0;
  auto fill = [](std::vector<float>& v, int salt) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(int((i * 7 + size_t(salt) * 13) % 23) - 11) * 0.37f + 2.f;
  };
  auto close = [](const std::vector<float>& a, const std::vector<float>& b) {
    for (size_t i = 0; i < a.size(); ++i)
      if (!(std::fabs(a[i] - b[i]) <= 2e-4f * (1 + std::fabs(b[i])))) return false;
    return true;
  };
  const std::string ref = fastnn::norm_f32_kernels().back().name;
  for (const auto& k : fastnn::norm_f32_kernels()) {
    if (!fastnn::may_use(k.isa)) continue;
    for (const std::vector<int64_t>& shape : std::vector<std::vector<int64_t>>{{3, 5, 7}, {4, 19}, {2, 3, 33}, {5, 2, 16}}) {
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      const int64_t c = shape[1];
      std::vector<float> x(static_cast<size_t>(n)), gy(static_cast<size_t>(n)), w(static_cast<size_t>(c)), b(static_cast<size_t>(c));
      fill(x, 1), fill(gy, 2), fill(w, 3), fill(b, 4);
      for (bool training : {true, false}) {
        std::vector<float> out[2][6];  // per kernel: y, sm, si, gx, gw, gb
        for (int which = 0; which < 2; ++which) {
          const std::string name = which ? ref : k.name;
          std::vector<float> rm(static_cast<size_t>(c), 0.5f), rv(static_cast<size_t>(c), 1.5f), y(static_cast<size_t>(n)), sm(static_cast<size_t>(c)), si(static_cast<size_t>(c));
          std::vector<float> gx(static_cast<size_t>(n)), gw(static_cast<size_t>(c)), gb(static_cast<size_t>(c));
          const auto wv = viewnd(w.data(), {c}), bv = viewnd(b.data(), {c}), rmv = viewnd(rm.data(), {c}),
                     rvv = viewnd(rv.data(), {c}), gxv = viewnd(gx.data(), shape), gwv = viewnd(gw.data(), {c}),
                     gbv = viewnd(gb.data(), {c});
          fastnn::batch_norm(viewnd(x.data(), shape), &wv, &bv, &rmv, &rvv, training, 0.1, 1e-5,
                             viewnd(y.data(), shape), viewnd(sm.data(), {c}), viewnd(si.data(), {c}), name);
          fastnn::batch_norm_backward(viewnd(gy.data(), shape), viewnd(x.data(), shape), &wv, viewnd(sm.data(), {c}),
                                      viewnd(si.data(), {c}), training, &gxv, &gwv, &gbv, name);
          out[which][0] = y, out[which][1] = sm, out[which][2] = si, out[which][3] = gx, out[which][4] = gw,
          out[which][5] = gb;
        }
        bool ok = true;
        for (int i = 0; i < 6; ++i) ok = ok && close(out[0][i], out[1][i]);
        CHECK(ok, k.name, " batch_norm training=", training, " n=", n);
        ++checked;
      }
      // layer norm over the last dim
      const int64_t d = shape.back(), rows = n / d;
      std::vector<float> lw(static_cast<size_t>(d)), lb(static_cast<size_t>(d));
      fill(lw, 5), fill(lb, 6);
      std::vector<float> lout[2][6];
      for (int which = 0; which < 2; ++which) {
        const std::string name = which ? ref : k.name;
        std::vector<float> y(static_cast<size_t>(n)), mean(static_cast<size_t>(rows)), rstd(static_cast<size_t>(rows)), gx(static_cast<size_t>(n)), gw(static_cast<size_t>(d)),
            gb(static_cast<size_t>(d));
        const auto wv = viewnd(lw.data(), {d}), bv = viewnd(lb.data(), {d}), gxv = viewnd(gx.data(), shape),
                   gwv = viewnd(gw.data(), {d}), gbv = viewnd(gb.data(), {d});
        fastnn::layer_norm(viewnd(x.data(), shape), d, &wv, &bv, 1e-5, viewnd(y.data(), shape),
                           viewnd(mean.data(), {rows}), viewnd(rstd.data(), {rows}), name);
        fastnn::layer_norm_backward(viewnd(gy.data(), shape), viewnd(x.data(), shape), d, &wv,
                                    viewnd(mean.data(), {rows}), viewnd(rstd.data(), {rows}), &gxv, &gwv, &gbv, name);
        lout[which][0] = y, lout[which][1] = mean, lout[which][2] = rstd, lout[which][3] = gx, lout[which][4] = gw,
        lout[which][5] = gb;
      }
      bool ok = true;
      for (int i = 0; i < 6; ++i) ok = ok && close(lout[0][i], lout[1][i]);
      CHECK(ok, k.name, " layer_norm n=", n);
      ++checked;
    }
  }
  std::printf("normalization: %d cases checked\n", checked);
}

// The RNN layers on exact-size buffers: every usable rnn_cell_f32 variant against the reference one, on
// shapes (T, B, I, H) with vector tails, both directions, with and without the optional operands (initial
// states, biases). run(kernel, T, B, I, H, reverse, extras) returns every output and gradient it computed;
// each buffer must agree with the reference's within 1e-5 (relative).
template <size_t N, class Run>
void check_rnn_variants(const char* what, Run&& run) {
  int checked = 0;
  const std::string ref = fastnn::rnn_cell_f32_kernels().back().name;
  for (const auto& k : fastnn::rnn_cell_f32_kernels()) {
    if (!fastnn::may_use(k.isa)) continue;
    for (const std::array<int64_t, 4>& d : {std::array<int64_t, 4>{3, 2, 5, 7}, std::array<int64_t, 4>{2, 3, 4, 17},
                                             std::array<int64_t, 4>{1, 1, 1, 16}})
      for (bool reverse : {false, true})
        for (bool extras : {false, true}) {
          const std::array<std::vector<float>, N> got = run(k.name, d[0], d[1], d[2], d[3], reverse, extras),
                                                  want = run(ref, d[0], d[1], d[2], d[3], reverse, extras);
          bool ok = true;
          for (size_t i = 0; i < N; ++i)
            for (size_t j = 0; j < want[i].size(); ++j)
              ok = ok && std::fabs(got[i][j] - want[i][j]) <= 1e-5f * (1 + std::fabs(want[i][j]));
          CHECK(ok, k.name, " ", what, " T=", d[0], " B=", d[1], " I=", d[2], " H=", d[3], " reverse=", reverse,
                " extras=", extras);
          ++checked;
        }
  }
  std::printf("%s: %d cases checked\n", what, checked);
}

// n deterministic values in [-0.66, 0.66] (salt picks the sequence); salt 0: zeros (an output buffer).
std::vector<float> rnn_buffer(int64_t n, int salt) {
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; salt && i < v.size(); ++i) v[i] = float(int((i * 7 + size_t(salt) * 13) % 23) - 11) * 0.06f;
  return v;
}

void test_lstm_exact_buffers() {
  check_rnn_variants<9>("lstm", [](const std::string& name, int64_t T, int64_t B, int64_t I, int64_t H, bool reverse,
                                   bool states) {
    auto x = rnn_buffer(T * B * I, 1), wi = rnn_buffer(4 * H * I, 2), wh = rnn_buffer(4 * H * H, 3),
         b = rnn_buffer(4 * H, 4), h0 = rnn_buffer(B * H, 5), c0 = rnn_buffer(B * H, 6), g = rnn_buffer(T * B * H, 7);
    // outputs: h_all, c_all, act, dx, dw_ih, dw_hh, dbias, dh0, dc0
    std::array<std::vector<float>, 9> o = {
        rnn_buffer(T * B * H, 0), rnn_buffer(T * B * H, 0), rnn_buffer(T * B * 4 * H, 0),
        rnn_buffer(T * B * I, 0), rnn_buffer(4 * H * I, 0), rnn_buffer(4 * H * H, 0),
        rnn_buffer(4 * H, 0),     rnn_buffer(B * H, 0),     rnn_buffer(B * H, 0)};
    const auto xv = viewnd(x.data(), {T, B, I}), wiv = viewnd(wi.data(), {4 * H, I}),
               whv = viewnd(wh.data(), {4 * H, H}), bv = viewnd(b.data(), {4 * H}), h0v = viewnd(h0.data(), {B, H}),
               c0v = viewnd(c0.data(), {B, H}), gv = viewnd(g.data(), {T, B, H}),
               hav = viewnd(o[0].data(), {T, B, H}), cav = viewnd(o[1].data(), {T, B, H}),
               av = viewnd(o[2].data(), {T, B, 4 * H}), dxv = viewnd(o[3].data(), {T, B, I}),
               dwiv = viewnd(o[4].data(), {4 * H, I}), dwhv = viewnd(o[5].data(), {4 * H, H}),
               dbv = viewnd(o[6].data(), {4 * H}), dh0v = viewnd(o[7].data(), {B, H}),
               dc0v = viewnd(o[8].data(), {B, H});
    const fastnn::ArrayView *h = states ? &h0v : nullptr, *c = states ? &c0v : nullptr;
    fastnn::lstm_layer(xv, wiv, whv, &bv, h, c, reverse, hav, cav, av, name);
    fastnn::lstm_layer_backward(xv, wiv, whv, h, c, reverse, hav, cav, av, &gv, h, c, &dxv, &dwiv, &dwhv, &dbv, &dh0v,
                                &dc0v, name);
    return o;
  });
}

void test_gru_exact_buffers() {
  check_rnn_variants<8>("gru", [](const std::string& name, int64_t T, int64_t B, int64_t I, int64_t H, bool reverse,
                                  bool extras) {
    auto x = rnn_buffer(T * B * I, 1), wi = rnn_buffer(3 * H * I, 2), wh = rnn_buffer(3 * H * H, 3),
         bi = rnn_buffer(3 * H, 4), bh = rnn_buffer(3 * H, 5), h0 = rnn_buffer(B * H, 6), g = rnn_buffer(T * B * H, 7),
         gn = rnn_buffer(B * H, 8);
    // outputs: h_all, act, dx, dw_ih, dw_hh, db_ih, db_hh, dh0
    std::array<std::vector<float>, 8> o = {
        rnn_buffer(T * B * H, 0), rnn_buffer(T * B * 4 * H, 0), rnn_buffer(T * B * I, 0), rnn_buffer(3 * H * I, 0),
        rnn_buffer(3 * H * H, 0), rnn_buffer(3 * H, 0),         rnn_buffer(3 * H, 0),     rnn_buffer(B * H, 0)};
    const auto xv = viewnd(x.data(), {T, B, I}), wiv = viewnd(wi.data(), {3 * H, I}),
               whv = viewnd(wh.data(), {3 * H, H}), biv = viewnd(bi.data(), {3 * H}), bhv = viewnd(bh.data(), {3 * H}),
               h0v = viewnd(h0.data(), {B, H}), gv = viewnd(g.data(), {T, B, H}), gnv = viewnd(gn.data(), {B, H}),
               hav = viewnd(o[0].data(), {T, B, H}), av = viewnd(o[1].data(), {T, B, 4 * H}),
               dxv = viewnd(o[2].data(), {T, B, I}), dwiv = viewnd(o[3].data(), {3 * H, I}),
               dwhv = viewnd(o[4].data(), {3 * H, H}), dbiv = viewnd(o[5].data(), {3 * H}),
               dbhv = viewnd(o[6].data(), {3 * H}), dh0v = viewnd(o[7].data(), {B, H});
    const fastnn::ArrayView* h = extras ? &h0v : nullptr;
    fastnn::gru_layer(xv, wiv, whv, extras ? &biv : nullptr, extras ? &bhv : nullptr, h, reverse, hav, av, name);
    fastnn::gru_layer_backward(xv, wiv, whv, h, reverse, hav, av, &gv, &gnv, &dxv, &dwiv, &dwhv, &dbiv, &dbhv, &dh0v,
                               name);
    return o;
  });
}

// Dropout on exact-size buffers: the mask bits and the outputs agree, kept values are scaled, the same
// seed gives the same mask at 1 and 2 threads, and the backward applies the mask.
void test_dropout_exact_buffers() {
  using fastnn::DType;
  int checked = 0;
  for (int64_t n : {0, 1, 7, 9, 64, 100, 40000}) {
    std::vector<float> x(static_cast<size_t>(n), 2.f), y(static_cast<size_t>(n)), y1(static_cast<size_t>(n)),
        dx(static_cast<size_t>(n));
    std::vector<uint8_t> mask(static_cast<size_t>((n + 7) / 8)), mask1(mask.size());
    fastnn::dropout(view1d(x.data(), DType::Float32, n), view1d(y.data(), DType::Float32, n), mask.data(), 0.25, 42);
    const int before = fastnn::get_num_threads();
    fastnn::set_num_threads(1);
    fastnn::dropout(view1d(x.data(), DType::Float32, n), view1d(y1.data(), DType::Float32, n), mask1.data(), 0.25, 42);
    fastnn::set_num_threads(before);
    bool ok = mask == mask1 && y == y1;
    for (int64_t i = 0; i < n; ++i) {
      const bool keep = mask[size_t(i / 8)] >> (i % 8) & 1;
      ok = ok && (keep ? std::fabs(y[size_t(i)] - 2.f / 0.75f) < 1e-6f : y[size_t(i)] == 0.f);
    }
    fastnn::dropout_backward(view1d(x.data(), DType::Float32, n), mask.data(), view1d(dx.data(), DType::Float32, n), 0.25);
    ok = ok && dx == y;
    CHECK(ok, "dropout n=", n);
    ++checked;
  }
  std::printf("dropout: %d cases checked\n", checked);
}

// Optimizer steps on exact-size buffers: every optim_f32 variant against the reference for every kind (its
// states read and written only where the kind keeps them: the others are null), then the multi-tensor
// entry point on tensors larger than one thread chunk, at 1 and 2 threads (the same bits).
void test_optim_exact_buffers() {
  using fastnn::Optim;
  using fastnn::OptimStep;
  std::vector<OptimStep> cases;
  OptimStep h;
  h.kind = Optim::Adam, h.lr = 1e-2, h.beta1 = 0.9, h.beta2 = 0.99, h.eps = 1e-8, h.weight_decay = 0.1;
  h.step_size = 0.05, h.bc2_sqrt = 0.3, h.amsgrad = true;
  cases.push_back(h);
  h = OptimStep{};
  h.kind = Optim::Sgd, h.lr = 0.1, h.momentum = 0.9, h.dampening = 0.1, h.nesterov = true, h.maximize = true;
  cases.push_back(h);
  h = OptimStep{};
  h.kind = Optim::RmsProp, h.lr = 1e-3, h.alpha = 0.9, h.eps = 1e-8, h.momentum = 0.5, h.centered = true;
  cases.push_back(h);
  h = OptimStep{};
  h.kind = Optim::Adagrad, h.clr = 0.05, h.eps = 1e-10, h.weight_decay = 0.01;
  cases.push_back(h);
  const auto& ref = fastnn::optim_f32_kernels().back().fn;
  int checked = 0;
  for (const auto& k : fastnn::optim_f32_kernels()) {
    if (!fastnn::may_use(k.isa)) continue;
    for (const OptimStep& c : cases)
      for (int64_t n : {1, 7, 15, 16, 17, 33, 300}) {
        // (RmsProp centered: sqrt(sq - ga ga) needs sq >= ga ga: m, its ga, is kept small)
        const bool s1 = c.kind == Optim::Adam || c.kind == Optim::RmsProp, s2 = s1;
        auto filled = [&](float scale) {
          std::vector<float> v(static_cast<size_t>(n));
          for (int64_t i = 0; i < n; ++i) v[size_t(i)] = scale * (float(i % 7) * 0.3f + 0.1f);
          return v;
        };
        std::vector<float> g = filled(-1.3f), p[2] = {filled(1.f), filled(1.f)}, a[2] = {filled(0.5f), filled(0.5f)},
                           b[2] = {filled(2.f), filled(2.f)}, m[2] = {filled(0.05f), filled(0.05f)};
        for (int r = 0; r < 2; ++r) {
          const fastnn::OptimTensor<float> t{p[r].data(), g.data(), a[r].data(), s1 ? b[r].data() : nullptr,
                                             s2 ? m[r].data() : nullptr, n};
          (r == 0 ? k.fn : ref)(c, t);
        }
        bool ok = true;
        for (int64_t i = 0; i < n; ++i)
          for (const auto* v : {p, a, b, m})
            ok = ok && std::fabs(v[0][size_t(i)] - v[1][size_t(i)]) <= 1e-6f * (1 + std::fabs(v[1][size_t(i)]));
        CHECK(ok, k.name, " kind=", int(c.kind), " n=", n);
        ++checked;
      }
  }
  // the multi-tensor entry point: Adam on two tensors past one 64K chunk, 1 vs 2 threads
  using fastnn::DType;
  const int64_t sizes[2] = {(1 << 16) * 2 + 5, 3};
  std::vector<float> run[2][4][2];  // [threads][p, g, m, v][tensor]
  for (int r = 0; r < 2; ++r) {
    fastnn::OptimBatch batch;
    for (int t = 0; t < 2; ++t) {
      for (int a = 0; a < 4; ++a) {
        run[r][a][t].assign(size_t(sizes[t]), 0.f);
        for (int64_t i = 0; i < sizes[t]; ++i) run[r][a][t][size_t(i)] = a == 3 ? 0.01f * float(i % 5) : float(i % 11) - 5.f;
      }
      batch.p.push_back(view1d(run[r][0][t].data(), DType::Float32, sizes[t]));
      batch.g.push_back(view1d(run[r][1][t].data(), DType::Float32, sizes[t]));
      batch.s0.push_back(view1d(run[r][2][t].data(), DType::Float32, sizes[t]));
      batch.s1.push_back(view1d(run[r][3][t].data(), DType::Float32, sizes[t]));
      batch.steps.push_back(3.0);
    }
    fastnn::OptimHyper hp;
    hp.base.kind = Optim::Adam, hp.base.lr = 1e-2, hp.base.beta1 = 0.9, hp.base.beta2 = 0.999, hp.base.eps = 1e-8;
    const int before = fastnn::get_num_threads();
    fastnn::set_num_threads(r + 1);
    fastnn::optimizer_step(batch, hp);
    fastnn::set_num_threads(before);
  }
  for (int a = 0; a < 4; ++a)
    for (int t = 0; t < 2; ++t) CHECK(run[0][a][t] == run[1][a][t], "optimizer_step thread count, array ", a);
  fastnn::OptimBatch missing;
  std::vector<float> one(4, 1.f);
  missing.p.push_back(view1d(one.data(), DType::Float32, 4));
  missing.g.push_back(view1d(one.data(), DType::Float32, 4));
  CHECK(throws_kind(fastnn::ErrorKind::Value, [&] { fastnn::optimizer_step(missing, fastnn::OptimHyper{}); }),
        "Adam without its state arrays");
  std::printf("optimizers: %d kernel cases checked\n", checked + 1);
}

// The output buffer cache: a freed buffer serves the next request of its rounded size, the whole requested
// size is writable, the limit bounds the idle bytes, and threads allocating and freeing at once are safe.
void test_buffer_cache() {
  const fastnn::BufferCacheInfo start = fastnn::buffer_cache_info();
  fastnn::set_buffer_cache_limit(int64_t(64) << 20);
  const int64_t bytes = (3 << 20) + 5;
  auto* a = static_cast<unsigned char*>(fastnn::cached_alloc(bytes));
  CHECK(a != nullptr && reinterpret_cast<uintptr_t>(a) % 64 == 0, "cached_alloc: aligned memory");
  std::memset(a, 0xAB, size_t(bytes));
  fastnn::cached_free(a);
  auto* b = static_cast<unsigned char*>(fastnn::cached_alloc(bytes - 3));  // same 64 KiB-rounded size
  CHECK(b == a, "a freed buffer serves the next request of its size");
  CHECK(fastnn::buffer_cache_info().hits == start.hits + 1, "counted as a hit");
  fastnn::cached_free(b);
  fastnn::set_buffer_cache_limit(0);
  CHECK(fastnn::buffer_cache_info().cached == 0, "a zero limit keeps nothing idle");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 50; ++i) {
        const int64_t n = (int64_t(1) << 20) * (1 + (i + t) % 3);
        auto* p = static_cast<unsigned char*>(fastnn::cached_alloc(n));
        p[0] = p[n - 1] = 1;
        fastnn::cached_free(p);
      }
    });
  fastnn::set_buffer_cache_limit(int64_t(16) << 20);
  for (auto& th : threads) th.join();
  CHECK(fastnn::buffer_cache_info().cached <= int64_t(16) << 20, "the limit bounds the idle bytes");
  CHECK(fastnn::buffer_cache_info().live == start.live, "every buffer came back");
  fastnn::empty_buffer_cache();
  fastnn::set_buffer_cache_limit(start.limit);
  std::printf("buffer cache: checked\n");
}

#if !defined(__SANITIZE_THREAD__)  // ThreadSanitizer cannot see libgomp's (uninstrumented) barriers
// With a libgomp in the process (as after `import torch`), parallel_for runs on its team; a forked
// child must fall back to fastnn's own pool (libgomp's team does not survive fork) and not hang.
void test_on_libgomp_team_and_after_fork() {
  if (!dlopen("libgomp.so.1", RTLD_NOW | RTLD_GLOBAL)) {
    std::printf("libgomp.so.1 not found: libgomp-team tests skipped\n");
    return;
  }
  CHECK(std::string(fastnn::thread_backend()).find("libgomp") != std::string::npos, fastnn::thread_backend());
  run_parallel_tests();
  const pid_t pid = fork();
  if (pid == 0) {
    alarm(30);  // a hang kills the child, and the parent sees it
    const bool own = std::string(fastnn::thread_backend()) == "fastnn pool";
    std::atomic<int64_t> sum{0};
    fastnn::parallel_for(100000, 64, [&](int64_t b, int64_t e) { sum += e - b; });
    _exit(own && sum == 100000 ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "forked child failed or hung, status ", status);
  std::printf("libgomp team and fork: checked\n");
}
#endif

}  // namespace

// Read system calls so far (/proc/self/io's syscr), or -1 where the kernel does not report it.
int64_t read_syscalls() {
  FILE* f = std::fopen("/proc/self/io", "r");
  if (!f) return -1;
  char key[32];
  long long v = -1, found = -1;
  while (std::fscanf(f, "%31s %lld", key, &v) == 2)
    if (std::string(key) == "syscr:") found = v;
  std::fclose(f);
  return found;
}

// Without libgomp in the process, parallel_for must not look for it with dlopen at every call: a miss
// opened, read, mapped and unmapped libgomp.so.1 each time (~25 us per fork-join, TLB-shootdown
// interrupts on the workers). 2000 parallel loops may cost a handful of reads, not thousands.
void test_parallel_for_does_not_search_for_libgomp_each_call() {
  const int64_t before = read_syscalls();
  if (before < 0) {
    std::printf("/proc/self/io unreadable: libgomp lookup count not checked\n");
    return;
  }
  std::atomic<int64_t> sum{0};
  for (int i = 0; i < 2000; ++i) fastnn::parallel_for(64, 1, [&](int64_t b, int64_t e) { sum += e - b; });
  const int64_t reads = read_syscalls() - before;
  CHECK(sum == 2000 * 64, "parallel_for covered every index");
  CHECK(reads < 100, "2000 parallel_for calls made ", reads, " read system calls (a library lookup per call?)");
  std::printf("parallel_for without libgomp: %lld read syscalls over 2000 calls\n", static_cast<long long>(reads));
}

int main() {
  std::printf("isa=%s threads=%d backend=%s\n", fastnn::isa_name(fastnn::active_isa()), fastnn::get_num_threads(),
              fastnn::thread_backend());
  CHECK(std::string(fastnn::thread_backend()) == "fastnn pool", "no libgomp loaded yet");
  run_parallel_tests();
  test_parallel_for_does_not_search_for_libgomp_each_call();
  check_unary_family<double>("relu_f64", fastnn::relu_f64_kernels());
  check_binary_family<double>("relu_backward_f64", fastnn::relu_backward_f64_kernels());
  test_relu_op_validates_views();
  test_gemm_kernels();
  test_gemm_64bit_strides();
  test_gemm_prepacked();
  test_conv2d_exact_buffers();
  test_pool2d_exact_buffers();
  test_softmax_exact_buffers();
  test_activation_exact_buffers();
  test_loss_exact_buffers();
  test_norm_exact_buffers();
  test_lstm_exact_buffers();
  test_gru_exact_buffers();
  test_dropout_exact_buffers();
  test_optim_exact_buffers();
  test_buffer_cache();
#if defined(__SANITIZE_THREAD__)
  std::printf("libgomp-team tests skipped under ThreadSanitizer (it cannot see libgomp's barriers)\n");
#else
  test_on_libgomp_team_and_after_fork();
#endif
  std::printf("%s (%d failures)\n", g_failures ? "FAILED" : "OK", g_failures);
  return g_failures ? 1 : 0;
}
