"""Dropout: mask statistics, reproducibility under torch.manual_seed, the backward reuses the forward's
mask, edge probabilities, eval mode, in place, numpy, bad arguments, and nn.Dropout as a drop-in."""
import numpy as np
import pytest
import torch

import fastnn.functional as F
import fastnn.nn as nn
from fastnn import ops


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_mask_statistics_and_scaling(p, dtype):
    torch.manual_seed(1)
    n = 1_000_003  # not a multiple of 8: a partial last mask byte
    x = torch.rand(n, dtype=dtype) + 0.5
    y, mask = ops.dropout(x, p)
    keep = y != 0
    sd = (p * (1 - p) / n) ** 0.5
    assert abs(keep.double().mean().item() - (1 - p)) < 6 * sd  # binomial bounds
    torch.testing.assert_close(y[keep], x[keep] / (1 - p))
    assert mask.dtype == torch.uint8 and mask.numel() == (n + 7) // 8
    bits = ((mask.repeat_interleave(8) >> torch.arange(8).repeat(mask.numel())) & 1)[:n].bool()
    assert torch.equal(bits, keep)
    # runs of 8 and of 2 elements are not correlated (each draw feeds two elements)
    k = keep.double()[: n - 1]
    assert abs(((k[:-1] * k[1:]).mean() - (1 - p) ** 2).item()) < 10 * sd


def test_reproducible_under_torch_manual_seed_and_generator():
    x = torch.randn(5000)
    torch.manual_seed(7)
    a = F.dropout(x, 0.4)
    torch.manual_seed(7)
    b = F.dropout(x, 0.4)
    assert torch.equal(a, b)
    assert not torch.equal(a, F.dropout(x, 0.4))  # the stream moved on
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(ops.dropout(x, 0.4, generator=g1)[0], ops.dropout(x, 0.4, generator=g2)[0])
    assert torch.equal(ops.dropout(x, 0.4, seed=11)[0], ops.dropout(x, 0.4, seed=11)[0])


def test_backward_uses_the_forwards_mask():
    torch.manual_seed(0)
    x = torch.randn(33, 17, requires_grad=True)
    y = F.dropout(x, 0.3)
    g = torch.randn_like(y)
    y.backward(g)
    keep = y.detach() != 0
    torch.testing.assert_close(x.grad, torch.where(keep, g / 0.7, torch.zeros_like(g)))
    x2 = torch.randn(8, dtype=torch.float64, requires_grad=True)
    y2 = F.dropout(x2, 0.5)
    gg, = torch.autograd.grad(y2.sum(), x2, create_graph=True)
    torch.testing.assert_close(gg, (y2 != 0).double() * 2)


def test_edges_eval_in_place_numpy_and_errors():
    x = torch.randn(100)
    assert torch.equal(F.dropout(x, 0.0), x)
    assert torch.equal(F.dropout(x, 1.0), torch.zeros(100))
    assert F.dropout(x, 0.5, training=False) is x or torch.equal(F.dropout(x, 0.5, training=False), x)
    z = x.clone()
    out = F.dropout(z, 0.5, inplace=True)
    assert out is z and ((z == 0) | torch.isclose(z, 2 * x)).all()
    w = torch.ones(1, requires_grad=True)
    h = (x * w)
    F.dropout(h, 0.5, inplace=True).sum().backward()
    assert w.grad is not None
    a, m = ops.dropout(np.ones(20), 0.25, generator=np.random.default_rng(0))
    assert isinstance(a, np.ndarray) and isinstance(m, np.ndarray) and m.size == 3
    np.testing.assert_array_equal(ops.dropout_backward(np.ones(20), m, 0.25), a)
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, bad)
        with pytest.raises(ValueError, match="between 0 and 1"):
            torch.nn.functional.dropout(x, bad)
    with pytest.raises(ValueError, match="mask"):
        ops.dropout_backward(x, torch.zeros(3, dtype=torch.uint8), 0.5)


def test_module_is_a_drop_in():
    ours, theirs = nn.Dropout(0.2), torch.nn.Dropout(0.2)
    assert isinstance(ours, torch.nn.Dropout) and repr(ours) == repr(theirs)
    x = torch.randn(64, 20)
    ours.eval()
    assert torch.equal(ours(x), x)
    ours.train()
    assert ((ours(x) == 0).float().mean() - 0.2).abs() < 0.05
