"""fastnn.ops.conv2d / conv2d_backward, fastnn.functional.conv2d and fastnn.nn.Conv2d against torch:
a parameter sweep forward and backward in float64 (the arithmetic is the same as torch's up to summation
order, so the bound is tight), float32 at the seed networks' shapes, gradcheck, the custom-op route,
nn.Conv2d as a drop-in, and the invalid configurations torch rejects."""
import numpy as np
import pytest
import torch

import fastnn
import fastnn.functional as F
import fastnn.nn as nn
from fastnn import ops
from helpers import compiled_graph_code, run_python, skip_unless_usable, train_side_by_side

TF = torch.nn.functional

FAMILIES = ("conv_direct_f32",)  # see test_registry.py
DIRECT = [k["name"] for k in fastnn.list_kernels() if k["family"] in FAMILIES]


def torch_conv_grads(x, w, b, gy, *args):
    xr, wr = x.clone().requires_grad_(), w.clone().requires_grad_()
    br = b.clone().requires_grad_() if b is not None else None
    y = TF.conv2d(xr, wr, br, *args)
    y.backward(gy)
    return y.detach(), xr.grad, wr.grad, (br.grad if b is not None else None)


# (kernel, stride, padding, dilation, groups, C_in, C_out, H, W, batch): kernel 1/3/5/7, stride 1/2/3,
# padding incl. 'same' and 'valid', dilation 1/2, groups 1/2/C, odd sizes, batch 1.
SWEEP = [
    (1, 1, 0, 1, 1, 3, 5, 7, 9, 2),
    (1, 2, 0, 1, 1, 4, 4, 8, 8, 1),
    (3, 1, 1, 1, 1, 3, 4, 9, 8, 2),
    (3, 2, 1, 1, 2, 4, 6, 11, 10, 1),
    (3, 3, 0, 2, 1, 2, 3, 13, 12, 2),
    (3, 1, "same", 2, 4, 4, 8, 10, 9, 1),
    (5, 1, 2, 1, 1, 3, 2, 7, 7, 3),
    (5, 2, 0, 1, 1, 1, 6, 28, 28, 2),
    (5, 1, "valid", 1, 3, 3, 3, 9, 11, 1),
    (7, 1, 3, 1, 1, 2, 3, 7, 8, 1),
    (7, 3, 2, 2, 2, 2, 4, 19, 17, 2),
    (2, 1, "same", 1, 1, 2, 3, 6, 5, 1),
    (4, 1, "same", 3, 1, 1, 2, 12, 12, 1),
    ((3, 1), (2, 1), (0, 2), (1, 2), 1, 2, 3, 9, 8, 1),
    (3, 1, 1, 1, 2, 4, 6, 6, 5, 9),   # 9 images: several per GEMM, the last block partial
    (3, 2, 0, 1, 1, 3, 4, 8, 8, 13),
]


# torch's own warning about its 'same' padding with even kernels (it pads a copy, as fastnn does)
SAME_EVEN = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


@SAME_EVEN
@pytest.mark.parametrize("k,s,p,d,g,cin,cout,h,w,n", SWEEP)
def test_forward_backward_match_torch_float64(k, s, p, d, g, cin, cout, h, w, n):
    gen = torch.Generator().manual_seed(hash((k, s, str(p), d, g)) % 1000)
    kh, kw = (k, k) if isinstance(k, int) else k
    x = torch.randn(n, cin, h, w, dtype=torch.float64, generator=gen)
    wt = torch.randn(cout, cin // g, kh, kw, dtype=torch.float64, generator=gen)
    b = torch.randn(cout, dtype=torch.float64, generator=gen)
    y = ops.conv2d(x, wt, b, s, p, d, g)
    gy = torch.randn(y.shape, dtype=torch.float64, generator=gen)
    want_y, want_gx, want_gw, want_gb = torch_conv_grads(x, wt, b, gy, s, p, d, g)
    gx, gw, gb = ops.conv2d_backward(gy, x, wt, s, p, d, g)
    tol = dict(rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(y, want_y, **tol)
    torch.testing.assert_close(gx, want_gx, **tol)
    torch.testing.assert_close(gw, want_gw, **tol)
    torch.testing.assert_close(gb, want_gb, **tol)


@pytest.mark.parametrize("n,cin,cout,hw,k,pad", [(64, 1, 32, 28, 3, 1), (64, 32, 64, 14, 3, 1), (64, 3, 32, 32, 3, 1),
                                                 (64, 1, 6, 28, 5, 0), (64, 6, 16, 12, 5, 0)])
def test_seed_network_shapes_float32(n, cin, cout, hw, k, pad):
    """MNIST CNN, a CIFAR conv, LeNet-5's convolutions, against a float64 reference."""
    x, w, b = torch.randn(n, cin, hw, hw), torch.randn(cout, cin, k, k) / k, torch.randn(cout)
    y = ops.conv2d(x, w, b, 1, pad)
    gy = torch.randn(y.shape)
    gx, gw, gb = ops.conv2d_backward(gy, x, w, 1, pad)
    ref = torch_conv_grads(x.double(), w.double(), b.double(), gy.double(), 1, pad)
    kk = cin * k * k  # length of a forward dot product; the weight gradient sums n * H * W terms
    for got, want, length in zip((y, gx, gw, gb), ref, (kk, cout * k * k, n * hw * hw, n * hw * hw)):
        scale = want.abs().max().item() + 1
        torch.testing.assert_close(got.double(), want, rtol=0, atol=4e-7 * length ** 0.5 * scale)


# Shapes where the direct route applies (stride 1, output rows as wide as the input's), at its edges:
# (kernel, padding, dilation, groups, C_in, C_out, H, W, batch)
DIRECT_SHAPES = [
    (3, 1, 1, 1, 1, 32, 28, 28, 2),           # MNIST conv1: one input channel, P = 784 (49 vectors)
    (3, 1, 1, 1, 32, 64, 14, 14, 3),          # MNIST conv2: P = 196, 12.25 vectors of 16
    (3, 1, 1, 1, 3, 5, 7, 9, 2),              # 5 output channels (< one tile of 8), P = 63
    (5, 2, 1, 1, 4, 9, 6, 5, 1),              # 25 taps (wgrad tiles of 9, 9, 3, 3, 1), 9 channels (8 + 1)
    (3, "same", 2, 2, 4, 18, 10, 9, 2),       # dilation 2, 2 groups of 9 output channels
    (4, "same", 1, 1, 2, 3, 6, 5, 1),         # even kernel: padding left 1, right 2 (torch's 'same')
    ((3, 1), 0, 1, 1, 3, 8, 9, 4, 2),         # no vertical padding: OH = H - 2
    ((1, 3), (2, 1), 1, 1, 3, 8, 5, 6, 1),    # padding beyond the kernel: OH = H + 4
    (7, 3, 1, 1, 2, 3, 3, 3, 1),              # kernel larger than the image
    (3, 1, 1, 16, 16, 16, 8, 8, 2),           # depthwise: one channel in and out per group
    (3, 1, 1, 1, 8, 24, 1, 1, 2),             # 1x1 images: every tap but the centre is padding
    (3, 1, 1, 1, 3, 16, 17, 33, 1),           # P = 561: tiles of 3 vectors, then 2 + 2
    (3, 1, 1, 1, 16, 8, 4, 4, 5),             # P = 16: exactly one vector
    (3, 1, 1, 1, 8, 72, 5, 6, 2),             # 72 output channels: wgrad blocks of 64 + 8 (AVX-512 tiles)
]


def _direct_case(k, p, d, g, cin, cout, h, w, n, seed=0):
    gen = torch.Generator().manual_seed(seed)
    kh, kw = (k, k) if isinstance(k, int) else k
    x = torch.randn(n, cin, h, w, generator=gen)
    wt = torch.randn(cout, cin // g, kh, kw, generator=gen) / (kh * kw) ** 0.5
    b = torch.randn(cout, generator=gen)
    return x, wt, b, kh * kw


@SAME_EVEN
@pytest.mark.parametrize("kernel", DIRECT + ["im2col"])
@pytest.mark.parametrize("k,p,d,g,cin,cout,h,w,n", DIRECT_SHAPES)
def test_every_direct_kernel_matches_torch(kernel, k, p, d, g, cin, cout, h, w, n):
    """Each conv_direct_f32 variant (forward, input and weight gradients), and im2col + GEMM forced on the
    same shapes, against torch in float64; float32 bounds grow with the length of each sum."""
    if kernel != "im2col":
        skip_unless_usable(kernel)
    x, wt, b, taps = _direct_case(k, p, d, g, cin, cout, h, w, n)
    y = ops.conv2d(x, wt, b, 1, p, d, g, kernel=kernel)
    gy = torch.randn(y.shape, generator=torch.Generator().manual_seed(1))
    gx, gw, gb = ops.conv2d_backward(gy, x, wt, 1, p, d, g, kernel=kernel)
    ref = torch_conv_grads(x.double(), wt.double(), b.double(), gy.double(), 1, p, d, g)
    lengths = (cin // g * taps, cout // g * taps, n * y.shape[2] * y.shape[3], n * y.shape[2] * y.shape[3])
    for name, got, want, length in zip(("y", "grad_input", "grad_weight", "grad_bias"), (y, gx, gw, gb), ref, lengths):
        scale = want.abs().max().item() + 1
        torch.testing.assert_close(got.double(), want, rtol=0, atol=4e-7 * length ** 0.5 * scale, msg=name)


@pytest.mark.parametrize("kernel", DIRECT)
def test_direct_kernels_read_only_inside_the_image(kernel):
    """A NaN in one input pixel (or output-gradient pixel) reaches exactly the outputs torch's does: the
    lane masks never let a padded position read a neighbouring row, channel or image."""
    skip_unless_usable(kernel)
    x, wt, b, _ = _direct_case(3, 1, 1, 1, 8, 16, 7, 7, 3)
    for i, j in ((0, 0), (0, 6), (3, 0), (6, 6), (2, 3)):
        xn = x.clone()
        xn[1, 2, i, j] = float("nan")
        torch.testing.assert_close(ops.conv2d(xn, wt, b, 1, 1, kernel=kernel).isnan(),
                                   TF.conv2d(xn, wt, b, 1, 1).isnan())
        gy = torch.randn(3, 16, 7, 7)
        gy[1, 5, i, j] = float("nan")
        gx, _, _ = ops.conv2d_backward(gy, x, wt, 1, 1, weight_grad=False, bias_grad=False, kernel=kernel)
        torch.testing.assert_close(gx.isnan(), torch_conv_grads(x, wt, None, gy, 1, 1)[1].isnan())


def test_direct_kernel_choice_is_refused_where_it_does_not_apply():
    x, w = torch.ones(1, 2, 8, 8), torch.ones(4, 2, 3, 3)
    with pytest.raises(ValueError, match="stride 1"):
        ops.conv2d(x, w, None, 2, 1, kernel=DIRECT[-1])  # stride 2
    with pytest.raises(ValueError, match="float32"):
        ops.conv2d(x.double(), w.double(), None, 1, 1, kernel=DIRECT[-1])
    with pytest.raises(ValueError, match="stride 1"):
        ops.conv2d_backward(torch.ones(1, 4, 6, 6), x, w, 1, 0, kernel=DIRECT[-1])  # 'valid': rows shrink
    with pytest.raises(ValueError, match="no kernel named"):
        ops.conv2d(x, w, None, 1, 1, kernel="conv_direct_f32__nonesuch")


def test_numpy_unbatched_and_partial_gradients():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((3, 9, 9)), rng.standard_normal((4, 3, 3, 3))
    y = ops.conv2d(x, w, None, 2, 1)
    want = TF.conv2d(torch.from_numpy(x), torch.from_numpy(w), None, 2, 1).numpy()
    assert isinstance(y, np.ndarray) and y.shape == want.shape
    np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
    gx, gw, gb = ops.conv2d_backward(np.ones_like(y), x, w, 2, 1, input_grad=False, bias_grad=False)
    assert gx is None and gb is None and gw.shape == w.shape


def test_channels_last_and_stride0_grad():
    x = torch.randn(2, 3, 8, 8).to(memory_format=torch.channels_last)
    w = torch.randn(4, 3, 3, 3)
    torch.testing.assert_close(ops.conv2d(x, w, None, 1, 1), TF.conv2d(x, w, None, 1, 1), rtol=1e-5, atol=1e-5)
    xr = x.clone().requires_grad_()
    F.conv2d(xr, w, None, 1, 1).sum().backward()  # the gradient of a sum: an expanded (stride-0) tensor
    xt = x.clone().requires_grad_()
    TF.conv2d(xt, w, None, 1, 1).sum().backward()
    torch.testing.assert_close(xr.grad, xt.grad, rtol=1e-5, atol=1e-5)


def test_empty_batch_and_zero_output_channels():
    y = ops.conv2d(torch.zeros(0, 2, 5, 5), torch.ones(3, 2, 3, 3))
    assert y.shape == (0, 3, 3, 3)
    gx, gw, gb = ops.conv2d_backward(torch.zeros(0, 3, 3, 3), torch.zeros(0, 2, 5, 5), torch.ones(3, 2, 3, 3))
    assert gx.shape == (0, 2, 5, 5) and torch.equal(gw, torch.zeros(3, 2, 3, 3)) and torch.equal(gb, torch.zeros(3))


BAD = [
    (lambda: ops.conv2d(torch.ones(1, 2, 3, 3), torch.ones(4, 2, 5, 5)), RuntimeError, "can't be greater"),
    (lambda: ops.conv2d(torch.ones(1, 3, 8, 8), torch.ones(4, 2, 3, 3), groups=2), RuntimeError, "channels"),
    (lambda: ops.conv2d(torch.ones(1, 4, 8, 8), torch.ones(3, 2, 3, 3), groups=2), RuntimeError, "divisible"),
    (lambda: ops.conv2d(torch.ones(1, 2, 8, 8), torch.ones(4, 2, 3, 3), padding=-1), RuntimeError, "negative padding"),
    (lambda: ops.conv2d(torch.ones(1, 2, 8, 8), torch.ones(4, 2, 3, 3), stride=0), RuntimeError, "non-positive stride"),
    (lambda: ops.conv2d(torch.ones(1, 2, 8, 8), torch.ones(4, 2, 3, 3), stride=2, padding="same"), RuntimeError,
     "strided"),
    (lambda: ops.conv2d(torch.ones(1, 2, 8, 8), torch.ones(4, 2, 3)), RuntimeError, "4-d"),
    (lambda: ops.conv2d(torch.ones(2, 8, 8, 1, 1), torch.ones(4, 2, 3, 3)), RuntimeError, "4-d"),
    (lambda: ops.conv2d(torch.ones(1, 2, 8, 8), torch.ones(4, 2, 3, 3, dtype=torch.float64)), TypeError, "dtype"),
    (lambda: ops.conv2d(torch.ones(1, 2, 8, 8), torch.ones(4, 2, 3, 3), torch.ones(3)), RuntimeError, "bias"),
    (lambda: ops.conv2d(torch.ones(1, 2, 8, 8), torch.ones(4, 2, 3, 3), padding="full"), RuntimeError, "padding"),
    (lambda: ops.conv2d_backward(torch.ones(1, 4, 5, 5), torch.ones(1, 2, 8, 8), torch.ones(4, 2, 3, 3)),
     RuntimeError, "grad_output"),
]


@pytest.mark.parametrize("fn,exc,msg", BAD)
def test_invalid_configurations_raise_like_torch(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn()


def test_torch_raises_the_same_kinds():
    """The first invalid configurations above, given to torch itself: the same exception classes."""
    with pytest.raises(RuntimeError):
        TF.conv2d(torch.ones(1, 2, 3, 3), torch.ones(4, 2, 5, 5))
    with pytest.raises(RuntimeError):
        TF.conv2d(torch.ones(1, 3, 8, 8), torch.ones(4, 2, 3, 3), groups=2)
    with pytest.raises(RuntimeError):
        TF.conv2d(torch.ones(1, 2, 8, 8), torch.ones(4, 2, 3, 3), padding=-1)
    with pytest.raises(RuntimeError):
        TF.conv2d(torch.ones(1, 2, 8, 8), torch.ones(4, 2, 3, 3), stride=0)


# ---------------------------------------------------------------- functional and nn

def test_functional_gradcheck_and_gradgradcheck_float64():
    x = torch.randn(2, 4, 6, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(6, 2, 3, 2, dtype=torch.float64, requires_grad=True)
    b = torch.randn(6, dtype=torch.float64, requires_grad=True)
    for args in [(1, 1, 1, 2), (2, 0, 1, 2), (1, "same", (2, 1), 2)]:
        assert torch.autograd.gradcheck(lambda x, w, b: F.conv2d(x, w, b, *args), (x, w, b))
    assert torch.autograd.gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, 1, 1, 1, 2), (x, w, b))


@SAME_EVEN
def test_custom_op_route_gradcheck_and_meta():
    x = torch.randn(1, 2, 5, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 2, 2, 2, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, requires_grad=True)
    op = torch.ops.fastnn.conv2d
    params = [1, 1, 0, 1, 0, 1, 1, 1, 1]  # 'same' for a 2x2 kernel: the extra row and column at the end
    assert torch.autograd.gradcheck(lambda x, w, b: op(x, w, b, params), (x, w, b))
    torch.testing.assert_close(op(x, w, b, params), TF.conv2d(x, w, b, 1, "same"))
    torch.library.opcheck(op.default, (x.detach(), w.detach(), None, params))
    y = F.conv2d(torch.empty(8, 2, 9, 9, device="meta"), torch.empty(4, 2, 3, 3, device="meta"), None, 2, 1)
    assert y.device.type == "meta" and y.shape == (8, 4, 5, 5)


def test_conv2d_module_is_a_drop_in():
    for kwargs in [dict(), dict(stride=2, padding=1, bias=False), dict(padding="same", dilation=2, groups=2),
                   dict(padding=1, padding_mode="reflect"), dict(padding=2, padding_mode="circular")]:
        torch.manual_seed(5)
        ours = nn.Conv2d(4, 6, 3, **kwargs)
        torch.manual_seed(5)
        theirs = torch.nn.Conv2d(4, 6, 3, **kwargs)
        assert isinstance(ours, torch.nn.Conv2d) and repr(ours) == repr(theirs)
        assert ours.state_dict().keys() == theirs.state_dict().keys()
        assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()))
        x = torch.randn(2, 4, 9, 9)
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(ours(x[0]), theirs(x[0]), rtol=1e-5, atol=1e-5)  # unbatched
    with pytest.raises(ValueError, match="divisible"):
        nn.Conv2d(3, 6, 3, groups=2)  # torch's own constructor check


def mnist_cnn(conv):
    torch.manual_seed(0)
    return torch.nn.Sequential(conv(1, 32, 3, padding=1), torch.nn.ReLU(), conv(32, 64, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(64 * 14 * 14, 10))


def test_mnist_cnn_training_steps_match_torch():
    ours, theirs = mnist_cnn(nn.Conv2d), mnist_cnn(torch.nn.Conv2d)
    theirs.load_state_dict(ours.state_dict())
    train_side_by_side(ours, theirs, lambda gen: (torch.randn(8, 1, 28, 28, generator=gen),
                                                  torch.randint(0, 10, (8,), generator=gen)),
                       steps=3, lr=0.01, rtol=1e-4, atol=1e-5)


def test_compile_traces_conv_without_graph_breaks():
    model = torch.nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 3))
    code = compiled_graph_code(model, torch.randn(2, 1, 8, 8))
    assert "fastnn.conv2d" in code, code


def test_fastnn_own_pool_runs_nested_gemms_without_hanging():
    """Without torch's OpenMP team (fastnn's own pool), conv2d's per-image GEMMs nest inside a parallel
    loop; with one thread that used to deadlock on the pool's lock."""
    
    r = run_python("""
import numpy as np, fastnn
assert fastnn.cpu_info()["thread_backend"] == "fastnn pool"
x = np.random.default_rng(0).standard_normal((4, 3, 9, 9)).astype(np.float32)
w = np.ones((5, 3, 3, 3), np.float32)
outs = []
for threads in (1, 2):
    fastnn.set_num_threads(threads)
    y = fastnn.ops.conv2d(x, w, None, 1, 1)
    gx, gw, gb = fastnn.ops.conv2d_backward(np.ones_like(y), x, w, 1, 1)
    outs.append((y, gw))
assert np.array_equal(outs[0][0], outs[1][0])
print("ok")
""", env={"FASTNN_OWN_POOL": "1"}, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


@pytest.mark.parametrize("isa", ["generic", "avx2"])
def test_conv_and_pooling_on_each_isa_level(isa):
    """The whole MNIST CNN's forward and backward with the GEMM and pooling kernels of a lower ISA level."""
    
    if isa == "avx2" and fastnn.cpu_info()["best_isa"] == "generic":
        pytest.skip("this CPU has no AVX2")
    r = run_python("""
import torch, fastnn, fastnn.nn as nn
torch.manual_seed(0)
def build(nn):
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1),
                         nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
ours = build(nn); theirs = build(torch.nn); theirs.load_state_dict(ours.state_dict())
x = torch.randn(6, 1, 28, 28)
for m in (ours, theirs):
    torch.nn.functional.cross_entropy(m(x), torch.arange(6)).backward()
for (n, a), b in zip(ours.named_parameters(), theirs.parameters()):
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5, msg=n)
print(fastnn.cpu_info()["isa"], fastnn._C.selected_kernel("gemm_f32"))
""", env={"FASTNN_ISA": isa})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == isa
