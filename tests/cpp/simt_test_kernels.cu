// nvcc compiles the emulator's test kernels too (CI: compile only, no GPU needed), so the emulated
// source is real CUDA.
#include "simt_test_kernels.cuh"

void instantiate_for_nvcc(const float* x, float* out, const int* xi, int* oi, const float4* x4, float* t, float* m,
                          float2* o2) {
  launch_warp_rotate(x, o2);
  launch_block_sum(x, 1000, out, 256, false);
  launch_block_sum(x, 1000, out, 256, true);
  launch_tree_sum(x, 1000, out, 128);
  launch_warp_scan(xi, oi, 64);
  launch_total_and_max(x4, 100, t, m);
  launch_divergent_barrier(oi);
}
