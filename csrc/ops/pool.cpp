// pool.cpp — max and average pooling: the checks (shared with the CUDA side, ops/pool_cuda.cpp), then the
// plane kernels of cpu/pool.h on every (n, c) plane, planes shared out among the threads. Memory-bound at
// the seed sizes (a 2x2 window reads 16 B per 4 B written).
// bench: fastnn-bench --filter pool
#include "ops/pool.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/pool.h"

namespace fastnn {
namespace {

Pool2dShape planes_of(const ArrayView& x, const Pool2dParams& p, const char* op) {
  const size_t nd = x.shape.size();
  if (nd != 3 && nd != 4) fail(ErrorKind::Runtime, op, ": expected a 3-d or 4-d input, got ", x.describe());
  Pool2dShape s;
  s.H = x.shape[nd - 2];
  s.W = x.shape[nd - 1];
  s.planes = x.shape[0] * (nd == 4 ? x.shape[1] : 1);
  s.OH = pool_output_size(s.H, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h, p.ceil_mode, op);
  s.OW = pool_output_size(s.W, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w, p.ceil_mode, op);
  return s;
}

std::vector<int64_t> out_shape(const ArrayView& x, const Pool2dShape& s) {
  std::vector<int64_t> shape(x.shape.begin(), x.shape.end() - 2);
  shape.push_back(s.OH);
  shape.push_back(s.OW);
  return shape;
}

void check_like(const ArrayView& v, const ArrayView& x, const std::vector<int64_t>& shape, const char* op,
                const char* arg, DeviceType device = DeviceType::CPU) {
  check_contiguous_on(v, device, op, arg);
  if (v.dtype != x.dtype) fail(ErrorKind::Type, op, ": '", arg, "' has dtype ", dtype_name(v.dtype), ", expected ", dtype_name(x.dtype));
  if (v.shape != shape) fail(ErrorKind::Runtime, op, ": '", arg, "' has the wrong shape: ", v.describe());
}

// fn(plane) for every (n, c) plane, planes shared out among the threads.
template <class F>
void for_each_plane(const Pool2dShape& s, F&& fn) {
  parallel_for(s.planes, 1, [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) fn(pl);
  });
}

void check_params(const Pool2dParams& p, const char* op) {
  if (p.kernel_h < 1 || p.kernel_w < 1) fail(ErrorKind::Runtime, op, ": kernel size should be greater than zero");
  if (p.stride_h < 1 || p.stride_w < 1) fail(ErrorKind::Runtime, op, ": stride should be greater than zero");
  if (p.dilation_h < 1 || p.dilation_w < 1) fail(ErrorKind::Runtime, op, ": dilation should be greater than zero");
  if (p.pad_h < 0 || p.pad_w < 0) fail(ErrorKind::Runtime, op, ": pad must be non-negative");
  if (p.pad_h * 2 > (p.kernel_h - 1) * p.dilation_h + 1 || p.pad_w * 2 > (p.kernel_w - 1) * p.dilation_w + 1)
    fail(ErrorKind::Runtime, op, ": pad should be at most half of effective kernel size, but got pad=(", p.pad_h, ", ",
         p.pad_w, ") and kernel_size=(", p.kernel_h, ", ", p.kernel_w, ")");
}

}  // namespace

int64_t pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation, bool ceil_mode,
                         const char* op) {
  // Checked here too: this is also called on its own (from Python, to size outputs), and a zero stride
  // would otherwise be a division by zero (SIGFPE), not an exception.
  if (kernel < 1) fail(ErrorKind::Runtime, op, ": kernel size should be greater than zero");
  if (stride < 1) fail(ErrorKind::Runtime, op, ": stride should be greater than zero");
  if (dilation < 1) fail(ErrorKind::Runtime, op, ": dilation should be greater than zero");
  if (pad < 0) fail(ErrorKind::Runtime, op, ": pad must be non-negative");
  const int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1;  // floor division
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;  // the last window must start inside the image or left pad
  if (out < 1)
    fail(ErrorKind::Runtime, op, ": output size is too small (input ", in, ", kernel ", kernel, ", stride ", stride,
         ", padding ", pad, ", dilation ", dilation, ")");
  return out;
}

Pool2dShape check_pool2d_forward(const ArrayView& x, const ArrayView& y, const Pool2dParams& p, DeviceType device,
                                 const char* op) {
  check_params(p, op);
  check_contiguous_on(x, device, op, "input");
  const Pool2dShape s = planes_of(x, p, op);
  check_like(y, x, out_shape(x, s), op, "out", device);
  check_same_device(x, "input", y, "out", op);
  check_writable(y, op, "out");
  check_disjoint(y, "out", x, "input", op);
  return s;
}

Pool2dShape check_pool2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& gx, const Pool2dParams& p,
                                  DeviceType device, const char* op) {
  check_params(p, op);
  check_contiguous_on(x, device, op, "input");
  const Pool2dShape s = planes_of(x, p, op);
  check_like(gy, x, out_shape(x, s), op, "grad_output", device);
  check_like(gx, x, x.shape, op, "grad_input", device);
  check_same_device(x, "input", gy, "grad_output", op);
  check_same_device(x, "input", gx, "grad_input", op);
  check_writable(gx, op, "grad_input");
  check_disjoint(gx, "grad_input", gy, "grad_output", op);
  if (gx.data != x.data) check_disjoint(gx, "grad_input", x, "input", op);
  return s;
}

void max_pool2d(const ArrayView& x, const ArrayView& y, int64_t* indices, const Pool2dParams& p) {
  const Pool2dShape s = check_pool2d_forward(x, y, p, DeviceType::CPU, "max_pool2d");
  const int64_t in = s.H * s.W, out = s.OH * s.OW;
  for_each_plane(s, [&](int64_t pl) {
    int64_t* ind = indices ? indices + pl * out : nullptr;
    if (x.dtype == DType::Float32) max_pool2d_plane(s, p, x.as<const float>() + pl * in, y.as<float>() + pl * out, ind);
    else max_pool2d_plane(s, p, x.as<const double>() + pl * in, y.as<double>() + pl * out, ind);
  });
}

void max_pool2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& gx, const Pool2dParams& p,
                         const std::string& kernel) {
  const char* op = "max_pool2d_backward";
  const Pool2dShape s = check_pool2d_backward(gy, x, gx, p, DeviceType::CPU, op);
  if (gx.data == x.data) fail(ErrorKind::Value, op, ": 'grad_input' overlaps 'input' in memory");
  // the 2x2 row kernels are float32; float64 (gradcheck) takes the general loop
  const bool rows = x.dtype == DType::Float32 && pool2d_is_plain_2x2(s, p);
  MaxPool2x2BackwardFn row = nullptr;
  if (rows) row = pick_kernel(max_pool2x2_backward_f32_kernels(), "max_pool2x2_backward_f32", kernel, op).fn;
  else if (!kernel.empty()) fail(ErrorKind::Value, op, ": kernel ", kernel, " runs only float32 2x2 stride-2 pooling");
  const int64_t in = s.H * s.W, out = s.OH * s.OW;
  for_each_plane(s, [&](int64_t pl) {
    if (rows)
      max_pool2d_backward_plane_2x2(s, x.as<const float>() + pl * in, gy.as<const float>() + pl * out,
                                    gx.as<float>() + pl * in, row);
    else if (x.dtype == DType::Float32)
      max_pool2d_backward_plane(s, p, x.as<const float>() + pl * in, gy.as<const float>() + pl * out,
                                gx.as<float>() + pl * in);
    else
      max_pool2d_backward_plane(s, p, x.as<const double>() + pl * in, gy.as<const double>() + pl * out,
                                gx.as<double>() + pl * in);
  });
}

void avg_pool2d(const ArrayView& x, const ArrayView& y, const Pool2dParams& p) {
  const Pool2dShape s = check_pool2d_forward(x, y, p, DeviceType::CPU, "avg_pool2d");
  const int64_t in = s.H * s.W, out = s.OH * s.OW;
  for_each_plane(s, [&](int64_t pl) {
    if (x.dtype == DType::Float32) avg_pool2d_plane(s, p, x.as<const float>() + pl * in, y.as<float>() + pl * out);
    else avg_pool2d_plane(s, p, x.as<const double>() + pl * in, y.as<double>() + pl * out);
  });
}

// The input gradient gx stands for the input (its shape): avg pooling's backward does not read x.
void avg_pool2d_backward(const ArrayView& gy, const ArrayView& gx, const Pool2dParams& p) {
  const Pool2dShape s = check_pool2d_backward(gy, gx, gx, p, DeviceType::CPU, "avg_pool2d_backward");
  const int64_t in = s.H * s.W, out = s.OH * s.OW;
  for_each_plane(s, [&](int64_t pl) {
    if (gx.dtype == DType::Float32)
      avg_pool2d_backward_plane(s, p, gy.as<const float>() + pl * out, gx.as<float>() + pl * in);
    else
      avg_pool2d_backward_plane(s, p, gy.as<const double>() + pl * out, gx.as<double>() + pl * in);
  });
}

}  // namespace fastnn
