"""fastnn.nn / fastnn.optim / fastnn.functional are torch's namespaces with fastnn's replacements,
and fastnn works without torch installed."""
import importlib

import pytest
import torch

import fastnn
from helpers import run_python

NAMESPACES = [("fastnn.nn", torch.nn), ("fastnn.optim", torch.optim), ("fastnn.functional", torch.nn.functional)]
REPLACED = {"fastnn.nn": {"ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "GELU", "SiLU", "Hardtanh", "Softplus",
                          "Softmax", "LogSoftmax", "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "CrossEntropyLoss", "NLLLoss",
                          "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "Dropout", "functional",
                          "BatchNorm1d", "BatchNorm2d", "LayerNorm", "LSTM", "LSTMCell",
                          "GRU", "GRUCell", "RNN", "RNNCell"},
            "fastnn.optim": {"Adam", "AdamW", "SGD", "RMSprop", "Adagrad"},
            "fastnn.functional": {"relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "sigmoid", "tanh", "gelu",
                                  "silu", "hardtanh", "hardtanh_", "softplus", "linear", "conv2d", "max_pool2d",
                                  "avg_pool2d", "softmax", "log_softmax", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
                                  "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "dropout", "batch_norm", "layer_norm"}}


@pytest.mark.parametrize("name,theirs", NAMESPACES)
def test_every_public_torch_name_is_exported(name, theirs):
    ours = importlib.import_module(name)
    public = [n for n in dir(theirs) if not n.startswith("_")]
    assert len(public) > 15
    for n in public:
        obj = getattr(ours, n)
        if n in REPLACED[name]:
            assert obj is not getattr(theirs, n), n
        else:
            assert obj is getattr(theirs, n), n
    assert set(public) <= set(dir(ours)) and set(public) <= set(ours.__all__)


def test_star_import_gives_the_whole_namespace():
    ns = {}
    exec("from fastnn.nn import *", ns)
    assert ns["ReLU"] is fastnn.nn.ReLU and ns["Linear"] is fastnn.nn.Linear and ns["Module"] is torch.nn.Module


def test_submodules_import_under_fastnn_names():
    import fastnn.nn.functional as F
    import fastnn.nn.init as init
    from fastnn.optim.lr_scheduler import StepLR

    assert F is fastnn.functional and F.relu is fastnn.functional.relu
    assert F.conv2d is fastnn.functional.conv2d and F.dropout is fastnn.functional.dropout
    assert F.pad is torch.nn.functional.pad  # a name fastnn does not replace is torch's own
    assert init is torch.nn.init and StepLR is torch.optim.lr_scheduler.StepLR
    assert fastnn.nn.utils.clip_grad_norm_ is torch.nn.utils.clip_grad_norm_


def test_submodule_not_yet_imported_by_torch_is_torchs_module_not_a_copy():
    r = run_python("""
        import sys, fastnn.nn
        assert "torch.nn.utils.prune" not in sys.modules
        import fastnn.nn.utils.prune as p
        from fastnn.nn.utils.parametrize import register_parametrization
        import fastnn.nn._activation as own   # fastnn's own submodules still come first
        print(p is sys.modules["torch.nn.utils.prune"], p.__name__,
              register_parametrization is sys.modules["torch.nn.utils.parametrize"].register_parametrization,
              own.ReLU is fastnn.nn.ReLU)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "torch.nn.utils.prune", "True", "True"]
    r = run_python("import fastnn.nn.no_such_module")
    assert "ModuleNotFoundError: No module named 'fastnn.nn.no_such_module'" in r.stderr


def test_missing_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'fastnn.nn' has no attribute 'NoSuchLayer'"):
        fastnn.nn.NoSuchLayer  # noqa: B018


def xor_script(nn, optim):
    """A user's training script, parameterised by the namespaces it imported."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=50, gamma=0.5)
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    t = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    losses = []
    for _ in range(200):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), t)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses, model.state_dict()


def test_training_script_runs_unchanged_and_equals_torch():
    import fastnn.nn
    import fastnn.optim

    ours, ours_state = xor_script(fastnn.nn, fastnn.optim)
    theirs, theirs_state = xor_script(torch.nn, torch.optim)
    # Linear's GEMM sums in another order than torch's: equal up to rounding, step after step
    assert ours[-1] < ours[0]
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours_state, theirs_state, rtol=1e-5, atol=1e-6)


def test_import_fastnn_does_not_import_torch():
    r = run_python("import sys, fastnn, fastnn.ops; print('torch' in sys.modules)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


BLOCK_TORCH = """
import sys
class _NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch' (blocked by the test)")
sys.meta_path.insert(0, _NoTorch())
"""


def test_works_without_torch():
    r = run_python(BLOCK_TORCH + """
import numpy as np, fastnn
x = np.array([-1.0, 2.0], np.float32)
assert fastnn.ops.relu(x).tolist() == [0.0, 2.0]
assert fastnn.ops.relu_backward(np.ones(2, np.float32), fastnn.ops.relu(x)).tolist() == [0.0, 1.0]
print(fastnn.cpu_info()["isa"], fastnn.cuda.is_available())
for mod in ("fastnn.nn", "fastnn.optim", "fastnn.functional"):
    try:
        __import__(mod)
    except ImportError as e:
        print(mod, "->", e)
""")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].endswith(" False")
    assert len(lines) == 4
    for line, mod in zip(lines[1:], ("fastnn.nn", "fastnn.optim", "fastnn.functional")):
        assert line.startswith(f"{mod} -> {mod} is a drop-in replacement for a torch namespace and needs PyTorch")
        assert "pip install 'fastnn[torch]'" in line


def test_dropin_namespaces_are_attributes_of_fastnn_imported_on_first_use():
    r = run_python("""
import sys, fastnn
assert "torch" not in sys.modules and "fastnn.nn" not in sys.modules
assert {"nn", "optim", "functional"} <= set(dir(fastnn))
assert "torch" not in sys.modules  # dir() imports nothing
conv = fastnn.nn.Conv2d
assert conv is fastnn.nn.Conv2d and conv.__module__ == "fastnn.nn._conv"
import fastnn.nn, torch
assert fastnn.nn is sys.modules["fastnn.nn"] and issubclass(conv, torch.nn.Conv2d)
assert fastnn.optim.Adam.__module__.startswith("fastnn.optim") and fastnn.functional is sys.modules["fastnn.functional"]
try:
    fastnn.no_such_thing
except AttributeError as e:
    print(e)
""")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "module 'fastnn' has no attribute 'no_such_thing'"


def test_dropin_attribute_without_torch_says_to_install_it():
    r = run_python(BLOCK_TORCH + """
import fastnn
for name in ("nn", "optim", "functional"):
    try:
        getattr(fastnn, name)
    except ImportError as e:
        print(e)
""")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 3
    for line, name in zip(lines, ("nn", "optim", "functional")):
        assert line.startswith(f"fastnn.{name} is a drop-in replacement for a torch namespace and needs PyTorch")
        assert "pip install 'fastnn[torch]'" in line


def test_version_is_single_sourced():
    from importlib.metadata import version

    assert fastnn.__version__ == version("fastnn")
