// module.cpp — fastnn._C: the only file that includes pybind11.
// Arrays arrive as view descriptors built by fastnn/ops/_interop.py:
//   (data_ptr: int, dtype: str, shape: tuple, strides: tuple in elements, device: str, device_index: int,
//    readonly: bool)
// Python has already validated them for the user-facing message; the core checks again, because it is
// also used without Python. Kernels run with the GIL released.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "core/array_view.h"
#include "core/cpu_features.h"
#include "core/error.h"
#include "core/memory.h"
#include "core/thread_pool.h"
#include "cpu/registry.h"
#include "ops/relu.h"

namespace py = pybind11;

namespace {

fastnn::ArrayView to_view(const py::tuple& d) {
  if (d.size() != 7) throw fastnn::Error(fastnn::ErrorKind::Type, "array descriptor must have 7 fields");
  fastnn::ArrayView v;
  v.data = reinterpret_cast<void*>(d[0].cast<uintptr_t>());
  v.dtype = fastnn::dtype_from_name(d[1].cast<std::string>());
  v.shape = d[2].cast<std::vector<int64_t>>();
  v.strides = d[3].cast<std::vector<int64_t>>();
  const std::string dev = d[4].cast<std::string>();
  if (dev == "cpu") v.device = fastnn::DeviceType::CPU;
  else if (dev == "cuda") v.device = fastnn::DeviceType::CUDA;
  else throw fastnn::Error(fastnn::ErrorKind::Value, "unknown device type '" + dev + "'");
  v.device_index = d[5].cast<int>();
  v.readonly = d[6].cast<bool>();
  if (v.shape.size() != v.strides.size())
    throw fastnn::Error(fastnn::ErrorKind::Value, "array descriptor: shape and strides differ in length");
  for (int64_t s : v.shape)
    if (s < 0) throw fastnn::Error(fastnn::ErrorKind::Value, "array descriptor: negative dimension");
  return v;
}

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

  m.def("relu", [](const py::tuple& x, const py::tuple& out, const std::string& kernel) {
    const auto xv = to_view(x), ov = to_view(out);
    without_gil([&] { fastnn::relu(xv, ov, kernel); });
  }, py::arg("x"), py::arg("out"), py::arg("kernel") = "");

  m.def("relu_backward", [](const py::tuple& dy, const py::tuple& y, const py::tuple& out, const std::string& kernel) {
    const auto dyv = to_view(dy), yv = to_view(y), ov = to_view(out);
    without_gil([&] { fastnn::relu_backward(dyv, yv, ov, kernel); });
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

  m.def("get_num_threads", &fastnn::get_num_threads);
  m.def("set_num_threads", &fastnn::set_num_threads, py::arg("n"));
  m.def("default_num_threads", &fastnn::default_num_threads);
  m.def("_last_call_held_gil", [] { return g_last_call_held_gil.load(); });
}
