"""The SIMT emulator refuses, at compile time, CUDA features it does not implement (so a kernel cannot
silently misbehave under it), and accepts the ones it does. Compiles snippets with the host compiler
against csrc/cuda/simt (this test runs from a source checkout, as CI does)."""
import pathlib
import shutil
import subprocess

import pytest

CSRC = pathlib.Path(__file__).resolve().parents[1] / "csrc"
CXX = shutil.which("c++") or shutil.which("g++")

KERNEL = """
#include "cuda/launch.h"
__global__ void k(float* x) {{
  float v = x[threadIdx.x];
  {body}
  x[threadIdx.x] = v;
}}
void run(float* x) {{ FASTNN_LAUNCH(k, 1, 32, 0, cudaStream_t{{}}, x); }}
"""


def compile_snippet(tmp_path, body: str) -> subprocess.CompletedProcess:
    src = tmp_path / "snippet.cpp"
    src.write_text(KERNEL.format(body=body))
    return subprocess.run([CXX, "-std=c++17", "-fsyntax-only", "-DFASTNN_SIMT", f"-I{CSRC}", str(src)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(autouse=True)
def need_sources_and_compiler():
    assert CXX, "a C++ compiler is needed to build fastnn and to run this test"
    assert (CSRC / "cuda" / "simt" / "simt.h").is_file(), f"no source checkout at {CSRC}"


@pytest.mark.parametrize("body", [
    "v += __shfl_xor_sync(0xffffffffu, v, 1); __syncthreads(); __syncwarp();",
    "v = __expf(v) + rsqrtf(v) + fmaxf(v, 0.f); atomicAdd(x, v);",
    "float4 q = make_float4(v, v, v, v); v = __ldg(&q.x) + q.w;",
])
def test_supported_features_compile(tmp_path, body):
    r = compile_snippet(tmp_path, body)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("body,name", [
    ("v = __ballot_sync(0xffffffffu, v > 0.f);", "__ballot_sync"),
    ("v = __activemask();", "__activemask"),
    ("v += __shfl(v, 0);", "__shfl"),  # the pre-CUDA-9 form without a mask
    ("__threadfence();", "__threadfence"),
    ("v = __half2float(__float2half(v));", "__float2half"),
    ("auto b = cooperative_groups::this_thread_block();", "cooperative_groups"),
])
def test_unsupported_features_fail_to_compile(tmp_path, body, name):
    r = compile_snippet(tmp_path, body)
    assert r.returncode != 0, f"{name} compiled under the emulator, which does not implement it"
    assert name in r.stderr
