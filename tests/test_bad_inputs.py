"""The bad-input matrix: every public op (tests/op_registry.py) under every kind of awkward input.

Each case must give the right result (torch's, or for fastnn.ops the op's own result on a clean contiguous
copy of the same values) or raise a clear exception: for fastnn.functional and fastnn.nn, one of the kind
torch raises for the same call; never a crash, a hang or garbage.
"""
import inspect
import math
import warnings

import numpy as np
import pytest
import torch

import fastnn
import fastnn.functional as F
import fastnn.nn as fnn
import fastnn.ops as ops
from op_registry import FUNCTIONAL, MODULES, OPS

CLEAR = (TypeError, ValueError, RuntimeError, IndexError, NotImplementedError)


def test_registry_covers_every_public_op():
    own_f = {n for n in dir(F) if callable(getattr(F, n)) and getattr(getattr(F, n), "__module__", "").startswith("fastnn")
             and not n.startswith("_") and n not in ("forward_namespace", "require_torch")}
    own_nn = {n for n in dir(fnn) if inspect.isclass(getattr(fnn, n)) and getattr(fnn, n).__module__.startswith("fastnn")}
    assert own_f == set(FUNCTIONAL), ("unlisted", own_f - set(FUNCTIONAL), "stale", set(FUNCTIONAL) - own_f)
    assert set(ops.__all__) == set(OPS), ("unlisted", set(ops.__all__) - set(OPS), "stale", set(OPS) - set(ops.__all__))
    assert own_nn == set(MODULES), ("unlisted", own_nn - set(MODULES), "stale", set(MODULES) - own_nn)


# ---------------------------------------------------------------------------------------------- functional

def _clone(v):
    return v.clone() if isinstance(v, torch.Tensor) else v


def _call(fn, args, kwargs):
    try:
        return fn(*args, **kwargs), None
    except Exception as e:  # noqa: BLE001 -- the matrix compares whatever torch raises
        return None, e


def _same(ours, theirs, rtol=1e-5, atol=1e-5):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b, rtol, atol)
        return
    assert isinstance(ours, torch.Tensor), type(ours)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, (ours.shape, theirs.shape, ours.dtype, theirs.dtype)
    torch.testing.assert_close(ours, theirs, rtol=rtol, atol=atol, equal_nan=True)


def check_like_torch(name, args, kwargs, inplace=False, rtol=1e-5, atol=1e-5):
    """fastnn.functional.name and torch's on copies of the same arguments: same result or same error kind."""
    ta, oa = [_clone(a) for a in args], [_clone(a) for a in args]
    with warnings.catch_warnings():  # e.g. torch's broadcasting warning for mismatched loss shapes: both warn
        warnings.simplefilter("ignore")
        theirs, terr = _call(getattr(torch.nn.functional, name), ta, dict(kwargs))
        ours, oerr = _call(getattr(F, name), oa, dict(kwargs))
    if terr is not None:
        assert oerr is not None, f"torch raised {terr!r}; fastnn returned a result"
        assert isinstance(oerr, CLEAR) and str(oerr), repr(oerr)
        assert isinstance(oerr, type(terr)) or isinstance(terr, type(oerr)), (
            f"torch raised {type(terr).__name__}: {terr}; fastnn raised {type(oerr).__name__}: {oerr}")
        return
    assert oerr is None, f"torch gave a result; fastnn raised {oerr!r}"
    _same(ours, theirs, rtol, atol)
    if inplace:
        _same(oa[0], ta[0], rtol, atol)


def _layouts(x):
    """Views of x's values with awkward strides (same shape)."""
    out = {"contiguous": x}
    if x.dim() >= 2:
        out["transposed"] = x.transpose(-1, -2).contiguous().transpose(-1, -2)
        big = torch.zeros(*x.shape[:-1], 2 * x.shape[-1])
        big[..., ::2] = x
        out["sliced"] = big[..., ::2]
        out["expanded"] = x[:1].expand_as(x) if x.shape[0] > 1 else x.expand_as(x)
    if x.dim() == 4:
        out["channels_last"] = x.contiguous(memory_format=torch.channels_last)
    flat = torch.zeros(x.numel() + 1)
    flat[1:] = x.reshape(-1)
    out["offset_by_one"] = flat[1:].view(x.shape)  # a data pointer 4 bytes past 64-byte alignment
    return out


def _first_dim(spec):
    return spec.make()[0][0].dim()


def _tensor_count(spec):
    return sum(isinstance(a, torch.Tensor) for a in spec.make()[0])


LAYOUT_CASES = [(n, lay) for n, spec in FUNCTIONAL.items()
                for lay in ("transposed", "sliced", "expanded", "offset_by_one")
                + (("channels_last",) if _first_dim(spec) == 4 else ())]


@pytest.mark.parametrize("name,layout", LAYOUT_CASES)
def test_functional_layouts(name, layout):
    spec = FUNCTIONAL[name]
    torch.manual_seed(0)
    args, kwargs = spec.make()
    x = _layouts(args[0])[layout]
    if spec.inplace and layout == "expanded":
        x = x.clone()  # torch refuses in-place writes through stride 0; a clone has the same values
    check_like_torch(name, (x,) + tuple(args[1:]), kwargs, spec.inplace)


@pytest.mark.parametrize("name", list(FUNCTIONAL))
def test_functional_layouts_of_other_arguments(name):
    """Every tensor argument, not only the first, transposed/sliced where it has two dims."""
    spec = FUNCTIONAL[name]
    torch.manual_seed(1)
    args, kwargs = spec.make()
    for i in range(1, len(args)):
        if isinstance(args[i], torch.Tensor) and args[i].dim() >= 2:
            for lay in ("transposed", "sliced", "offset_by_one"):
                a = list(args)
                a[i] = _layouts(args[i])[lay]
                check_like_torch(name, tuple(a), kwargs, spec.inplace)


@pytest.mark.parametrize("name,dtype", [(n, d) for n in FUNCTIONAL for d in ("float64", "int64", "float16", "mixed")])
def test_functional_dtypes(name, dtype):
    spec = FUNCTIONAL[name]
    torch.manual_seed(2)
    args, kwargs = spec.make()
    args = list(args)
    if dtype == "mixed":  # the first tensor float64, the others as made
        args[0] = args[0].double()
    else:
        args = [a.to(getattr(torch, dtype)) if isinstance(a, torch.Tensor) and a.is_floating_point() else a
                for a in args]
    if dtype == "int64":
        args[0] = (args[0] * 3).round()
        args[0] = args[0].to(torch.int64)
    tol = 1e-2 if dtype == "float16" else 1e-5
    check_like_torch(name, tuple(args), kwargs, spec.inplace, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", list(FUNCTIONAL))
def test_functional_empty_and_0d(name):
    spec = FUNCTIONAL[name]
    torch.manual_seed(3)
    args, kwargs = spec.make()
    empty = [a[:0] if isinstance(a, torch.Tensor) and a.dim() >= 1 and a.shape[0] == args[0].shape[0] else a
             for a in args]
    check_like_torch(name, tuple(empty), kwargs, spec.inplace)
    zero_d = [a.reshape(-1)[0] if isinstance(a, torch.Tensor) else a for a in args]
    check_like_torch(name, tuple(zero_d), kwargs, spec.inplace)


@pytest.mark.parametrize("name", list(FUNCTIONAL))
def test_functional_nan_inf(name):
    spec = FUNCTIONAL[name]
    torch.manual_seed(4)
    args, kwargs = spec.make()
    x = args[0].clone()
    flat = x.view(-1)
    flat[0], flat[1], flat[2] = math.nan, math.inf, -math.inf
    check_like_torch(name, (x,) + tuple(args[1:]), kwargs, spec.inplace)


@pytest.mark.parametrize("name", [n for n, spec in FUNCTIONAL.items() if _tensor_count(spec) >= 2])
def test_functional_shape_mismatch(name):
    spec = FUNCTIONAL[name]
    torch.manual_seed(5)
    args, kwargs = spec.make()
    tensors = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor)]
    for i in tensors[1:]:
        a = list(args)
        a[i] = a[i][..., :-1] if a[i].dim() >= 1 and a[i].shape[-1] > 1 else a[i][:-1]
        check_like_torch(name, tuple(a), kwargs, spec.inplace)


@pytest.mark.parametrize("name,bad", [(n, b) for n, s in FUNCTIONAL.items() for b in s.bad_hparams])
def test_functional_invalid_hyperparameters(name, bad):
    torch.manual_seed(6)
    args, kwargs = FUNCTIONAL[name].make()
    check_like_torch(name, args, {**kwargs, **bad})


@pytest.mark.parametrize("name,mixed", [(n, m) for n in FUNCTIONAL for m in (False, True)])
def test_functional_meta_device(name, mixed):
    """Tensors with no storage (device 'meta'; mixed: only the first, the others on the CPU): torch's result
    (shapes only) or an error, never a crash or a read of the missing storage."""
    torch.manual_seed(7)
    args, kwargs = FUNCTIONAL[name].make()
    meta = [a.to("meta") if isinstance(a, torch.Tensor) and (i == 0 or not mixed) else a for i, a in enumerate(args)]
    theirs, terr = _call(getattr(torch.nn.functional, name), meta, dict(kwargs))
    ours, oerr = _call(getattr(F, name), meta, dict(kwargs))
    if terr is None and oerr is None:
        assert ours.shape == theirs.shape and ours.device.type == "meta"
    else:
        assert oerr is not None and isinstance(oerr, CLEAR), (terr, oerr)


@pytest.mark.parametrize("name", [n for n in FUNCTIONAL if FUNCTIONAL[n].inplace])
def test_functional_inplace_on_leaf_requiring_grad(name):
    args, kwargs = FUNCTIONAL[name].make()
    leaf = args[0].clone().requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(torch.nn.functional, name)(leaf, *args[1:], **kwargs)
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(F, name)(leaf, *args[1:], **kwargs)


@pytest.mark.parametrize("name", [n for n, spec in FUNCTIONAL.items() if not spec.inplace and n != "dropout"])
def test_functional_gradients_through_views(name):
    """Backward through a non-contiguous input view gives torch's gradient (in-place ops and dropout's
    random mask aside: their gradients are tested in test_functional_nn.py and test_dropout.py)."""
    spec = FUNCTIONAL[name]
    torch.manual_seed(8)
    args, kwargs = spec.make()
    base = _layouts(args[0]).get("transposed", args[0])
    grads = []
    for fn in (getattr(torch.nn.functional, name), getattr(F, name)):
        x = base.detach().clone().requires_grad_() if base.is_contiguous() else \
            base.detach().transpose(-1, -2).contiguous().requires_grad_()
        xin = x if base.is_contiguous() else x.transpose(-1, -2)
        out = fn(xin, *args[1:], **kwargs)
        (out[0] if isinstance(out, tuple) else out).sum().backward()
        grads.append(x.grad)
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------- modules

@pytest.mark.parametrize("name", list(MODULES))
def test_modules_on_awkward_inputs(name):
    spec = MODULES[name]
    torch.manual_seed(9)
    ours = getattr(fnn, name)(*spec.args, **spec.kwargs)
    theirs = getattr(torch.nn, name)(*spec.args, **spec.kwargs)
    theirs.load_state_dict(ours.state_dict())
    x = spec.make_input()
    extra = (spec.target(),) if spec.target else ()
    for lay, v in _layouts(x).items():
        if lay == "expanded" and x.dim() < 2:
            continue
        for dtype in (torch.float32, torch.float64):
            ours.to(dtype), theirs.to(dtype)
            vin = v.to(dtype)
            ex = tuple(e.to(dtype) if e.is_floating_point() else e for e in extra)
            a, aerr = _call(ours, (vin,) + ex, {})
            b, berr = _call(theirs, (vin,) + ex, {})
            assert (aerr is None) == (berr is None), (lay, dtype, aerr, berr)
            if aerr is None:
                torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5, equal_nan=True)
        ours.float(), theirs.float()


# ---------------------------------------------------------------------------------------------- fastnn.ops

def _run_op(name, args, kwargs):
    return getattr(ops, name)(*args, **kwargs)


def assert_ops_error(e):
    """An error of fastnn's array API: its message starts "fastnn.ops.<op>: ", from Python or C++ alike."""
    assert str(e).startswith("fastnn.ops."), repr(e)


def _to_numpy_layout(t, layout):
    a = t.numpy()
    if a.ndim == 0:
        return a.copy()
    if layout == "negative_stride":
        b = np.ascontiguousarray(a[::-1])
        return b[::-1]
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "misaligned":
        buf = np.zeros(a.size * a.itemsize + 1, np.uint8)
        v = buf[1:].view(a.dtype).reshape(a.shape)
        v[...] = a
        return v
    if layout == "read_only":
        b = a.copy()
        b.flags.writeable = False
        return b
    return a.copy()


def _results(out):
    if out is None:
        return []
    if isinstance(out, tuple):
        return [np.asarray(o) if not isinstance(o, torch.Tensor) else o.numpy() for o in out]
    return [out.numpy() if isinstance(out, torch.Tensor) else np.asarray(out)]


def _clean(name, spec):
    torch.manual_seed(10)
    args, kwargs = spec.make()
    return args, kwargs


OP_LAYOUTS = ["negative_stride", "fortran", "misaligned", "read_only", "transposed_torch", "expanded_torch"]


@pytest.mark.parametrize("name,layout", [(n, lay) for n, s in OPS.items() if s.tensors for lay in OP_LAYOUTS])
def test_ops_layouts(name, layout):
    """Every tensor argument in an awkward layout at once: the clean result, or a clear error for a write target."""
    spec = OPS[name]
    args, kwargs = _clean(name, spec)
    expect_args = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
    expected = _results(_run_op(name, expect_args, dict(kwargs)))
    if spec.writes is not None:
        expected = [expect_args[spec.writes].numpy()]
    got_args = list(args)
    for i in spec.tensors:
        t = args[i]
        if layout == "transposed_torch":
            got_args[i] = t.transpose(-1, -2).contiguous().transpose(-1, -2) if t.dim() >= 2 else t
        elif layout == "expanded_torch":
            got_args[i] = t[:1].expand_as(t) if t.dim() >= 2 else t
            expect_args = None
        else:
            got_args[i] = _to_numpy_layout(t, layout)
    if layout == "expanded_torch":  # new values: the clean result of the same values
        ea = [a.contiguous().clone() if isinstance(a, torch.Tensor) else a for a in got_args]
        expected = _results(_run_op(name, ea, dict(kwargs)))
        if spec.writes is not None:
            expected = [ea[spec.writes].numpy()]
    writes_bad = spec.writes is not None and layout in ("read_only", "expanded_torch")
    try:
        out = _run_op(name, got_args, dict(kwargs))
    except CLEAR as e:
        assert_ops_error(e)
        assert writes_bad, f"{name} refused a valid {layout} input: {e!r}"
        return
    assert not writes_bad, f"{name} wrote through a {layout} input"
    got = [np.asarray(got_args[spec.writes])] if spec.writes is not None else _results(out)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,case", [(n, c) for n, s in OPS.items() if s.tensors
                                       for c in ("int64", "float16", "mixed", "meta", "empty", "nan", "0-d")
                                       + (("shape",) if len(s.tensors) >= 2 else ())])
def test_ops_bad_values(name, case):
    """dtype, device, shape, empty and NaN cases: a clear error, or (empty, NaN, float64) a sane result."""
    spec = OPS[name]
    args, kwargs = _clean(name, spec)
    args = list(args)
    first = spec.tensors[0]
    if case == "int64":
        args[first] = args[first].round().to(torch.int64)
    elif case == "float16":
        args[first] = args[first].half()
    elif case == "mixed":
        args[first] = args[first].double()
    elif case == "meta":
        args[first] = args[first].to("meta")
    elif case == "shape":
        i, d = spec.mismatch or (next(j for j in spec.tensors if args[j].dim() > 0), -1)
        args[i] = args[i].narrow(d, 0, args[i].shape[d] - 1)
    elif case == "empty":
        n0 = args[first].shape[0] if args[first].dim() else None
        args = [a[:0] if isinstance(a, torch.Tensor) and a.dim() >= 1 and a.shape[0] == n0 and n0 else a for a in args]
    elif case == "0-d":
        args[first] = args[first].reshape(-1)[0].clone()
    elif case == "nan":
        x = args[first].clone()
        if x.is_floating_point() and x.numel() >= 3:
            x.view(-1)[:3] = torch.tensor([math.nan, math.inf, -math.inf])
        args[first] = x
    try:
        out = _run_op(name, args, dict(kwargs))
    except CLEAR as e:
        assert_ops_error(e)
        assert case != "nan" or spec.nan_error, f"{name} refused NaN/Inf values: {e!r}"
        return
    assert case in ("empty", "nan", "mixed", "0-d"), f"{name} accepted a {case} input"
    for r in _results(out):
        assert r.dtype.kind in "fiub", r.dtype
    if case == "0-d" and len(spec.tensors) == 1:  # an elementwise op: the 1-element result, as a 0-d array
        one = list(args)
        one[first] = args[first].reshape(1)
        r, e = _results(out)[0], _results(_run_op(name, one, dict(kwargs)))[0]  # (dropout: y; its mask is bytes)
        assert r.shape == () and r.reshape(1) == e.reshape(1), (r, e)
    # (NaN/Inf results are compared with torch's through fastnn.functional: test_functional_nan_inf)


@pytest.mark.parametrize("name,bad", [(n, b) for n, s in OPS.items() for b in s.bad_hparams])
def test_ops_invalid_hyperparameters(name, bad):
    args, kwargs = _clean(name, OPS[name])
    sig = inspect.signature(getattr(ops, name))
    args = list(args)
    kw = dict(kwargs)
    for k, v in bad.items():
        pos = list(sig.parameters).index(k)
        if pos < len(args):
            args[pos] = v
        else:
            kw[k] = v
    with pytest.raises(CLEAR) as info:
        _run_op(name, args, kw)
    assert_ops_error(info.value)


@pytest.mark.parametrize("name", [n for n, s in OPS.items() if s.has_out])
def test_ops_out_aliasing_input(name):
    """out= the first input: the in-place result, or a clear refusal; never a half-written mix."""
    spec = OPS[name]
    args, kwargs = _clean(name, spec)
    expected = _results(_run_op(name, [a.clone() if isinstance(a, torch.Tensor) else a for a in args], dict(kwargs)))
    x = args[0].clone()
    a = [x] + list(args[1:])
    try:
        _run_op(name, a, {**kwargs, "out": x})
    except CLEAR as e:
        assert_ops_error(e)
        return
    np.testing.assert_allclose(x.numpy(), expected[0], rtol=1e-5, atol=1e-6)


OPTIM_CASES = ["non_contiguous_param", "read_only_param", "shape_mismatch", "mixed_dtype", "int_param",
               "meta_param", "length_mismatch"]


@pytest.mark.parametrize("name,case", [(n, c) for n in OPS if n.endswith("_step") for c in OPTIM_CASES])
def test_optimizer_steps_refuse_bad_state(name, case):
    """The optimizer steps write their params and state in place: anything they cannot write exactly raises."""
    args, kwargs = _clean(name, OPS[name])
    params, grads = args[0], args[1]
    if case == "non_contiguous_param":
        params[0] = torch.zeros(7, 10)[:, ::2]
    elif case == "read_only_param":
        args = [[t.numpy() for t in a] if isinstance(a, list) and a and isinstance(a[0], torch.Tensor) else a
                for a in args]
        args[0][0].flags.writeable = False
    elif case == "shape_mismatch":
        grads[0] = torch.zeros(7, 4)
    elif case == "mixed_dtype":
        grads[0] = grads[0].double()
    elif case == "int_param":
        params[0] = params[0].to(torch.int32)
    elif case == "meta_param":
        params[0] = params[0].to("meta")
    elif case == "length_mismatch":
        grads.pop()
    with pytest.raises(CLEAR) as info:
        _run_op(name, args, dict(kwargs))
    assert_ops_error(info.value)


@pytest.mark.parametrize("name", [n for n in OPS if n.endswith("_step")])
def test_optimizer_steps_accept_clean_state(name):
    args, kwargs = _clean(name, OPS[name])
    before = [p.clone() for p in args[0]]
    _run_op(name, args, dict(kwargs))
    assert all(not torch.equal(b, p) for b, p in zip(before, args[0]))


@pytest.mark.parametrize("name", list(FUNCTIONAL))
def test_functional_denormal_inputs(name):
    """Inputs that are all float32 denormals: torch's results to a few denormal steps (no FTZ/DAZ on either side)."""
    spec = FUNCTIONAL[name]
    torch.manual_seed(11)
    args, kwargs = spec.make()
    x = args[0] * 1e-39
    if name == "binary_cross_entropy":
        x = x.abs()
    check_like_torch(name, (x,) + tuple(args[1:]), kwargs, spec.inplace, rtol=1e-5, atol=8e-45)


def test_every_op_works_as_the_first_call_of_a_process():
    """Each op as the first fastnn call with torch tensors (lazily built tables empty): found the loss ops
    failing with KeyError: torch.float32 in a fresh process (the dtype table was filled by other ops only)."""
    from helpers import run_python
    r = run_python("""
        import torch, fastnn.ops as ops
        from fastnn.ops import _interop
        from op_registry import OPS
        failed = []
        for name, spec in OPS.items():
            _interop._TORCH_DTYPES.clear()
            torch.manual_seed(0)
            args, kwargs = spec.make()
            try:
                getattr(ops, name)(*args, **kwargs)
            except Exception as e:
                failed.append(f"{name}: {e!r}")
        print("FAILED" if failed else "OK", failed)
    """)
    assert r.returncode == 0 and r.stdout.startswith("OK"), r.stdout + r.stderr


# ------------------------------------------------------------------------------------------ error messages

# One convention for the array API: "fastnn.ops.<public op>: ...", whether Python or the C++ ops layer (through
# the bindings' error translator) raises it; the drop-in layers' fast routes, which call fastnn._C directly,
# raise the same. (label, call, exception, message start, a word the message must hold in the op's terms)
_x = torch.ones
MESSAGE_CASES = [
    ("ops.conv2d (C++)", lambda: ops.conv2d(_x(1, 2, 3, 3), _x(4, 2, 5, 5)), RuntimeError, "fastnn.ops.conv2d: ",
     "can't be greater"),
    ("F.conv2d fast route", lambda: F.conv2d(_x(1, 3, 8, 8), _x(4, 2, 3, 3)), RuntimeError, "fastnn.ops.conv2d: ",
     "channels"),
    ("nn.Conv2d", lambda: fnn.Conv2d(3, 4, 3)(_x(1, 2, 8, 8)), RuntimeError, "fastnn.ops.conv2d: ", "3 channels"),
    ("ops.conv2d_backward (C++)", lambda: ops.conv2d_backward(_x(1, 4, 5, 5), _x(1, 2, 8, 8), _x(4, 2, 3, 3)),
     RuntimeError, "fastnn.ops.conv2d_backward: ", "grad_output"),
    ("ops.matmul", lambda: ops.matmul(_x(2, 3), _x(4, 5)), RuntimeError, "fastnn.ops.matmul: ", "cannot be multiplied"),
    ("ops.matmul kernel= (C++ registry)", lambda: ops.matmul(_x(2, 3), _x(3, 5), kernel="no_such_kernel"), ValueError,
     "fastnn.ops.matmul: ", "no kernel named 'no_such_kernel'"),
    ("ops.linear", lambda: ops.linear(_x(2, 7), _x(3, 10)), RuntimeError, "fastnn.ops.linear: ", "in_features=10"),
    ("F.linear fast route", lambda: F.linear(_x(2, 7), _x(3, 10)), RuntimeError, "fastnn.ops.linear: ",
     "in_features=10"),
    ("F.linear bias", lambda: F.linear(_x(2, 10), _x(3, 10), _x(4)), RuntimeError, "fastnn.ops.linear: ", "'bias'"),
    ("nn.Linear", lambda: fnn.Linear(10, 3)(torch.randn(2, 7)), RuntimeError, "fastnn.ops.linear: ",
     "last dimension is 7 but weight has in_features=10"),
    ("_C.linear_backward (C++)", lambda: fastnn._C.linear_backward(
        np.ones((2, 3), np.float32), np.ones((2, 4), np.float32), np.ones((3, 5), np.float32), None, None, None, ""),
     RuntimeError, "fastnn.ops.linear_backward: ", "in_features=5"),
    ("ops.max_pool2d (C++)", lambda: ops.max_pool2d(_x(1, 1, 2, 2), 3), RuntimeError, "fastnn.ops.max_pool2d: ",
     "too small"),
    ("nn.MaxPool2d", lambda: fnn.MaxPool2d(3)(_x(1, 1, 2, 2)), RuntimeError, "fastnn.ops.max_pool2d: ", "too small"),
    ("ops.avg_pool2d", lambda: ops.avg_pool2d(_x(1, 1, 4, 4), 2, divisor_override=0), RuntimeError,
     "fastnn.ops.avg_pool2d: ", "divisor"),
    ("ops.cross_entropy (C++)", lambda: ops.cross_entropy(torch.randn(3, 4), torch.tensor([0, 1, 9])), IndexError,
     "fastnn.ops.cross_entropy: ", "Target 9"),
    ("F.cross_entropy", lambda: F.cross_entropy(torch.randn(3, 4), torch.tensor([0, 1, 9])), IndexError,
     "fastnn.ops.cross_entropy: ", "Target 9"),
    ("ops.batch_norm (C++)", lambda: ops.batch_norm(_x(2, 3, 4), training=False), RuntimeError,
     "fastnn.ops.batch_norm: ", "running_mean"),
    ("nn.BatchNorm2d", lambda: fnn.BatchNorm2d(3)(_x(2, 4, 5, 5)), RuntimeError, "fastnn.ops.batch_norm: ", "4"),
    ("ops.lstm_layer (C++)", lambda: ops.lstm_layer(_x(3, 2, 4), _x(20, 4), _x(20, 6)), RuntimeError,
     "fastnn.ops.lstm_layer: ", "weight_hh"),
    ("nn.LSTM", lambda: fnn.LSTM(4, 5)(_x(3, 2, 6)), RuntimeError, "fastnn.ops.lstm_layer: ", "input_size=4"),
    ("ops.softmax (C++)", lambda: ops.softmax(_x(2, 3), 5), IndexError, "fastnn.ops.softmax: ", "dimension"),
    ("ops.leaky_relu kernel= (C++)", lambda: ops.leaky_relu(np.ones(3), kernel="activation_f32__ref"), ValueError,
     "fastnn.ops.leaky_relu: ", "float64"),
    ("ops.elu_backward (C++)", lambda: ops.elu_backward(np.ones(3), np.ones(3), is_result=True,
                                                        kernel="activation_f32__ref"), ValueError,
     "fastnn.ops.elu_backward: ", "float64"),
    ("ops.mse_loss kernel= (C++)", lambda: ops.mse_loss(np.ones(3), np.ones(3), kernel="loss_f32__ref"), ValueError,
     "fastnn.ops.mse_loss: ", "float64"),
    ("ops.adam_step (C++)", lambda: ops.adam_step([_x(3)], [_x(3)], [_x(3)], [_x(3)], [1], lr=-1.0), ValueError,
     "fastnn.ops.adam_step: ", "learning rate"),
    ("ops.adamw_step (C++)", lambda: ops.adamw_step([_x(3)], [_x(3)], [_x(3)], [_x(3)], [1], lr=-1.0), ValueError,
     "fastnn.ops.adamw_step: ", "learning rate"),
    ("F.relu_ on an expanded view", lambda: F.relu_(_x(1, 3).expand(2, 3)), RuntimeError, "fastnn.ops.relu_: ",
     "expanded"),
]


@pytest.mark.parametrize("label,fn,exc,start,words", MESSAGE_CASES, ids=[c[0] for c in MESSAGE_CASES])
def test_errors_name_the_public_op(label, fn, exc, start, words):
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value).startswith(start), str(info.value)
    assert words in str(info.value), str(info.value)


def test_errors_of_fastnn_outside_the_array_api_are_not_filed_under_fastnn_ops():
    """The translator qualifies only a bare op name: others keep their own (here fastnn.set_num_threads's)."""
    with pytest.raises(ValueError, match=r"^fastnn\.set_num_threads: expected a number of threads >= 1, got 0$"):
        fastnn._C.set_num_threads(0)
    with pytest.raises(ValueError, match=r"^no activation named 'no_such'"):  # fastnn's internal name, not an op
        fastnn._C.activation(np.ones(3), np.ones(3), "no_such", 0.0, 0.0, "")
