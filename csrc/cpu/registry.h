// registry.h — kernel variants of a family, best first, each with the ISA level it needs.
// Tests and benchmarks iterate over every family through kernel_catalog(), so nothing registered goes
// untested. The reference (generic) kernel is always last and always usable.
#pragma once
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/error.h"

namespace fastnn {

template <class Fn>
struct Kernel {
  const char* name;
  Isa isa;
  Fn fn;
  // Writes its output with non-temporal (cache-bypassing) stores: faster for outputs far larger than
  // the last-level cache, slower for outputs that the next op would have found in cache.
  bool streaming = false;
};
template <class Fn>
using KernelList = std::vector<Kernel<Fn>>;

#define FASTNN_KERNEL(fn, isa) {#fn, isa, fn, false}
#define FASTNN_STREAMING_KERNEL(fn, isa) {#fn, isa, fn, true}

// The best kernel the active ISA allows (a streaming one only if `streaming` is asked for and the
// ISA has one), or the one named by `forced` (tests, benchmarks: the kernel= argument of op `op`, which
// names the errors).
template <class Fn>
const Kernel<Fn>& pick_kernel(const KernelList<Fn>& list, const char* family, const std::string& forced,
                              const char* op, bool streaming = false) {
  for (const auto& k : list) {
    if (forced.empty() ? may_use(k.isa) && (streaming || !k.streaming) : forced == k.name) {
      if (!may_use(k.isa))
        fail(ErrorKind::Runtime, op, ": kernel ", k.name, " needs ", isa_name(k.isa),
             " but the active ISA level is ", isa_name(active_isa()));
      return k;
    }
  }
  std::string names;
  for (const auto& k : list) names += std::string(names.empty() ? "" : ", ") + k.name;
  fail(ErrorKind::Value, op, ": no kernel named '", forced, "' in family ", family, " (registered: ", names, ")");
}

struct KernelInfo {
  std::string family, name;
  Isa isa;
  bool streaming;
};

template <class Fn>
void describe_kernels(const char* family, const KernelList<Fn>& list, std::vector<KernelInfo>& out) {
  for (const auto& k : list) out.push_back({family, k.name, k.isa, k.streaming});
}

// Every registered kernel of every family (csrc/cpu/registry.cpp lists the families).
std::vector<KernelInfo> kernel_catalog();
// The kernel an op of this family runs now on outputs that fit in cache (streaming=false) or not.
std::string selected_kernel(const std::string& family, bool streaming = false);

}  // namespace fastnn
