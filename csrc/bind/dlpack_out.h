// dlpack_out.h — hands a buffer-cache buffer (core/buffer_cache.h) to Python as a DLPack capsule, which
// torch.from_dlpack turns into a tensor that returns the buffer to the cache when torch frees it.
// The structs are DLPack's stable C ABI (v0.8 layout: DLManagedTensor, capsule name "dltensor").
#pragma once
#include <pybind11/pybind11.h>

#include <cstdint>
#include <vector>

#include "core/array_view.h"
#include "core/buffer_cache.h"
#include "core/error.h"

namespace fastnn {
namespace bind {
namespace dl {

struct Device {
  int32_t device_type;  // 1: CPU
  int32_t device_id;
};
struct DataType {
  uint8_t code;  // 2: float
  uint8_t bits;
  uint16_t lanes;
};
struct Tensor {
  void* data;
  Device device;
  int32_t ndim;
  DataType dtype;
  int64_t* shape;
  int64_t* strides;  // null: compact row-major
  uint64_t byte_offset;
};
struct ManagedTensor {
  Tensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(ManagedTensor* self);
};

struct Owner {  // what a capsule's tensor owns: the buffer and its shape
  std::vector<int64_t> shape;
  ManagedTensor managed;
};

inline void release(ManagedTensor* self) {
  Owner* o = static_cast<Owner*>(self->manager_ctx);
  cached_free(self->dl_tensor.data);
  delete o;
}

// A capsule nobody consumed (its name still "dltensor") frees the buffer itself.
inline void capsule_destructor(PyObject* cap) {
  if (PyCapsule_IsValid(cap, "dltensor")) {
    auto* m = static_cast<ManagedTensor*>(PyCapsule_GetPointer(cap, "dltensor"));
    m->deleter(m);
  }
}

}  // namespace dl

// A capsule for a new C-contiguous CPU array of `shape` and `dtype` from the buffer cache.
inline pybind11::capsule cached_empty_capsule(const std::vector<int64_t>& shape, DType dtype) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) fail(ErrorKind::Value, "fastnn._C.cached_empty: negative dimension ", d);
    n *= d;
  }
  void* data = cached_alloc(n * dtype_size(dtype));
  if (!data) fail(ErrorKind::Runtime, "fastnn._C.cached_empty: out of memory for ", n * dtype_size(dtype), " bytes");
  auto* o = new dl::Owner{shape, {}};
  o->managed.dl_tensor = dl::Tensor{data, {1, 0}, int32_t(shape.size()),
                                    {2, uint8_t(dtype_size(dtype) * 8), 1}, o->shape.data(), nullptr, 0};
  o->managed.manager_ctx = o;
  o->managed.deleter = dl::release;
  return pybind11::capsule(&o->managed, "dltensor", PyCapsule_Destructor(dl::capsule_destructor));
}

}  // namespace bind
}  // namespace fastnn
