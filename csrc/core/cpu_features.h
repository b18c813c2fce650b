// cpu_features.h — what the CPU can do, probed once, and which kernel level runs.
// Levels are ordered: avx512 (F+BW+DQ+VL+FMA) > avx2 (AVX2+FMA) > generic (portable C++).
// FASTNN_ISA=avx512|avx2|generic caps the level; asking for a level the CPU lacks is an error.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace fastnn {

enum class Isa : int { Generic = 0, Avx2 = 1, Avx512 = 2 };

struct CpuFeatures {
  std::string vendor;
  std::string brand;
  std::vector<std::pair<std::string, bool>> flags;  // named feature bits, in report order
  Isa best = Isa::Generic;                          // highest level this CPU + OS supports
  int64_t llc_bytes = 0;                            // last-level cache seen by CPU 0 (sysfs), else 32 MiB
};

const CpuFeatures& cpu_features();
Isa active_isa();                 // the level kernels are picked for (throws Error if FASTNN_ISA is bad)
bool may_use(Isa isa);            // isa <= active_isa()
const char* isa_name(Isa isa);
Isa parse_isa(const std::string& name);  // throws Error(Value) on an unknown name

}  // namespace fastnn
