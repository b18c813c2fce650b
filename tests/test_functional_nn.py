"""fastnn.functional.relu and fastnn.nn.ReLU against torch: values, gradients, in-place semantics,
training equivalence, torch.library registration and torch.compile."""
import copy

import pytest
import torch

import fastnn.functional as F
import fastnn.nn as nn
from helpers import compiled_graph_code, train_side_by_side

SHAPES = [(), (0,), (1,), (17,), (3, 5), (4, 3, 7, 9)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_and_backward_match_torch(dtype, shape):
    x = torch.randn(shape, dtype=dtype)
    if x.numel():
        x.view(-1)[0] = 0.0  # the kink: torch's gradient at 0 is 0
    a = x.clone().requires_grad_()
    b = x.clone().requires_grad_()
    ya, yb = F.relu(a), torch.relu(b)
    torch.testing.assert_close(ya, yb, rtol=0, atol=0)
    g = torch.randn(shape, dtype=dtype)
    ya.backward(g)
    yb.backward(g)
    torch.testing.assert_close(a.grad, b.grad, rtol=0, atol=0)


def test_gradcheck_and_gradgradcheck_float64():
    x = torch.randn(6, 11, dtype=torch.float64)
    x = (x + 0.1 * x.sign()).requires_grad_()  # keep away from the kink, where finite differences lie
    assert torch.autograd.gradcheck(F.relu, (x,))
    assert torch.autograd.gradgradcheck(F.relu, (x,))


def test_custom_op_route_gradients():
    """The route torch.compile takes (torch.ops.fastnn.*), run eagerly: first and second derivatives."""
    x = torch.randn(6, 11, dtype=torch.float64)
    x = (x + 0.1 * x.sign()).requires_grad_()
    assert torch.autograd.gradcheck(torch.ops.fastnn.relu, (x,))
    assert torch.autograd.gradgradcheck(torch.ops.fastnn.relu, (x,))
    y = x.detach().relu()
    g = torch.randn_like(x, requires_grad=True)
    assert torch.autograd.gradcheck(lambda gg: torch.ops.fastnn.relu_backward(gg, y), (g,))
    a = torch.randn(40, requires_grad=True)
    torch.ops.fastnn.relu(a).sum().backward()
    torch.testing.assert_close(a.grad, (a > 0).float(), rtol=0, atol=0)


def test_eager_route_records_autograd_only_when_needed():
    x = torch.randn(10)
    assert F.relu(x).grad_fn is None
    xg = torch.randn(10, requires_grad=True)
    assert F.relu(xg).grad_fn is not None
    with torch.no_grad():
        assert F.relu(xg).grad_fn is None


def test_stride_zero_grad_from_sum():
    """loss.sum() hands backward an expanded (stride-0) gradient."""
    x = torch.randn(8, 9, requires_grad=True)
    F.relu(x).sum().backward()
    torch.testing.assert_close(x.grad, (x > 0).float(), rtol=0, atol=0)


def test_noncontiguous_input_and_grad():
    x = torch.randn(9, 8).t().requires_grad_()
    y = F.relu(x)
    torch.testing.assert_close(y, torch.relu(x), rtol=0, atol=0)
    g = torch.randn(16, 9)[::2]
    y.backward(g)
    torch.testing.assert_close(x.grad, g * (x > 0), rtol=0, atol=0)


def test_inplace_on_a_non_leaf_tracks_gradients_like_torch():
    x0 = torch.randn(5, 6)
    results = []
    for relu in (F.relu, torch.nn.functional.relu):
        a = x0.clone().requires_grad_()
        h = a * 2
        version = h._version
        out = relu(h, inplace=True)
        assert out is h and h._version > version
        (out * out).sum().backward()
        results.append((out.detach().clone(), a.grad.clone()))
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=0)


def test_inplace_without_grad_mutates_the_input():
    x = torch.randn(100)
    want = torch.relu(x)
    assert F.relu_(x) is x
    torch.testing.assert_close(x, want, rtol=0, atol=0)
    y = torch.randn(10, 10).t()  # non-contiguous in-place
    want = torch.relu(y)
    F.relu(y, inplace=True)
    torch.testing.assert_close(y, want, rtol=0, atol=0)


def test_inplace_on_a_leaf_that_requires_grad_raises_like_torch():
    with pytest.raises(RuntimeError) as torch_err:
        torch.nn.functional.relu(torch.randn(3, requires_grad=True), inplace=True)
    with pytest.raises(RuntimeError) as ours:
        F.relu(torch.randn(3, requires_grad=True), inplace=True)
    assert "leaf Variable that requires grad" in str(torch_err.value)
    assert "leaf Variable that requires grad" in str(ours.value)


def test_bad_input_to_functional():
    with pytest.raises(TypeError, match="fastnn.functional.relu: argument 'input' must be a torch.Tensor, got list"):
        F.relu([1.0, -1.0])
    # dtypes the kernels lack run torch's relu: the drop-in gives torch's result (the bad-input matrix
    # in test_bad_inputs.py covers every op this way)
    h = torch.tensor([1.5, -2.0, 0.0], dtype=torch.float16)
    assert torch.equal(F.relu(h), torch.relu(h)) and F.relu(h).dtype == torch.float16
    i = torch.tensor([3, -1, 0])
    assert torch.equal(F.relu(i), torch.relu(i))


def test_meta_tensors_use_the_fake_kernel():
    y = F.relu(torch.empty(4, 5, device="meta"))
    assert y.device.type == "meta" and y.shape == (4, 5)
    m = torch.empty(4, 5, device="meta")
    assert F.relu_(m) is m


def test_custom_ops_pass_torch_library_opcheck():
    x = torch.randn(7, 5, requires_grad=True)
    torch.library.opcheck(torch.ops.fastnn.relu.default, (x,))
    torch.library.opcheck(torch.ops.fastnn.relu_backward.default, (torch.randn(7, 5), torch.relu(x.detach())))
    torch.library.opcheck(torch.ops.fastnn.relu_.default, (torch.randn(7, 5),))


# ---------------------------------------------------------------- nn.ReLU

def test_relu_module_is_a_drop_in():
    for inplace in (False, True):
        ours, theirs = nn.ReLU(inplace=inplace), torch.nn.ReLU(inplace=inplace)
        assert isinstance(ours, torch.nn.ReLU)
        assert repr(ours) == repr(theirs)
        assert ours.state_dict().keys() == theirs.state_dict().keys()
        assert ours.inplace is inplace
    assert repr(nn.ReLU(True)) == "ReLU(inplace=True)"


def mlp(act):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(20, 64), act(), torch.nn.Linear(64, 32), act(inplace=True),
                               torch.nn.Linear(32, 4))


def test_training_steps_match_torch():
    ours, theirs = mlp(nn.ReLU), mlp(torch.nn.ReLU)
    ours.load_state_dict(theirs.state_dict())
    train_side_by_side(ours, theirs, lambda gen: (torch.randn(32, 20, generator=gen),
                                                  torch.randint(0, 4, (32,), generator=gen)),
                       steps=10, lr=0.1, rtol=0, atol=0)


def test_module_pickles_with_torch_save(tmp_path):
    m = torch.nn.Sequential(torch.nn.Linear(3, 3), nn.ReLU())
    torch.save(m, tmp_path / "m.pt")
    m2 = torch.load(tmp_path / "m.pt", weights_only=False)
    assert type(m2[1]) is nn.ReLU
    x = torch.randn(2, 3)
    torch.testing.assert_close(m2(x), m(x))


# ---------------------------------------------------------------- torch.compile

def test_compile_traces_fastnn_ops_without_graph_breaks():
    code = compiled_graph_code(mlp(nn.ReLU), torch.randn(8, 20))
    assert "torch.ops.fastnn.relu" in code or "fastnn_relu" in code, code


# inductor's own imports use deprecated torch.jit APIs; that is torch's warning, not ours
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_compile_with_inductor_forward_and_backward():
    eager = mlp(nn.ReLU)
    compiled_model = copy.deepcopy(eager)
    torch._dynamo.reset()
    compiled = torch.compile(compiled_model, fullgraph=True)
    x = torch.randn(16, 20)
    y_eager, y_comp = eager(x), compiled(x)
    torch.testing.assert_close(y_comp, y_eager)
    y_eager.square().sum().backward()
    y_comp.square().sum().backward()
    for pa, pb in zip(eager.parameters(), compiled_model.parameters()):
        torch.testing.assert_close(pb.grad, pa.grad)
