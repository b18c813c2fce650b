"""LSTM, GRU and RNN against torch: the layer ops (every cell kernel variant, both directions, with and
without initial states and biases, empty sequences), nn.LSTM / GRU / RNN (layers, bidirectional,
batch_first, unbatched, dropout in eval mode), the cells, state_dicts both ways, float64 gradcheck."""
import warnings

import pytest
import torch

import fastnn
import fastnn.nn as fnn
import fastnn.ops as ops
from helpers import USABLE

FAMILIES = ["rnn_cell_f32"]  # claimed for tests/test_registry.py
CELL_KERNELS = [k["name"] for k in fastnn.list_kernels() if k["family"] == "rnn_cell_f32"]


def _close(a, b, tol=1e-4):
    torch.testing.assert_close(a, b, rtol=tol, atol=tol)


def _torch_layer(x, w_ih, w_hh, b, h0, c0, reverse):
    """A one-layer torch LSTM with these weights (b as b_ih, zero b_hh), run on x (T, B, I)."""
    H = w_hh.shape[1]
    m = torch.nn.LSTM(x.shape[2], H, bias=True, dtype=x.dtype)
    with torch.no_grad():
        m.weight_ih_l0.copy_(w_ih)
        m.weight_hh_l0.copy_(w_hh)
        m.bias_ih_l0.copy_(b if b is not None else torch.zeros(4 * H, dtype=x.dtype))
        m.bias_hh_l0.zero_()
    xs = x.flip(0) if reverse else x
    hx = None if h0 is None else (h0.unsqueeze(0), c0.unsqueeze(0))
    out, (hn, cn) = m(xs, hx)
    return (out.flip(0) if reverse else out), hn[0], cn[0], m


@pytest.mark.parametrize("kernel", CELL_KERNELS)
@pytest.mark.parametrize("T,B,I,H", [(5, 3, 4, 6), (1, 1, 3, 17), (9, 2, 33, 16), (4, 5, 8, 40)])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_lstm_layer_ops_match_torch(kernel, T, B, I, H, reverse, with_state):
    if kernel not in USABLE:
        pytest.skip(f"{kernel} needs an ISA level this CPU lacks")
    torch.manual_seed(T * 100 + H)
    x, w_ih, w_hh, b = torch.randn(T, B, I), torch.randn(4 * H, I) * 0.5, torch.randn(4 * H, H) * 0.5, torch.randn(4 * H)
    h0, c0 = (torch.randn(B, H), torch.randn(B, H)) if with_state else (None, None)
    h_all, c_all, act = ops.lstm_layer(x, w_ih, w_hh, b, h0, c0, reverse, kernel=kernel)
    xr = x.clone().requires_grad_()
    h0r = h0.clone().requires_grad_() if with_state else None
    c0r = c0.clone().requires_grad_() if with_state else None
    out, hn, cn, m = _torch_layer(xr, w_ih, w_hh, b, h0r, c0r, reverse)
    _close(h_all, out)
    last = 0 if reverse else T - 1
    _close(h_all[last], hn)
    _close(c_all[last], cn)
    g, ghn, gcn = torch.randn(T, B, H), torch.randn(B, H), torch.randn(B, H)
    (out * g).sum().add_((hn * ghn).sum()).add_((cn * gcn).sum()).backward()
    dx, dwi, dwh, db, dh0, dc0 = ops.lstm_layer_backward(x, w_ih, w_hh, h0, c0, h_all, c_all, act, g, ghn, gcn,
                                                         reverse, kernel=kernel)
    _close(dx, xr.grad)
    _close(dwi, m.weight_ih_l0.grad, 1e-3)
    _close(dwh, m.weight_hh_l0.grad, 1e-3)
    _close(db, m.bias_ih_l0.grad, 1e-3)
    if with_state:
        _close(dh0, h0r.grad)
        _close(dc0, c0r.grad)


def _pair(cls, *args, **kwargs):
    torch.manual_seed(7)
    ours = getattr(fnn, cls)(*args, **kwargs)
    theirs = getattr(torch.nn, cls)(*args, **kwargs)
    theirs.load_state_dict(ours.state_dict())
    return ours, theirs


LSTM_CASES = [
    dict(num_layers=1), dict(num_layers=2), dict(num_layers=2, bidirectional=True), dict(batch_first=True),
    dict(num_layers=3, bidirectional=True, batch_first=True, dropout=0.3), dict(bias=False, bidirectional=True),
]


@pytest.mark.parametrize("kwargs", LSTM_CASES)
@pytest.mark.parametrize("with_state", [False, True])
def test_lstm_module_like_torch(kwargs, with_state):
    ours, theirs = _pair("LSTM", 6, 5, **kwargs)
    ours.eval(), theirs.eval()  # dropout (between layers) only in training: compared in eval mode
    dirs = 2 if kwargs.get("bidirectional") else 1
    T, B = 7, 3
    x = torch.randn(B, T, 6) if kwargs.get("batch_first") else torch.randn(T, B, 6)
    hx = (torch.randn(kwargs.get("num_layers", 1) * dirs, B, 5), torch.randn(kwargs.get("num_layers", 1) * dirs, B, 5)) \
        if with_state else None
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ha = tuple(h.clone().requires_grad_() for h in hx) if hx else None
    hb = tuple(h.clone().requires_grad_() for h in hx) if hx else None
    oa, (hna, cna) = ours(xa, ha)
    ob, (hnb, cnb) = theirs(xb, hb)
    _close(oa, ob)
    _close(hna, hnb)
    _close(cna, cnb)
    g = torch.randn_like(oa)
    ((oa * g).sum() + hna.sum() + 2 * cna.sum()).backward()
    ((ob * g).sum() + hnb.sum() + 2 * cnb.sum()).backward()
    _close(xa.grad, xb.grad)
    if hx:
        _close(ha[0].grad, hb[0].grad)
        _close(ha[1].grad, hb[1].grad)
    for (na, pa), (nb, pb) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert na == nb
        _close(pa.grad, pb.grad, 1e-3)


@pytest.mark.parametrize("cls,features,p", [("LSTM", 4, 0.5), ("GRU", 3, 0.3)])
def test_training_with_dropout_runs_and_learns(cls, features, p):
    """Two layers with dropout between them in training mode (fastnn's dropout), 60 Adam steps: the loss
    halves."""
    torch.manual_seed(0)
    m = getattr(fnn, cls)(features, 8, num_layers=2, dropout=p)
    head = torch.nn.Linear(8, 1)
    opt = torch.optim.Adam(list(m.parameters()) + list(head.parameters()), lr=0.02)
    x = torch.randn(10, 16, features)
    y = x.sum((0, 2)).unsqueeze(1) / 10
    losses = []
    for _ in range(60):
        opt.zero_grad()
        out, _ = m(x)
        loss = torch.nn.functional.mse_loss(head(out[-1]), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_unbatched_input_and_fallbacks():
    ours, theirs = _pair("LSTM", 3, 4)
    x = torch.randn(6, 3)
    _close(ours(x)[0], theirs(x)[0])
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.randn(5, 2, 3), [5, 3])
    _close(ours(packed)[0].data, theirs(packed)[0].data)  # torch's path
    proj_ours, proj_theirs = _pair("LSTM", 3, 4, proj_size=2)
    with warnings.catch_warnings():  # torch: "LSTM with projections is not supported with oneDNN"
        warnings.simplefilter("ignore", UserWarning)
        _close(proj_ours(x)[0], proj_theirs(x)[0])


@pytest.mark.parametrize("unbatched", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_lstm_cell_like_torch(unbatched, bias):
    ours, theirs = _pair("LSTMCell", 5, 7, bias=bias)
    x = torch.randn(5) if unbatched else torch.randn(4, 5)
    shape = (7,) if unbatched else (4, 7)
    hx = (torch.randn(*shape), torch.randn(*shape))
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ha, ca = ours(xa, hx)
    hb, cb = theirs(xb, hx)
    _close(ha, hb)
    _close(ca, cb)
    (ha.sum() + 3 * ca.sum()).backward()
    (hb.sum() + 3 * cb.sum()).backward()
    _close(xa.grad, xb.grad)
    for pa, pb in zip(ours.parameters(), theirs.parameters()):
        _close(pa.grad, pb.grad, 1e-3)
    _close(ours(x)[0], theirs(x)[0])  # no state: zeros


@pytest.mark.parametrize("cls,args,kwargs", [("LSTM", (4, 6), dict(num_layers=2, bidirectional=True)),
                                             ("LSTMCell", (4, 6), {})])
def test_state_dicts_round_trip_with_torch(cls, args, kwargs):
    ours, theirs = _pair(cls, *args, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    back = getattr(fnn, cls)(*args, **kwargs)
    back.load_state_dict(theirs.state_dict())
    for k, v in theirs.state_dict().items():
        torch.testing.assert_close(back.state_dict()[k], v)


def test_float64_gradcheck():
    torch.manual_seed(3)
    m = fnn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    x = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(4, 2, 4, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(4, 2, 4, dtype=torch.float64, requires_grad=True)

    def f(x, h0, c0):
        out, (hn, cn) = m(x, (h0, c0))
        return out, hn, cn

    assert torch.autograd.gradcheck(f, (x, h0, c0))


# ---- GRU (fused layer) and RNN (composed per step from fastnn's functional kernels)

def _torch_gru_layer(x, w_ih, w_hh, b_ih, b_hh, h0, reverse):
    H = w_hh.shape[1]
    m = torch.nn.GRU(x.shape[2], H, bias=b_ih is not None, dtype=x.dtype)
    with torch.no_grad():
        m.weight_ih_l0.copy_(w_ih)
        m.weight_hh_l0.copy_(w_hh)
        if b_ih is not None:
            m.bias_ih_l0.copy_(b_ih)
            m.bias_hh_l0.copy_(b_hh)
    xs = x.flip(0) if reverse else x
    out, hn = m(xs, None if h0 is None else h0.unsqueeze(0))
    return (out.flip(0) if reverse else out), hn[0], m


@pytest.mark.parametrize("kernel", CELL_KERNELS)
@pytest.mark.parametrize("T,B,I,H", [(5, 3, 4, 6), (1, 1, 3, 17), (9, 2, 33, 16), (4, 5, 8, 40)])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("with_state,bias", [(False, True), (True, True), (True, False)])
def test_gru_layer_ops_match_torch(kernel, T, B, I, H, reverse, with_state, bias):
    if kernel not in USABLE:
        pytest.skip(f"{kernel} needs an ISA level this CPU lacks")
    torch.manual_seed(T * 100 + H + 7)
    x, w_ih, w_hh = torch.randn(T, B, I), torch.randn(3 * H, I) * 0.5, torch.randn(3 * H, H) * 0.5
    b_ih, b_hh = (torch.randn(3 * H), torch.randn(3 * H)) if bias else (None, None)
    h0 = torch.randn(B, H) if with_state else None
    h_all, act = ops.gru_layer(x, w_ih, w_hh, b_ih, b_hh, h0, reverse, kernel=kernel)
    xr = x.clone().requires_grad_()
    h0r = h0.clone().requires_grad_() if with_state else None
    out, hn, m = _torch_gru_layer(xr, w_ih, w_hh, b_ih, b_hh, h0r, reverse)
    _close(h_all, out)
    _close(h_all[0 if reverse else T - 1], hn)
    g, ghn = torch.randn(T, B, H), torch.randn(B, H)
    ((out * g).sum() + (hn * ghn).sum()).backward()
    dx, dwi, dwh, dbi, dbh, dh0 = ops.gru_layer_backward(x, w_ih, w_hh, h0, h_all, act, g, ghn, reverse,
                                                         kernel=kernel)
    _close(dx, xr.grad)
    _close(dwi, m.weight_ih_l0.grad, 1e-3)
    _close(dwh, m.weight_hh_l0.grad, 1e-3)
    if bias:
        _close(dbi, m.bias_ih_l0.grad, 1e-3)
        _close(dbh, m.bias_hh_l0.grad, 1e-3)
    if with_state:
        _close(dh0, h0r.grad)
    # only the output sequence's gradient, or only the final state's
    dx2 = ops.gru_layer_backward(x, w_ih, w_hh, h0, h_all, act, None, ghn, reverse, kernel=kernel)[0]
    xr.grad = None
    out, hn, _ = _torch_gru_layer(xr, w_ih, w_hh, b_ih, b_hh, h0, reverse)
    (hn * ghn).sum().backward()
    _close(dx2, xr.grad)


def test_gru_layer_empty_and_bad_shapes():
    x, w_ih, w_hh = torch.zeros(0, 2, 3), torch.randn(12, 3), torch.randn(12, 4)
    h_all, act = ops.gru_layer(x, w_ih, w_hh)
    assert h_all.shape == (0, 2, 4) and act.shape == (0, 2, 16)
    ghn = torch.randn(2, 4)
    dx, dwi, dwh, dbi, dbh, dh0 = ops.gru_layer_backward(x, w_ih, w_hh, None, h_all, act, None, ghn)
    assert torch.equal(dh0, ghn) and not dwi.any() and not dbh.any() and dx.shape == (0, 2, 3)
    with pytest.raises(RuntimeError, match="weight_hh"):
        ops.gru_layer(torch.zeros(2, 2, 3), w_ih, torch.randn(16, 4))
    with pytest.raises(RuntimeError, match="bias_hh"):
        ops.gru_layer(torch.zeros(2, 2, 3), w_ih, w_hh, torch.zeros(12), torch.zeros(11))
    with pytest.raises(TypeError):
        ops.gru_layer(torch.zeros(2, 2, 3, dtype=torch.float64), w_ih, w_hh)


STEPPED_CASES = [("GRU", dict(num_layers=1)), ("GRU", dict(num_layers=2, bidirectional=True, batch_first=True)),
                 ("GRU", dict(bias=False)), ("RNN", dict(nonlinearity="tanh", num_layers=2)),
                 ("RNN", dict(nonlinearity="relu", bidirectional=True)), ("RNN", dict(batch_first=True, bias=False))]


@pytest.mark.parametrize("cls,kwargs", STEPPED_CASES)
@pytest.mark.parametrize("with_state", [False, True])
def test_gru_and_rnn_modules_like_torch(cls, kwargs, with_state):
    ours, theirs = _pair(cls, 6, 5, **kwargs)
    dirs = 2 if kwargs.get("bidirectional") else 1
    T, B = 6, 3
    x = torch.randn(B, T, 6) if kwargs.get("batch_first") else torch.randn(T, B, 6)
    hx = torch.randn(kwargs.get("num_layers", 1) * dirs, B, 5) if with_state else None
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ha = hx.clone().requires_grad_() if with_state else None
    hb = hx.clone().requires_grad_() if with_state else None
    oa, hna = ours(xa, ha)
    ob, hnb = theirs(xb, hb)
    _close(oa, ob)
    _close(hna, hnb)
    g = torch.randn_like(oa)
    ((oa * g).sum() + 2 * hna.sum()).backward()
    ((ob * g).sum() + 2 * hnb.sum()).backward()
    _close(xa.grad, xb.grad)
    if with_state:
        _close(ha.grad, hb.grad)
    for (na, pa), (nb, pb) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert na == nb
        _close(pa.grad, pb.grad, 1e-3)


@pytest.mark.parametrize("cls,kwargs", [("GRUCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
                                        ("RNNCell", {"bias": False})])
@pytest.mark.parametrize("unbatched", [False, True])
def test_gru_and_rnn_cells_like_torch(cls, kwargs, unbatched):
    ours, theirs = _pair(cls, 4, 6, **kwargs)
    x = torch.randn(4) if unbatched else torch.randn(3, 4)
    h = torch.randn(6) if unbatched else torch.randn(3, 6)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya, yb = ours(xa, h), theirs(xb, h)
    _close(ya, yb)
    ya.sum().backward()
    yb.sum().backward()
    _close(xa.grad, xb.grad)
    _close(ours(x), theirs(x))


def test_gru_float64_gradcheck_and_state_dict():
    torch.manual_seed(4)
    m = fnn.GRU(3, 4, num_layers=2, bidirectional=True).double()
    x = torch.randn(3, 2, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(4, 2, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: m(x)[0], (x,))
    assert torch.autograd.gradcheck(lambda x, h0: m(x, h0), (x, h0))
    cell = fnn.GRUCell(3, 4).double()
    assert torch.autograd.gradcheck(lambda x, h0: cell(x, h0), (x[0], h0[0]))
    theirs = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True).double()
    theirs.load_state_dict(m.state_dict())
    _close(m(x)[0], theirs(x)[0])
