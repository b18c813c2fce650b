"""fastnn layers in PyTorch's ecosystem: DistributedDataParallel (gloo, two processes), torch.compile of the
MNIST CNN, torch.save / torch.load / deepcopy / pickle of models and optimizers, .to(float64), autocast
regions, and no_grad / inference_mode (nothing saved for backward)."""
import copy
import os
import pickle
import socket
import sys

import pytest
import torch

import fastnn.nn as nn
import fastnn.optim as optim


def mnist_cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def _batch(n=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)


# inductor's own imports use deprecated torch.jit APIs; that is torch's warning, not ours
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torch_compile_of_the_mnist_cnn_matches_eager():
    torch.manual_seed(0)
    eager = mnist_cnn()
    compiled_model = copy.deepcopy(eager)
    torch._dynamo.reset()
    compiled = torch.compile(compiled_model, fullgraph=True)
    x, t = _batch()
    le = nn.functional.cross_entropy(eager(x), t)
    lc = nn.functional.cross_entropy(compiled(x), t)
    torch.testing.assert_close(lc, le, rtol=1e-5, atol=1e-6)
    le.backward()
    lc.backward()
    for a, b in zip(eager.parameters(), compiled_model.parameters()):
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-4, atol=1e-6)


def test_save_load_deepcopy_pickle_of_model_and_optimizer(tmp_path):
    torch.manual_seed(0)
    model = mnist_cnn()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x, t = _batch()
    nn.functional.cross_entropy(model(x), t).backward()
    opt.step()
    torch.save({"model": model, "opt": opt.state_dict()}, tmp_path / "ckpt.pt")
    loaded = torch.load(tmp_path / "ckpt.pt", weights_only=False)
    for other in (loaded["model"], copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert type(other[0]) is nn.Conv2d
        torch.testing.assert_close(other(x), model(x))
    opt2 = optim.Adam(loaded["model"].parameters(), lr=1e-3)
    opt2.load_state_dict(loaded["opt"])
    assert opt2.state_dict()["state"][0]["step"] == opt.state_dict()["state"][0]["step"]
    torch.testing.assert_close(copy.deepcopy(opt).state_dict()["state"][0]["exp_avg"], opt.state[model[0].weight]["exp_avg"])


def test_to_float64_runs_fastnn_float64_kernels():
    torch.manual_seed(0)
    model = mnist_cnn()
    ref = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(64 * 7 * 7, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 10))
    ref.load_state_dict(model.state_dict())
    model, ref = model.to(dtype=torch.float64), ref.to(dtype=torch.float64)
    x, t = _batch(4)
    loss = nn.functional.cross_entropy(model(x.double()), t)
    want = torch.nn.functional.cross_entropy(ref(x.double()), t)
    assert loss.dtype == torch.float64
    torch.testing.assert_close(loss, want, rtol=1e-12, atol=1e-12)
    loss.backward()
    want.backward()
    for a, b in zip(model.parameters(), ref.parameters()):
        assert a.grad.dtype == torch.float64
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-10, atol=1e-12)


def test_autocast_region_runs_fastnn_layers():
    torch.manual_seed(0)
    model = mnist_cnn()
    x, t = _batch(4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
        loss = nn.functional.cross_entropy(out, t)
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is not None for p in model.parameters())


def test_no_grad_and_inference_mode_save_nothing_for_backward():
    torch.manual_seed(0)
    model = mnist_cnn()
    x, _ = _batch(4)
    want = model(x).detach()
    for ctx in (torch.no_grad, torch.inference_mode):
        saved = []
        with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
            with ctx():
                y = model(x)
        assert not saved and not y.requires_grad and y.grad_fn is None
        torch.testing.assert_close(y, want)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_DDP_WORKER = """
import os, sys, torch, torch.distributed as dist
import fastnn.nn as nn
rank, world, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
dist.init_process_group("gloo", rank=rank, world_size=world)
torch.set_num_threads(1)
torch.manual_seed(0)
model = torch.nn.parallel.DistributedDataParallel(nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
    nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10)))
g = torch.Generator().manual_seed(0)
x, t = torch.randn(16, 1, 28, 28, generator=g), torch.randint(0, 10, (16,), generator=g)
half = slice(rank * 8, rank * 8 + 8)
nn.functional.cross_entropy(model(x[half]), t[half]).backward()
if rank == 0:
    torch.save([p.grad for p in model.module.parameters()], os.path.join(out, "ddp_grads.pt"))
dist.destroy_process_group()
"""


@pytest.mark.skipif(sys.platform != "linux", reason="two local processes with gloo")
def test_ddp_gradients_equal_a_single_process_on_the_combined_batch(tmp_path):
    """Two processes (as torchrun starts them: a script each, rank and world size given), gloo backend."""
    import subprocess

    script = tmp_path / "ddp_worker.py"
    script.write_text(_DDP_WORKER)
    env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()))
    procs = [subprocess.Popen([sys.executable, str(script), str(rank), "2", str(tmp_path)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for rank in range(2)]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), "\n".join(outs)
    ddp = torch.load(tmp_path / "ddp_grads.pt")
    torch.manual_seed(0)
    single = mnist_cnn()
    x, t = _batch(16)
    nn.functional.cross_entropy(single(x), t).backward()
    for a, b in zip(single.parameters(), ddp):
        torch.testing.assert_close(b, a.grad, rtol=1e-4, atol=1e-6)
