"""Shared test helpers (tests/ is on sys.path through pytest's pythonpath setting)."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import fastnn


def run_python(code: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter (for import-time behaviour, env-forced ISA levels, fork)."""
    full_env = dict(os.environ)
    full_env.pop("FASTNN_ISA", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=os.path.dirname(__file__),  # never the repo root: the source tree has no _C
    )


# Sizes that hit every path of an elementwise kernel: empty, scalar tail only, exact vectors of 8/16
# lanes, one past, unrolled blocks of 32/64 with remainders, primes, and one beyond the thread grain.
EDGE_SIZES = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129, 1000, 4099, 40009]

USABLE = {k["name"] for k in fastnn.list_kernels() if k["usable"]}


def skip_unless_usable(kernel_name: str):
    if kernel_name not in USABLE:
        pytest.skip(f"{kernel_name} needs an ISA level this CPU (or FASTNN_ISA) does not allow: "
                    f"{fastnn.cpu_info()['isa']} is the active level")


def special_values(dtype) -> np.ndarray:
    f = np.finfo(dtype)
    return np.array([0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf, f.tiny, -f.tiny, f.tiny / 4, -f.tiny / 4,
                     f.max, -f.max, 1.0, -1.0, f.eps, -f.eps], dtype=dtype)


def mixed_values(n: int, dtype, seed: int = 0) -> np.ndarray:
    """Random normals with special values sprinkled in at random positions."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(dtype)
    if n:
        sp = special_values(dtype)
        idx = rng.integers(0, n, size=min(n, 3 * len(sp)))
        x[idx] = np.resize(sp, len(idx))
    return x



class FakeCudaTensor(torch.Tensor):
    """A CPU tensor that reports device cuda:0 and is_cpu False: a CUDA tensor's stand-in where no GPU is."""

    @property
    def device(self):
        return torch.device("cuda", 0)

    @property
    def is_cpu(self):
        return False


def on_fake_gpu(t: torch.Tensor) -> torch.Tensor:
    return torch.Tensor._make_subclass(FakeCudaTensor, t)


def train_side_by_side(ours, theirs, batch, steps: int, lr: float, rtol: float, atol: float):
    """`steps` SGD-momentum steps of two models (same initial state) on the same batches, batch(gen) ->
    (input, class targets), cross-entropy; then their state_dicts must agree to rtol/atol, key by key."""
    opts = [torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9) for m in (ours, theirs)]
    gen = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x, t = batch(gen)
        for model, opt in zip((ours, theirs), opts):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), t).backward()
            opt.step()
    for (na, pa), (nb, pb) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert na == nb
        torch.testing.assert_close(pa, pb, rtol=rtol, atol=atol, msg=na)


def compiled_graph_code(model, x) -> str:
    """torch.compile(fullgraph=True) of a copy of `model`, run on x and checked against eager; the code of
    its one captured graph (for asserting which fastnn ops it calls)."""
    import copy

    graphs = []

    def capture(gm, example_inputs):
        graphs.append(gm)
        return gm.forward

    torch._dynamo.reset()
    compiled = torch.compile(copy.deepcopy(model), backend=capture, fullgraph=True)
    torch.testing.assert_close(compiled(x), model(x))
    assert len(graphs) == 1, f"{len(graphs)} graphs: graph breaks"
    return graphs[0].code
