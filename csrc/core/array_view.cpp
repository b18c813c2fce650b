#include "core/array_view.h"

#include <utility>

#include <cstdint>

#include "core/error.h"

namespace fastnn {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}

int64_t dtype_size(DType t) { return t == DType::Float64 ? 8 : 4; }

DType dtype_from_name(const std::string& name) {
  if (name == "float32") return DType::Float32;
  if (name == "float64") return DType::Float64;
  fail(ErrorKind::Type, "fastnn has no kernels for dtype ", name, " (supported: float32, float64)");
}

int64_t ArrayView::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

bool ArrayView::is_contiguous() const {
  if (numel() == 0) return true;
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 1) continue;
    if (strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

std::string ArrayView::describe() const {
  std::string s = std::string(dtype_name(dtype)) + " (";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) s += ",";
  s += ") on ";
  s += device == DeviceType::CPU ? "cpu" : "cuda:" + std::to_string(device_index);
  return s;
}

const char* device_type_name(DeviceType d) { return d == DeviceType::CPU ? "cpu" : "cuda"; }

void check_contiguous_on(const ArrayView& a, DeviceType device, const char* op, const char* arg) {
  if (a.device != device)
    fail(ErrorKind::Value, op, ": argument '", arg, "' must be on the ", device == DeviceType::CPU ? "CPU" : "GPU",
         ", got ", a.describe());
  if (!a.is_contiguous()) fail(ErrorKind::Value, op, ": argument '", arg, "' must be C-contiguous");
  if (a.numel() > 0) {
    if (a.data == nullptr) fail(ErrorKind::Value, op, ": argument '", arg, "' has a null data pointer");
    if (reinterpret_cast<uintptr_t>(a.data) % dtype_size(a.dtype) != 0)
      fail(ErrorKind::Value, op, ": argument '", arg, "' is not aligned to its element size");
  }
}

void check_same_device(const ArrayView& a, const char* arg_a, const ArrayView& b, const char* arg_b, const char* op) {
  if (a.device != b.device || a.device_index != b.device_index)
    fail(ErrorKind::Value, op, ": '", arg_b, "' is on ", device_type_name(b.device), ":", b.device_index, " but '", arg_a,
         "' is on ", device_type_name(a.device), ":", a.device_index);
}

void check_same_shape_dtype(const ArrayView& a, const char* arg_a, const ArrayView& b, const char* arg_b,
                            const char* op) {
  if (a.dtype != b.dtype)
    fail(ErrorKind::Type, op, ": '", arg_b, "' has dtype ", dtype_name(b.dtype), " but '", arg_a, "' has ",
         dtype_name(a.dtype));
  if (a.shape != b.shape)
    fail(ErrorKind::Value, op, ": '", arg_b, "' is ", b.describe(), " but '", arg_a, "' is ", a.describe());
}

void check_writable(const ArrayView& a, const char* op, const char* arg) {
  if (a.readonly) fail(ErrorKind::Value, op, ": argument '", arg, "' is read-only");
}

void check_no_partial_overlap(const ArrayView& a, const char* arg_a, const ArrayView& b, const char* arg_b,
                              const char* op) {
  // Both are contiguous here, so each occupies [data, data + numel * size).
  const auto a0 = reinterpret_cast<uintptr_t>(a.data), b0 = reinterpret_cast<uintptr_t>(b.data);
  const auto a1 = a0 + uintptr_t(a.numel() * dtype_size(a.dtype));
  const auto b1 = b0 + uintptr_t(b.numel() * dtype_size(b.dtype));
  if (a0 == b0 && a1 == b1) return;
  if (a0 < b1 && b0 < a1)
    fail(ErrorKind::Value, op, ": '", arg_b, "' partially overlaps '", arg_a,
         "' (it may alias it exactly, for in-place use, or not at all)");
}

// The bytes [lo, hi) that a strided view can touch.
static std::pair<uintptr_t, uintptr_t> byte_span(const ArrayView& v) {
  if (v.numel() == 0) return {0, 0};
  int64_t lo = 0, hi = 0;
  for (size_t d = 0; d < v.shape.size(); ++d) {
    const int64_t reach = (v.shape[d] - 1) * v.strides[d];
    (reach < 0 ? lo : hi) += reach;
  }
  const int64_t size = dtype_size(v.dtype);
  const auto base = reinterpret_cast<uintptr_t>(v.data);
  return {base + uintptr_t(lo * size), base + uintptr_t((hi + 1) * size)};
}

void check_disjoint(const ArrayView& out, const char* out_name, const ArrayView& in, const char* in_name,
                    const char* op) {
  const auto [o0, o1] = byte_span(out);
  const auto [i0, i1] = byte_span(in);
  if (o0 < i1 && i0 < o1) fail(ErrorKind::Value, op, ": '", out_name, "' overlaps '", in_name, "' in memory");
}

void check_elementwise(const ArrayView& in, const char* in_name, const ArrayView& out, const char* out_name,
                       const char* op, DeviceType device) {
  check_contiguous_on(in, device, op, in_name);
  check_contiguous_on(out, device, op, out_name);
  check_same_device(in, in_name, out, out_name, op);
  check_same_shape_dtype(in, in_name, out, out_name, op);
  check_writable(out, op, out_name);
  check_no_partial_overlap(in, in_name, out, out_name, op);
}

}  // namespace fastnn
