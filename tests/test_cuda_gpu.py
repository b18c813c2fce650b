"""The CUDA kernels on a real GPU, against torch: runs where fastnn.cuda.is_available() (a CUDA device,
its driver, a torch CUDA build and fastnn._C_cuda). Elsewhere these tests skip, and test_cuda_emu.py
runs the same kernels through the SIMT emulator."""
import pytest
import torch

import fastnn
import fastnn.functional as F

pytestmark = pytest.mark.skipif(not (fastnn.cuda.is_available() and torch.cuda.is_available()),
                                reason=f"no usable CUDA device: {fastnn.cuda.unavailable_reason()}")

SIZES = [0, 1, 3, 4, 5, 1023, 1024, 1025, 1 << 20, (1 << 20) + 3]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("offset", [0, 1])  # 1: misaligned for the float4 path
def test_relu_forward_backward_match_torch(dtype, offset):
    for n in SIZES:
        base = torch.randn(n + offset, device="cuda", dtype=dtype)
        base[::7] = float("nan")
        x = base[offset:]
        y = fastnn.ops.relu(x)
        assert y.device == x.device
        torch.testing.assert_close(y, torch.relu(x), rtol=0, atol=0, equal_nan=True)
        g = torch.randn(n, device="cuda", dtype=dtype)
        torch.testing.assert_close(fastnn.ops.relu_backward(g, y), torch.ops.aten.threshold_backward(g, y, 0.0),
                                   rtol=0, atol=0, equal_nan=True)


def test_runs_on_torchs_current_stream():
    s = torch.cuda.Stream()
    x = torch.randn(1 << 22, device="cuda")
    with torch.cuda.stream(s):
        y = fastnn.ops.relu(x)
        z = y * 2  # ordered after fastnn's kernel only if that kernel ran on s
    s.synchronize()
    torch.testing.assert_close(z, torch.relu(x) * 2, rtol=0, atol=0)


def test_autograd_and_mixed_devices():
    x = torch.randn(64, 33, device="cuda", requires_grad=True)
    F.relu(x).sum().backward()
    torch.testing.assert_close(x.grad, (x > 0).float(), rtol=0, atol=0)
    with pytest.raises(RuntimeError, match="is on device cpu but 'x' is on device cuda"):
        fastnn.ops.relu(x.detach(), out=torch.empty(64, 33))


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matmul_matches_torch(ta, tb, dtype):
    torch.backends.cuda.matmul.allow_tf32 = False
    for m, n, k in [(1, 1, 1), (7, 13, 0), (129, 130, 17), (1000, 3072, 64), (64, 1000, 3072), (257, 255, 4099)]:
        a = torch.randn((k, m) if ta else (m, k), device="cuda", dtype=dtype)
        b = torch.randn((n, k) if tb else (k, n), device="cuda", dtype=dtype)
        got = fastnn.ops.matmul(a, b, trans_a=ta, trans_b=tb)
        A, B = (a.t() if ta else a).double(), (b.t() if tb else b).double()
        # worst-case bound of a length-k dot product in precision u, element by element
        bound = (k + 2) * torch.finfo(dtype).eps / 2 * (A.abs() @ B.abs()) + 1e-300
        assert ((got.double() - A @ B).abs() <= bound).all(), (m, n, k)


def test_linear_module_forward_backward_matches_torch():
    torch.backends.cuda.matmul.allow_tf32 = False
    import fastnn.nn as nn
    ours = nn.Linear(300, 70).cuda()
    theirs = torch.nn.Linear(300, 70).cuda()
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(33, 300, device="cuda")
    for m in (ours, theirs):
        m(x).square().sum().backward()
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-4)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pooling_matches_torch(dtype):
    for k, s, p, d, ceil in [(2, 2, 0, 1, False), (3, 2, 1, 1, True), (3, 1, 1, 2, False)]:
        x = torch.randn(8, 16, 29, 30, device="cuda", dtype=dtype)
        y, idx = fastnn.ops.max_pool2d(x, k, s, p, d, ceil, return_indices=True)
        want, want_idx = torch.nn.functional.max_pool2d(x, k, s, p, d, ceil, return_indices=True)
        torch.testing.assert_close(y, want, rtol=0, atol=0)
        assert torch.equal(idx, want_idx)
        xr = x.clone().requires_grad_()
        g = torch.randn_like(want)
        torch.nn.functional.max_pool2d(xr, k, s, p, d, ceil).backward(g)
        torch.testing.assert_close(fastnn.ops.max_pool2d_backward(g, x, k, s, p, d, ceil), xr.grad)
        if d == 1:
            torch.testing.assert_close(fastnn.ops.avg_pool2d(x, k, s, p, ceil),
                                       torch.nn.functional.avg_pool2d(x, k, s, p, ceil))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_conv2d_matches_torch(dtype):
    torch.backends.cudnn.allow_tf32 = False
    for n, c, o, hw, k, s, p, d, g in [(8, 1, 32, 28, 3, 1, 1, 1, 1), (8, 32, 64, 14, 3, 1, 1, 1, 1),
                                       (4, 6, 6, 11, 5, 2, 2, 1, 3), (2, 4, 8, 9, 3, 1, "same", 2, 2)]:
        x = torch.randn(n, c, hw, hw, device="cuda", dtype=dtype)
        w = torch.randn(o, c // g, k, k, device="cuda", dtype=dtype)
        b = torch.randn(o, device="cuda", dtype=dtype)
        xr, wr, br = (t.clone().requires_grad_() for t in (x, w, b))
        want = torch.nn.functional.conv2d(xr, wr, br, s, p, d, g)
        tol = dict(rtol=1e-4, atol=1e-4) if dtype == torch.float32 else {}
        torch.testing.assert_close(F.conv2d(x, w, b, s, p, d, g), want, **tol)
        gy = torch.randn_like(want)
        want.backward(gy)
        if p != "same":
            gx, gw, gb = fastnn.ops.conv2d_backward(gy, x, w, s, p, d, g)
            for got, ref in zip((gx, gw, gb), (xr.grad, wr.grad, br.grad)):
                torch.testing.assert_close(got, ref, **(dict(rtol=1e-3, atol=1e-3) if dtype == torch.float32 else {}))


def assert_same_forward_backward(ours, theirs, x, tol, grad_tol=None):
    """ours(x) and theirs(x) (on a detached copy) agree, and so do their input gradients for one random
    upstream gradient."""
    y = ours(x)
    g = torch.randn_like(y)
    (gx,) = torch.autograd.grad(y, x, g)
    xr = x.detach().clone().requires_grad_()
    yr = theirs(xr)
    (gr,) = torch.autograd.grad(yr, xr, g)
    torch.testing.assert_close(y, yr, **tol)
    torch.testing.assert_close(gx, gr, **(grad_tol or tol))


# name: (fastnn.functional call, torch call); tolerances: CUDA's device libm is within 2 ulp, the formulas'
# float32 rounding as on the CPU (tests/test_activations.py)
GPU_ACTS = {
    "leaky_relu": (lambda t: F.leaky_relu(t, 0.02), lambda t: torch.nn.functional.leaky_relu(t, 0.02)),
    "elu": (lambda t: F.elu(t, 1.3), lambda t: torch.nn.functional.elu(t, 1.3)),
    "sigmoid": (F.sigmoid, torch.sigmoid), "tanh": (F.tanh, torch.tanh),
    "gelu": (F.gelu, torch.nn.functional.gelu),
    "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"), lambda t: torch.nn.functional.gelu(t, approximate="tanh")),
    "silu": (F.silu, torch.nn.functional.silu),
    "hardtanh": (lambda t: F.hardtanh(t, -0.5, 2.0), lambda t: torch.nn.functional.hardtanh(t, -0.5, 2.0)),
    "softplus": (lambda t: F.softplus(t, 1.5, 15.0), lambda t: torch.nn.functional.softplus(t, 1.5, 15.0)),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", GPU_ACTS)
def test_activations_forward_backward_match_torch(name, dtype):
    ours, theirs = GPU_ACTS[name]
    for n in (1, 1023, 1025, (1 << 20) + 3):
        x = (torch.randn(n + 1, device="cuda", dtype=dtype) * 4)[1:].requires_grad_()  # [1:]: misaligned too
        tol = dict(rtol=1e-5, atol=3e-6) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-14)
        assert_same_forward_backward(ours, theirs, x, tol)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape,dim", [((64, 10), 1), ((4096, 1000), -1), ((3, 5000), 1), ((8, 16, 7, 7), 1)])
def test_softmax_log_softmax_match_torch(shape, dim, dtype):
    for ours, theirs in ((F.softmax, torch.softmax), (F.log_softmax, torch.log_softmax)):
        x = (torch.randn(shape, device="cuda", dtype=dtype) * 4).requires_grad_()
        tol = dict(rtol=2e-5, atol=2e-5) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-12)
        assert_same_forward_backward(lambda a: ours(a, dim), lambda a: theirs(a, dim), x, tol)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_matches_torch_and_rejects_bad_targets(reduction, smoothing):
    x = torch.randn(4096, 1000, device="cuda", requires_grad=True)
    t = torch.randint(0, 1000, (4096,), device="cuda")
    t[::9] = -100
    w = torch.rand(1000, device="cuda") + 0.5
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    assert_same_forward_backward(lambda a: F.cross_entropy(a, t, w, **kw),
                                 lambda a: torch.nn.functional.cross_entropy(a, t, w, **kw), x,
                                 dict(rtol=2e-5, atol=2e-5), dict(rtol=2e-5, atol=1e-7))
    t[5] = 1000
    with pytest.raises(IndexError, match="Target 1000 is out of bounds"):
        fastnn.ops.cross_entropy(x.detach(), t)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_pointwise_losses_match_torch(reduction):
    tf = torch.nn.functional
    n = (1 << 20) + 5
    x = torch.randn(n, device="cuda", requires_grad=True)
    y = torch.randn(n, device="cuda")
    p = torch.rand(n, device="cuda") * 0.98 + 0.01
    w = torch.rand(n, device="cuda") + 0.5
    cases = [(lambda a: F.mse_loss(a, y, reduction=reduction), lambda a: tf.mse_loss(a, y, reduction=reduction), x),
             (lambda a: F.l1_loss(a, y, reduction=reduction), lambda a: tf.l1_loss(a, y, reduction=reduction), x),
             (lambda a: F.smooth_l1_loss(a, y, reduction=reduction, beta=0.5),
              lambda a: tf.smooth_l1_loss(a, y, reduction=reduction, beta=0.5), x),
             (lambda a: F.huber_loss(a, y, reduction=reduction, delta=2.0),
              lambda a: tf.huber_loss(a, y, reduction=reduction, delta=2.0), x),
             (lambda a: F.binary_cross_entropy(a, p, w, reduction=reduction),
              lambda a: tf.binary_cross_entropy(a, p, w, reduction=reduction), p.flip(0).clone().requires_grad_()),
             (lambda a: F.binary_cross_entropy_with_logits(a, p, w, reduction=reduction, pos_weight=w),
              lambda a: tf.binary_cross_entropy_with_logits(a, p, w, reduction=reduction, pos_weight=w), x)]
    for ours, theirs, inp in cases:
        assert_same_forward_backward(ours, theirs, inp, dict(rtol=1e-4, atol=1e-5), dict(rtol=1e-5, atol=1e-7))


def test_dropout_same_mask_as_the_cpu_and_reproducible():
    x = torch.randn((1 << 20) + 3, device="cuda")
    y, mask = fastnn.ops.dropout(x, 0.25, seed=7)
    yc, maskc = fastnn.ops.dropout(x.cpu(), 0.25, seed=7)
    assert mask.device == x.device
    assert torch.equal(mask.cpu(), maskc) and torch.equal(y.cpu(), yc)
    g = torch.randn_like(x)
    torch.testing.assert_close(fastnn.ops.dropout_backward(g, mask, 0.25).cpu(),
                               fastnn.ops.dropout_backward(g.cpu(), maskc, 0.25), rtol=0, atol=0)
    xr = x.clone().requires_grad_()
    torch.manual_seed(3)
    a = F.dropout(xr, 0.5)
    torch.manual_seed(3)
    b = F.dropout(xr, 0.5)
    assert torch.equal(a, b)
    a.sum().backward()
    assert torch.equal(xr.grad, (a != 0).float() * 2)


def test_nll_loss_and_class_probabilities_match_torch():
    x = torch.randn(512, 100, device="cuda", dtype=torch.float64, requires_grad=True)
    t = torch.randint(0, 100, (512,), device="cuda")
    y = torch.softmax(torch.randn(512, 100, device="cuda", dtype=torch.float64), 1)
    w = torch.rand(100, device="cuda", dtype=torch.float64) + 0.5
    for ours, theirs in ((lambda a: F.nll_loss(torch.log_softmax(a, 1), t, w),
                          lambda a: torch.nn.functional.nll_loss(torch.log_softmax(a, 1), t, w)),
                         (lambda a: F.cross_entropy(a, y, w, label_smoothing=0.1),
                          lambda a: torch.nn.functional.cross_entropy(a, y, w, label_smoothing=0.1))):
        assert_same_forward_backward(ours, theirs, x, dict(rtol=1e-12, atol=1e-12), dict(rtol=1e-12, atol=1e-14))


@pytest.mark.parametrize("name,kw", [("Adam", dict(lr=1e-2, weight_decay=0.1, amsgrad=True)), ("AdamW", dict(lr=1e-2)),
                                     ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                     ("RMSprop", dict(lr=1e-3, momentum=0.5, centered=True)), ("Adagrad", dict(lr=0.1))])
def test_optimizers_match_torch_on_cuda(name, kw):
    import fastnn.optim as optim
    sizes = [1, 255, 257, (1 << 20) + 3] + [7] * 20  # more tensors than one launch carries
    gen = torch.Generator(device="cuda").manual_seed(0)
    ours = [torch.randn(n, device="cuda", generator=gen).requires_grad_() for n in sizes]
    theirs = [p.detach().clone().requires_grad_() for p in ours]
    o1, o2 = getattr(optim, name)(ours, **kw), getattr(torch.optim, name)(theirs, **kw)
    for _ in range(4):
        for a, b in zip(ours, theirs):
            a.grad = torch.randn(a.shape, device="cuda", generator=gen)
            b.grad = a.grad.clone()
        o1.step()
        o2.step()
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=2e-6, atol=1e-6)
    mixed = [torch.zeros(3, requires_grad=True), torch.zeros(3, device="cuda", requires_grad=True)]
    for p in mixed:
        p.grad = torch.ones_like(p)
    with pytest.raises(ValueError, match="different devices"):
        optim.Adam(mixed).step()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("cls,args,shape", [("BatchNorm2d", (32,), (64, 32, 28, 28)), ("BatchNorm1d", (7,), (5, 7)),
                                            ("LayerNorm", ((64, 256),), (32, 64, 256))])
def test_normalization_modules_match_torch(cls, args, shape, dtype):
    import fastnn.nn as fnn
    torch.manual_seed(0)
    ours = getattr(fnn, cls)(*args, device="cuda", dtype=dtype)
    theirs = getattr(torch.nn, cls)(*args, device="cuda", dtype=dtype)
    x = (torch.randn(shape, device="cuda", dtype=dtype) * 2 + 1).requires_grad_()
    e = 1e-4 if dtype == torch.float32 else 1e-10
    for training in (True, False):
        ours.train(training)
        theirs.train(training)
        assert_same_forward_backward(ours, theirs, x, dict(rtol=e, atol=e), dict(rtol=10 * e, atol=10 * e))
    for k, v in theirs.state_dict().items():
        torch.testing.assert_close(ours.state_dict()[k], v, rtol=e, atol=e)


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
@pytest.mark.parametrize("kwargs", [dict(), dict(num_layers=2, bidirectional=True, batch_first=True)])
def test_recurrent_modules_match_torch(cls, kwargs):
    import fastnn.nn as fnn
    torch.manual_seed(1)
    ours = getattr(fnn, cls)(32, 64, device="cuda", **kwargs)
    theirs = getattr(torch.nn, cls)(32, 64, device="cuda", **kwargs)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(16, 9, 32, device="cuda")
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    oa, ob = ours(xa)[0], theirs(xb)[0]
    torch.testing.assert_close(oa, ob, rtol=1e-4, atol=1e-4)
    g = torch.randn_like(oa)
    (oa * g).sum().backward()
    (ob * g).sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-3, atol=1e-4)
    for pa, pb in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(pa.grad, pb.grad, rtol=1e-3, atol=1e-3)
