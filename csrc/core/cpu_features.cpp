#include "core/cpu_features.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "core/error.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#define FASTNN_PROBE_X86 1
#endif

namespace fastnn {
namespace {

#ifdef FASTNN_PROBE_X86
struct Regs { uint32_t a = 0, b = 0, c = 0, d = 0; };

Regs cpuid(uint32_t leaf, uint32_t sub = 0) {
  Regs r;
  __cpuid_count(leaf, sub, r.a, r.b, r.c, r.d);
  return r;
}

uint64_t xgetbv0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}

bool bit(uint32_t v, int i) { return (v >> i) & 1u; }
#endif

// The largest cache level Linux reports for CPU 0 ("32768K" in .../cache/indexN/size).
int64_t last_level_cache_bytes() {
  int best_level = 0;
  int64_t bytes = 0;
  for (int i = 0; i < 8; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::ifstream level_file(dir + "level"), size_file(dir + "size");
    int level = 0;
    std::string size;
    if (!(level_file >> level) || !(size_file >> size) || size.empty()) continue;
    int64_t v = std::atoll(size.c_str());
    if (size.back() == 'K') v <<= 10;
    if (size.back() == 'M') v <<= 20;
    if (level > best_level && v > 0) best_level = level, bytes = v;
  }
  return bytes > 0 ? bytes : int64_t(32) << 20;
}

CpuFeatures probe() {
  CpuFeatures f;
  f.llc_bytes = last_level_cache_bytes();
#ifdef FASTNN_PROBE_X86
  const Regs r0 = cpuid(0);
  char vendor[13] = {};
  std::memcpy(vendor + 0, &r0.b, 4);
  std::memcpy(vendor + 4, &r0.d, 4);
  std::memcpy(vendor + 8, &r0.c, 4);
  f.vendor = vendor;
  if (cpuid(0x80000000u).a >= 0x80000004u) {
    char brand[49] = {};
    for (uint32_t i = 0; i < 3; ++i) {
      const Regs r = cpuid(0x80000002u + i);
      std::memcpy(brand + 16 * i + 0, &r.a, 4);
      std::memcpy(brand + 16 * i + 4, &r.b, 4);
      std::memcpy(brand + 16 * i + 8, &r.c, 4);
      std::memcpy(brand + 16 * i + 12, &r.d, 4);
    }
    f.brand = brand;
    while (!f.brand.empty() && f.brand.back() == ' ') f.brand.pop_back();
  }
  const uint32_t max_leaf = r0.a;
  const Regs r1 = max_leaf >= 1 ? cpuid(1) : Regs{};
  const Regs r7 = max_leaf >= 7 ? cpuid(7, 0) : Regs{};
  const bool osxsave = bit(r1.c, 27);
  const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  // The OS must save the wider registers on context switch, or using them corrupts state.
  const bool os_avx = (xcr0 & 0x6) == 0x6;            // XMM + YMM
  const bool os_avx512 = os_avx && (xcr0 & 0xe0) == 0xe0;  // opmask + ZMM_Hi256 + Hi16_ZMM
  const bool sse42 = bit(r1.c, 20), fma = bit(r1.c, 12), avx = bit(r1.c, 28), f16c = bit(r1.c, 29);
  const bool avx2 = bit(r7.b, 5), avx512f = bit(r7.b, 16), avx512dq = bit(r7.b, 17);
  const bool avx512bw = bit(r7.b, 30), avx512vl = bit(r7.b, 31);
  f.flags = {{"sse4_2", sse42},     {"avx", avx && os_avx},         {"avx2", avx2 && os_avx},
             {"fma", fma && os_avx}, {"f16c", f16c && os_avx},       {"avx512f", avx512f && os_avx512},
             {"avx512bw", avx512bw && os_avx512}, {"avx512dq", avx512dq && os_avx512},
             {"avx512vl", avx512vl && os_avx512}, {"os_saves_avx", os_avx}, {"os_saves_avx512", os_avx512}};
  if (avx2 && fma && os_avx) f.best = Isa::Avx2;
  if (f.best == Isa::Avx2 && avx512f && avx512bw && avx512dq && avx512vl && os_avx512) f.best = Isa::Avx512;
#endif
  return f;
}

Isa resolve_active() {
  const Isa best = cpu_features().best;
  const char* env = std::getenv("FASTNN_ISA");
  if (env == nullptr || *env == '\0') return best;
  const Isa want = parse_isa(env);
  if (int(want) > int(best))
    fail(ErrorKind::Runtime, "FASTNN_ISA=", env, " asks for kernels this CPU cannot run (the best it supports is ",
         isa_name(best), ")");
  return want;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = probe();
  return f;
}

Isa active_isa() {
  static const Isa isa = resolve_active();  // a throw leaves it unset; the next call throws again
  return isa;
}

bool may_use(Isa isa) { return int(isa) <= int(active_isa()); }

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Generic: return "generic";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

Isa parse_isa(const std::string& name) {
  for (Isa i : {Isa::Generic, Isa::Avx2, Isa::Avx512})
    if (name == isa_name(i)) return i;
  fail(ErrorKind::Value, "unknown ISA level '", name, "' (expected one of: avx512, avx2, generic)");
}

}  // namespace fastnn
