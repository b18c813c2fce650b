// array_view.h — a borrowed n-d array: pointer, dtype, device, shape and strides (in elements).
// Arrays cross the Python boundary as this view (taken from numpy's __array_interface__ or a torch
// tensor's data_ptr()/stride()), so the core never links numpy or libtorch. The view does not own memory.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace fastnn {

enum class DType : uint8_t { Float32, Float64 };
enum class DeviceType : uint8_t { CPU, CUDA };

const char* dtype_name(DType t);
int64_t dtype_size(DType t);
DType dtype_from_name(const std::string& name);  // throws Error(Type) for anything fastnn has no kernel for

struct ArrayView {
  void* data = nullptr;
  DType dtype = DType::Float32;
  DeviceType device = DeviceType::CPU;
  int device_index = 0;
  bool readonly = false;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;  // in elements, may be negative or zero

  int64_t numel() const;
  // C-contiguous, ignoring the strides of size-1 dimensions (as numpy and torch do).
  bool is_contiguous() const;
  std::string describe() const;  // "float32 (2, 3) on cpu", for error messages

  template <class T>
  T* as() const { return static_cast<T*>(data); }
};

const char* device_type_name(DeviceType d);

// Checks shared by every op entry point. `op` and `arg` name the call site in messages.
void check_contiguous_on(const ArrayView& a, DeviceType device, const char* op, const char* arg);
inline void check_cpu_contiguous(const ArrayView& a, const char* op, const char* arg) {
  check_contiguous_on(a, DeviceType::CPU, op, arg);
}
void check_same_device(const ArrayView& a, const char* arg_a, const ArrayView& b, const char* arg_b, const char* op);
void check_same_shape_dtype(const ArrayView& a, const char* arg_a, const ArrayView& b, const char* arg_b,
                            const char* op);
void check_writable(const ArrayView& a, const char* op, const char* arg);
// The byte ranges of a and b either coincide exactly (elementwise in-place is fine) or do not overlap.
void check_no_partial_overlap(const ArrayView& a, const char* arg_a, const ArrayView& b, const char* arg_b,
                              const char* op);

// An elementwise op's input and output: both contiguous on `device` (the same one), one shape and dtype,
// `out` writable and either `in` itself (in place) or sharing no byte with it.
void check_elementwise(const ArrayView& in, const char* in_name, const ArrayView& out, const char* out_name,
                       const char* op, DeviceType device = DeviceType::CPU);

// `out` shares no byte with `in` (any strides: the span each view can reach).
void check_disjoint(const ArrayView& out, const char* out_name, const ArrayView& in, const char* in_name,
                    const char* op);

}  // namespace fastnn
