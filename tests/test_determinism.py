"""Bitwise reproducibility (issue 10's determinism promise, for a fixed thread count and ISA): every op family
run twice on the same inputs gives the same bits, training steps (optimizer included) too."""
import numpy as np
import pytest
import torch

import fastnn.functional as F
import fastnn.nn as nn
import fastnn.optim as optim
from fastnn import ops


def _inputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    return {"x": torch.randn(64, 32, 14, 14, generator=g), "w": torch.randn(64, 32, 3, 3, generator=g) * 0.1,
            "b": torch.randn(64, generator=g), "m": torch.randn(300, 257, generator=g),
            "lw": torch.randn(129, 257, generator=g), "t": torch.randint(0, 257, (300,), generator=g)}


CASES = {
    "conv2d fwd": lambda d: ops.conv2d(d["x"], d["w"], d["b"], padding=1),
    "conv2d bwd": lambda d: ops.conv2d_backward(torch.ones(64, 64, 14, 14), d["x"], d["w"], padding=1),
    "linear fwd": lambda d: ops.linear(d["m"], d["lw"], None),
    "linear bwd": lambda d: ops.linear_backward(torch.ones(300, 129), d["m"], d["lw"]),
    "max_pool": lambda d: ops.max_pool2d(d["x"], 2),
    "avg_pool bwd": lambda d: ops.avg_pool2d_backward(torch.ones(64, 32, 7, 7), d["x"], 2),
    "activations": lambda d: [ops.gelu(d["x"]), ops.tanh(d["x"]), ops.softplus(d["x"]), ops.silu(d["x"])],
    "softmax": lambda d: [ops.softmax(d["m"], 1), ops.log_softmax(d["x"], 1)],
    "cross_entropy": lambda d: ops.cross_entropy_with_grad(d["m"], d["t"], label_smoothing=0.1),
    "losses": lambda d: [ops.mse_loss(d["x"], d["x"] * 0.5), ops.huber_loss(d["m"], d["m"].flip(0)),
                         ops.binary_cross_entropy_with_logits(d["m"], torch.sigmoid(d["m"].flip(1)))],
    "dropout": lambda d: ops.dropout(d["x"], 0.3, seed=5),
}


def _flatten(r):
    if isinstance(r, torch.Tensor):
        return [r]
    if isinstance(r, np.ndarray):
        return [torch.from_numpy(r)]
    return [t for item in r if item is not None for t in _flatten(item)]


@pytest.mark.parametrize("name", CASES)
def test_every_op_family_is_bitwise_reproducible(name):
    first = _flatten(CASES[name](_inputs()))
    second = _flatten(CASES[name](_inputs()))
    assert len(first) == len(second)
    for a, b in zip(first, second):
        assert torch.equal(a, b) or (a.isnan().any() and torch.equal(a.nan_to_num(), b.nan_to_num())), name


def test_training_steps_are_bitwise_reproducible():
    def train():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 28 * 28, 10))
        opt = optim.Adam(model.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(1)
        for _ in range(3):
            x, t = torch.randn(16, 1, 28, 28, generator=g), torch.randint(0, 10, (16,), generator=g)
            opt.zero_grad()
            F.cross_entropy(model(x), t).backward()
            opt.step()
        return [p.detach().clone() for p in model.parameters()]

    for a, b in zip(train(), train()):
        assert torch.equal(a, b)
