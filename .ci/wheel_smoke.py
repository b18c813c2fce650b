"""Smoke test of an installed fastnn wheel, run by .ci/run in fresh virtual environments (no compiler, no CUDA
toolkit on PATH). With torch: every ISA level forced through FASTNN_ISA (a subprocess each), Linear forward
and backward against torch, CUDA unavailable with a reason. Without torch (--no-torch): import and a numpy op."""
import os
import subprocess
import sys

import numpy as np

import fastnn
import fastnn.cuda

ISA_CHECK = """
import numpy as np, torch, fastnn, fastnn.nn as nn, fastnn.functional, fastnn.optim
assert fastnn.cpu_info()["isa"] == "{isa}", fastnn.cpu_info()["isa"]
torch.manual_seed(0)
ours, theirs = nn.Linear(50, 20), torch.nn.Linear(50, 20)
theirs.load_state_dict(ours.state_dict())
x = torch.randn(33, 50, requires_grad=True)
xr = x.detach().clone().requires_grad_()
ours(x).square().sum().backward()
theirs(xr).square().sum().backward()
torch.testing.assert_close(x.grad, xr.grad, rtol=1e-5, atol=1e-5)
torch.testing.assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-5, atol=1e-5)
# a 4 MiB output: handed to torch through DLPack from fastnn's buffer cache
big = torch.randn(1 << 20)
torch.testing.assert_close(fastnn.functional.relu(big), torch.relu(big))
conv, tconv = nn.Conv2d(1, 8, 3, padding=1), torch.nn.Conv2d(1, 8, 3, padding=1)
tconv.load_state_dict(conv.state_dict())
img = torch.randn(4, 1, 12, 12)
torch.testing.assert_close(conv(img), tconv(img), rtol=1e-5, atol=1e-5)
opt, topt = fastnn.optim.Adam(ours.parameters(), lr=0.1), torch.optim.Adam(theirs.parameters(), lr=0.1)
theirs.weight.grad.copy_(ours.weight.grad); theirs.bias.grad.copy_(ours.bias.grad)
opt.step(); topt.step()
torch.testing.assert_close(ours.weight, theirs.weight, rtol=1e-6, atol=1e-6)
print("{isa}: Linear forward/backward, relu (4 MiB), Conv2d, Adam match torch", torch.__version__)
"""


def main():
    info = fastnn.cpu_info()
    print("fastnn", fastnn.__version__, "from", os.path.dirname(fastnn.__file__), "| best ISA here:", info["isa"], flush=True)
    x = np.linspace(-1, 1, 11, dtype=np.float32)
    assert (fastnn.ops.relu(x) == np.maximum(x, 0)).all()
    if "--no-torch" in sys.argv:
        assert "torch" not in sys.modules, "fastnn imported torch"
        print("without torch: import and fastnn.ops on numpy work")
        return
    levels = {"avx512": ["avx512", "avx2", "generic"], "avx2": ["avx2", "generic"]}.get(info["isa"], ["generic"])
    for isa in levels:
        env = dict(os.environ, FASTNN_ISA=isa)
        subprocess.run([sys.executable, "-c", ISA_CHECK.format(isa=isa)], env=env, check=True)
    assert not fastnn.cuda.is_available()
    reason = fastnn.cuda.unavailable_reason()
    assert reason, "no reason given"
    print("CUDA not available:", reason)


if __name__ == "__main__":
    main()
