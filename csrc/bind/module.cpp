// module.cpp — fastnn._C: the only file that includes pybind11.
// An array argument is either an object with the buffer protocol (numpy arrays: pointer, format, shape,
// strides and read-only flag come from PyObject_GetBuffer, no Python attribute lookups) or a view
// descriptor built by fastnn/ops/_interop.py for torch tensors:
//   (data_ptr: int, dtype: str, shape: tuple, strides: tuple in elements, device: str, device_index: int,
//    readonly: bool)
// Python has already validated them for the user-facing message; the core checks again, because it is
// also used without Python. Kernels run with the GIL released.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/array_view.h"
#include "core/cpu_features.h"
#include "core/error.h"
#include "core/memory.h"
#include "core/thread_pool.h"
#include "cpu/registry.h"
#include "ops/ceilings.h"
#include "ops/relu.h"

namespace py = pybind11;

namespace {

using fastnn::ErrorKind;
using fastnn::fail;

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
  const fastnn::ArrayView& view() const { return view_; }

 private:
  void from_buffer(py::handle obj) {
    if (PyObject_GetBuffer(obj.ptr(), &buffer_, PyBUF_RECORDS_RO) != 0) throw py::error_already_set();
    has_buffer_ = true;
    std::string fmt = buffer_.format ? buffer_.format : "B";
    if (!fmt.empty() && (fmt[0] == '@' || fmt[0] == '=' || fmt[0] == '<')) fmt = fmt.substr(1);
    if (fmt == "f" && buffer_.itemsize == 4) view_.dtype = fastnn::DType::Float32;
    else if (fmt == "d" && buffer_.itemsize == 8) view_.dtype = fastnn::DType::Float64;
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
    view_.dtype = fastnn::dtype_from_name(d[1].cast<std::string>());
    view_.shape = d[2].cast<std::vector<int64_t>>();
    view_.strides = d[3].cast<std::vector<int64_t>>();
    const std::string dev = d[4].cast<std::string>();
    if (dev == "cpu") view_.device = fastnn::DeviceType::CPU;
    else if (dev == "cuda") view_.device = fastnn::DeviceType::CUDA;
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
  fastnn::ArrayView view_;
};

// For the test that proves kernels run without the GIL: whether the last kernel call still held it.
std::atomic<bool> g_last_call_held_gil{true};

template <class F>
void without_gil(F&& f) {
  py::gil_scoped_release release;
  g_last_call_held_gil.store(PyGILState_Check() != 0);
  f();
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "fastnn native kernels (CPU). Use fastnn.ops / fastnn.functional / fastnn.nn, not this module.";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const fastnn::Error& e) {
      switch (e.kind()) {
        case fastnn::ErrorKind::Type: PyErr_SetString(PyExc_TypeError, e.what()); break;
        case fastnn::ErrorKind::Value: PyErr_SetString(PyExc_ValueError, e.what()); break;
        case fastnn::ErrorKind::Runtime: PyErr_SetString(PyExc_RuntimeError, e.what()); break;
      }
    }
  });

  m.def("relu", [](py::handle x, py::handle out, const std::string& kernel) {
    const BoundArray xa(x), oa(out);
    without_gil([&] { fastnn::relu(xa.view(), oa.view(), kernel); });
  }, py::arg("x"), py::arg("out"), py::arg("kernel") = "");

  m.def("relu_backward", [](py::handle dy, py::handle y, py::handle out, const std::string& kernel) {
    const BoundArray dya(dy), ya(y), oa(out);
    without_gil([&] { fastnn::relu_backward(dya.view(), ya.view(), oa.view(), kernel); });
  }, py::arg("grad_output"), py::arg("output"), py::arg("out"), py::arg("kernel") = "");

  m.def("cpu_info", [] {
    const auto& f = fastnn::cpu_features();
    py::dict features;
    for (const auto& [name, on] : f.flags) features[py::str(name)] = on;
    py::dict info;
    info["vendor"] = f.vendor;
    info["brand"] = f.brand;
    info["features"] = features;
    info["best_isa"] = fastnn::isa_name(f.best);
    info["isa"] = fastnn::isa_name(fastnn::active_isa());
    info["llc_bytes"] = f.llc_bytes;
    return info;
  });

  m.def("list_kernels", [] {
    py::list out;
    for (const auto& k : fastnn::kernel_catalog()) {
      py::dict d;
      d["family"] = k.family;
      d["name"] = k.name;
      d["isa"] = fastnn::isa_name(k.isa);
      d["usable"] = fastnn::may_use(k.isa);
      d["streaming"] = k.streaming;
      out.append(d);
    }
    return out;
  });
  m.def("selected_kernel", &fastnn::selected_kernel, py::arg("family"), py::arg("streaming") = false);

  m.def("advise_huge_pages", [](uintptr_t data, int64_t bytes) {
    fastnn::advise_huge_pages(reinterpret_cast<void*>(data), bytes);
  }, py::arg("data_ptr"), py::arg("nbytes"));

  auto ceiling_dict = [](const fastnn::Ceiling& c, const char* unit) {
    py::dict d;
    d["value"] = c.value;
    d["unit"] = unit;
    d["kernel"] = c.kernel;
    d["threads"] = c.threads;
    return d;
  };
  m.def("measure_fma_gflops", [ceiling_dict](double seconds, const std::string& kernel) {
    fastnn::Ceiling c;
    without_gil([&] { c = fastnn::measure_fma_gflops(seconds, kernel); });
    return ceiling_dict(c, "GFLOP/s");
  }, py::arg("seconds"), py::arg("kernel") = "");
  m.def("measure_copy_gbps", [ceiling_dict](int64_t nbytes, int reps) {
    fastnn::Ceiling c;
    without_gil([&] { c = fastnn::measure_copy_gbps(nbytes, reps); });
    return ceiling_dict(c, "GB/s");
  }, py::arg("nbytes"), py::arg("reps"));
  m.def("run_fma_peak_kernel", [](const std::string& kernel, int64_t iters) {
    double flops = 0;
    const float checksum = fastnn::run_fma_peak_kernel(kernel, iters, &flops);
    return py::make_tuple(checksum, flops);
  }, py::arg("kernel"), py::arg("iters"));

  m.def("get_num_threads", &fastnn::get_num_threads);
  m.def("set_num_threads", &fastnn::set_num_threads, py::arg("n"));
  m.def("default_num_threads", &fastnn::default_num_threads);
  m.def("thread_backend", &fastnn::thread_backend);
  m.def("_last_call_held_gil", [] { return g_last_call_held_gil.load(); });
}
