// common.h — what every fastnn extension module shares: how an array argument crosses into C++, how
// errors become Python exceptions, and running kernels without the GIL.
// An array argument is either an object with the buffer protocol (numpy arrays: pointer, format, shape, strides and read-only
// flag come from PyObject_GetBuffer, no Python attribute lookups) or a view descriptor built by
// fastnn/ops/_interop.py for torch tensors:
//   (data_ptr: int, dtype: str, shape: tuple, strides: tuple in elements, device: str, device_index: int,
//    readonly: bool)
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/array_view.h"
#include "core/error.h"

namespace fastnn {
namespace bind {

namespace py = pybind11;

// An ArrayView plus what keeps it valid. Destroyed with the GIL held (it may release a Py_buffer).
class BoundArray {
 public:
  explicit BoundArray(py::handle obj) {
    if (PyObject_CheckBuffer(obj.ptr())) from_buffer(obj);
    else if (py::isinstance<py::tuple>(obj)) from_descriptor(py::reinterpret_borrow<py::tuple>(obj));
    else fail(ErrorKind::Type, "expected an array with the buffer protocol or a view descriptor, got ",
              std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
  }
  BoundArray(const BoundArray&) = delete;
  BoundArray& operator=(const BoundArray&) = delete;
  ~BoundArray() {
    if (has_buffer_) PyBuffer_Release(&buffer_);
  }
  const ArrayView& view() const { return view_; }

 private:
  void from_buffer(py::handle obj) {
    if (PyObject_GetBuffer(obj.ptr(), &buffer_, PyBUF_RECORDS_RO) != 0) throw py::error_already_set();
    has_buffer_ = true;
    std::string fmt = buffer_.format ? buffer_.format : "B";
    if (!fmt.empty() && (fmt[0] == '@' || fmt[0] == '=' || fmt[0] == '<')) fmt = fmt.substr(1);
    if (fmt == "f" && buffer_.itemsize == 4) view_.dtype = DType::Float32;
    else if (fmt == "d" && buffer_.itemsize == 8) view_.dtype = DType::Float64;
    else fail(ErrorKind::Type, "fastnn has no kernels for buffer format '", buffer_.format ? buffer_.format : "B",
              "' (supported: float32 'f', float64 'd')");
    view_.data = buffer_.buf;
    view_.readonly = buffer_.readonly != 0;
    for (int i = 0; i < buffer_.ndim; ++i) {
      view_.shape.push_back(buffer_.shape[i]);
      if (buffer_.strides[i] % buffer_.itemsize != 0)
        fail(ErrorKind::Value, "buffer strides are not a multiple of its element size");
      view_.strides.push_back(buffer_.strides[i] / buffer_.itemsize);
    }
  }

  void from_descriptor(const py::tuple& d) {
    if (d.size() != 7) fail(ErrorKind::Type, "array descriptor must have 7 fields, got ", d.size());
    view_.data = reinterpret_cast<void*>(d[0].cast<uintptr_t>());
    view_.dtype = dtype_from_name(d[1].cast<std::string>());
    view_.shape = d[2].cast<std::vector<int64_t>>();
    view_.strides = d[3].cast<std::vector<int64_t>>();
    const std::string dev = d[4].cast<std::string>();
    if (dev == "cpu") view_.device = DeviceType::CPU;
    else if (dev == "cuda") view_.device = DeviceType::CUDA;
    else fail(ErrorKind::Value, "unknown device type '", dev, "'");
    view_.device_index = d[5].cast<int>();
    view_.readonly = d[6].cast<bool>();
    if (view_.shape.size() != view_.strides.size())
      fail(ErrorKind::Value, "array descriptor: shape and strides differ in length");
    for (int64_t s : view_.shape)
      if (s < 0) fail(ErrorKind::Value, "array descriptor: negative dimension");
  }

  Py_buffer buffer_{};
  bool has_buffer_ = false;
  ArrayView view_;
};

// The array API's error convention: every message of an op starts "fastnn.ops.<op>: ", <op> the public
// name (fastnn/ops). The core, also used without Python, starts an op's messages with the bare name
// ("conv2d: ..."); the one place that adds the namespace is here, for every module. So in C++ a message
// starting with a bare lowercase name and ": " must name a fastnn.ops op; any other error is worded
// otherwise (qualified, "fastnn.set_num_threads: ...", or with no such prefix) and passes unchanged.
inline std::string qualified_message(const char* msg) {
  size_t n = 0;
  while ((msg[n] >= 'a' && msg[n] <= 'z') || (n > 0 && ((msg[n] >= '0' && msg[n] <= '9') || msg[n] == '_'))) ++n;
  if (n == 0 || std::strncmp(msg + n, ": ", 2) != 0) return msg;
  return std::string("fastnn.ops.") + msg;
}

// fastnn::Error -> TypeError / ValueError / RuntimeError / IndexError by its kind, its message qualified.
inline void register_error_translator() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      const std::string msg = qualified_message(e.what());
      switch (e.kind()) {
        case ErrorKind::Type: PyErr_SetString(PyExc_TypeError, msg.c_str()); break;
        case ErrorKind::Value: PyErr_SetString(PyExc_ValueError, msg.c_str()); break;
        case ErrorKind::Runtime: PyErr_SetString(PyExc_RuntimeError, msg.c_str()); break;
        case ErrorKind::Index: PyErr_SetString(PyExc_IndexError, msg.c_str()); break;
      }
    }
  });
}

// An optional array argument: None gives no array (and a null view).
inline std::unique_ptr<BoundArray> optional_array(py::handle h) {
  return h.is_none() ? nullptr : std::make_unique<BoundArray>(h);
}
inline const ArrayView* view_or_null(const std::unique_ptr<BoundArray>& a) { return a ? &a->view() : nullptr; }

// A sequence of arrays (a list or tuple), held for the call, and their views.
struct BoundArrays {
  std::vector<std::unique_ptr<BoundArray>> held;
  std::vector<ArrayView> views;
  explicit BoundArrays(py::handle seq) {
    for (py::handle h : seq) {
      held.push_back(std::make_unique<BoundArray>(h));
      views.push_back(held.back()->view());
    }
  }
};

// For the test that proves kernels run without the GIL: whether the last kernel call still held it.
inline std::atomic<bool> g_last_call_held_gil{true};

template <class F>
void without_gil(F&& f) {
  py::gil_scoped_release release;
  g_last_call_held_gil.store(PyGILState_Check() != 0);
  f();
}

}  // namespace bind
}  // namespace fastnn
