"""LSTM and GRU layers on arrays (numpy, CPU or CUDA tensors): one layer in one direction over a whole
sequence, forward and explicit backward (csrc/ops/rnn.h). Gates in torch's order: LSTM [i f g o] (``bias``
is b_ih + b_hh), GRU [r z n] (``bias_ih`` and ``bias_hh`` apart: the n part of b_hh is scaled by r).
fastnn.nn.LSTM / LSTMCell / GRU / GRUCell stack these into torch's modules. CUDA tensors run the CUDA
layers (cuda/rnn.cu).
"""
from __future__ import annotations

from . import _interop as io


def _operands(op, input, named, gates):
    """The validated 3-d input (T, B, I), then each named operand validated against it (None stays None);
    named starts with weight_ih and weight_hh, the latter ({gates}H, H)."""
    x = io.as_input(op, "input", input)
    if x.ndim != 3:
        raise RuntimeError(f"{op}: input must be 3-d (T, B, I), got shape {tuple(x.shape)}")
    out = [x]
    for name, v in named:
        if v is None:
            out.append(None)
            continue
        a = io.as_input(op, name, v)
        io.check_compatible(op, name, a, x, "input")
        out.append(a)
    if out[2].ndim != 2:
        raise RuntimeError(f"{op}: weight_hh must be ({gates}H, H), got shape {tuple(out[2].shape)}")
    return out


def _input_weight_grads(x, w_hh, gates, input_grad, weight_grad):
    """Outputs for a layer backward's input gradient (T, B, I) and weight gradients (gates*H, I), (gates*H, H),
    or None where not asked for."""
    t, bsz, i = x.shape
    hidden = w_hh.shape[1]
    dx = io.empty(x, (t, bsz, i)) if input_grad else None
    dwi = io.empty(x, (gates * hidden, i)) if weight_grad else None
    dwh = io.empty(x, (gates * hidden, hidden)) if weight_grad else None
    return dx, dwi, dwh


def lstm_layer(input, weight_ih, weight_hh, bias=None, h0=None, c0=None, reverse=False, *, kernel: str | None = None):
    """``(h_all, c_all, act)`` for input (T, B, I), weights (4H, I) and (4H, H), bias (4H) or None, initial
    states (B, H) or None (zeros): the output sequence, the cell states and the gate activations (the
    backward's inputs). ``reverse`` runs the steps from the last to the first (a bidirectional layer's
    second direction). ``kernel=`` forces an ``rnn_cell_f32`` variant."""
    op = "fastnn.ops.lstm_layer"
    x, w_ih, w_hh, b, h, c = _operands(op, input, (("weight_ih", weight_ih), ("weight_hh", weight_hh),
                                                   ("bias", bias), ("h0", h0), ("c0", c0)), 4)
    t, bsz, hidden = x.shape[0], x.shape[1], w_hh.shape[1]
    h_all, c_all = io.empty(x, (t, bsz, hidden)), io.empty(x, (t, bsz, hidden))
    act = io.empty(x, (t, bsz, 4 * hidden))
    io.call(op, "lstm_layer", (x, w_ih, w_hh, b, h, c, h_all, c_all, act), kernel, (bool(reverse),))
    return h_all, c_all, act


def lstm_layer_backward(input, weight_ih, weight_hh, h0, c0, h_all, c_all, act, grad_h_all=None, grad_h_n=None,
                        grad_c_n=None, reverse=False, *, input_grad=True, weight_grad=True, bias_grad=True,
                        state_grad=True, kernel: str | None = None):
    """``(grad_input, grad_weight_ih, grad_weight_hh, grad_bias, grad_h0, grad_c0)`` of :func:`lstm_layer`
    given the gradients of its output sequence (T, B, H) and of its final states (B, H) (None: zero);
    the outputs not asked for are None."""
    op = "fastnn.ops.lstm_layer_backward"
    x, w_ih, w_hh, h, c, ha, ca, a, gh, ghn, gcn = _operands(op, input, (
        ("weight_ih", weight_ih), ("weight_hh", weight_hh), ("h0", h0), ("c0", c0), ("h_all", h_all),
        ("c_all", c_all), ("act", act), ("grad_h_all", grad_h_all), ("grad_h_n", grad_h_n), ("grad_c_n", grad_c_n)), 4)
    dx, dwi, dwh = _input_weight_grads(x, w_hh, 4, input_grad, weight_grad)
    bsz, hidden = x.shape[1], w_hh.shape[1]
    db = io.empty(x, (4 * hidden,)) if bias_grad else None
    dh0 = io.empty(x, (bsz, hidden)) if state_grad else None
    dc0 = io.empty(x, (bsz, hidden)) if state_grad else None
    io.call(op, "lstm_layer_backward", (x, w_ih, w_hh, h, c, ha, ca, a, gh, ghn, gcn, dx, dwi, dwh, db, dh0, dc0),
            kernel, (bool(reverse),))
    return dx, dwi, dwh, db, dh0, dc0


def gru_layer(input, weight_ih, weight_hh, bias_ih=None, bias_hh=None, h0=None, reverse=False, *,
              kernel: str | None = None):
    """``(h_all, act)`` for input (T, B, I), weights (3H, I) and (3H, H), biases (3H) or None, initial
    state (B, H) or None (zeros): the output sequence and [r z n gh_n] of every step (T, B, 4H; the
    backward's input). ``reverse`` runs the steps from the last to the first. ``kernel=`` forces an
    ``rnn_cell_f32`` variant."""
    op = "fastnn.ops.gru_layer"
    x, w_ih, w_hh, bi, bh, h = _operands(op, input, (("weight_ih", weight_ih), ("weight_hh", weight_hh),
                                                     ("bias_ih", bias_ih), ("bias_hh", bias_hh), ("h0", h0)), 3)
    t, bsz, hidden = x.shape[0], x.shape[1], w_hh.shape[1]
    h_all, act = io.empty(x, (t, bsz, hidden)), io.empty(x, (t, bsz, 4 * hidden))
    io.call(op, "gru_layer", (x, w_ih, w_hh, bi, bh, h, h_all, act), kernel, (bool(reverse),))
    return h_all, act


def gru_layer_backward(input, weight_ih, weight_hh, h0, h_all, act, grad_h_all=None, grad_h_n=None, reverse=False, *,
                       input_grad=True, weight_grad=True, bias_grad=True, state_grad=True,
                       kernel: str | None = None):
    """``(grad_input, grad_weight_ih, grad_weight_hh, grad_bias_ih, grad_bias_hh, grad_h0)`` of
    :func:`gru_layer` given the gradients of its output sequence (T, B, H) and of its final state (B, H)
    (None: zero); the outputs not asked for are None."""
    op = "fastnn.ops.gru_layer_backward"
    x, w_ih, w_hh, h, ha, a, gh, ghn = _operands(op, input, (
        ("weight_ih", weight_ih), ("weight_hh", weight_hh), ("h0", h0), ("h_all", h_all), ("act", act),
        ("grad_h_all", grad_h_all), ("grad_h_n", grad_h_n)), 3)
    dx, dwi, dwh = _input_weight_grads(x, w_hh, 3, input_grad, weight_grad)
    bsz, hidden = x.shape[1], w_hh.shape[1]
    dbi = io.empty(x, (3 * hidden,)) if bias_grad else None
    dbh = io.empty(x, (3 * hidden,)) if bias_grad else None
    dh0 = io.empty(x, (bsz, hidden)) if state_grad else None
    io.call(op, "gru_layer_backward", (x, w_ih, w_hh, h, ha, a, gh, ghn, dx, dwi, dwh, dbi, dbh, dh0), kernel,
            (bool(reverse),))
    return dx, dwi, dwh, dbi, dbh, dh0
