"""LSTM / GRU / RNN and their cells on fastnn's kernels: subclasses of torch's modules (same arguments,
parameter names and layouts -- weight_ih_l0, weight_hh_l0_reverse, ... -- and state_dicts); only forward
differs.

LSTM and GRU: each layer and direction is one autograd node over the whole sequence (fastnn/ops/rnn.py: the
input projection of every step in one GEMM, a GEMM plus the fused cell kernel per step; the backward
mirrors it). RNN (tanh / relu) is composed per step from fastnn's Linear and activation ops.
Between layers, dropout in training mode uses fastnn's dropout (its own random stream: the masks differ
from torch's). CUDA tensors run fastnn's CUDA layers when fastnn.cuda.is_available(). Packed sequences,
proj_size > 0, other devices, dtypes other than float32/float64 and tensor subclasses run torch's forward.
"""
from __future__ import annotations

import torch

from .. import functional as F
from .. import ops
from ..functional._norm import kernel_device

_PLAIN = (torch.Tensor, torch.nn.Parameter)


class _LstmLayer(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, c0, reverse):
        bias = None if b_ih is None else (b_ih + b_hh if b_hh is not None else b_ih)
        h_all, c_all, act = ops.lstm_layer(x, w_ih, w_hh, bias, h0, c0, reverse)
        ctx.save_for_backward(x, w_ih, w_hh, h0, c0, h_all, c_all, act)
        ctx.reverse = reverse
        last = 0 if reverse else x.shape[0] - 1
        if x.shape[0] == 0:  # no step ran: the final states are the initial ones
            zeros = x.new_zeros(x.shape[1], w_hh.shape[1])
            return h_all, (h0 if h0 is not None else zeros).clone(), (c0 if c0 is not None else zeros).clone()
        return h_all, h_all[last].clone(), c_all[last].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g_all, g_hn, g_cn):
        x, w_ih, w_hh, h0, c0, h_all, c_all, act = ctx.saved_tensors
        need = ctx.needs_input_grad
        dx, dwi, dwh, db, dh0, dc0 = ops.lstm_layer_backward(
            x, w_ih, w_hh, h0, c0, h_all, c_all, act,
            None if g_all is None else g_all.contiguous(), None if g_hn is None else g_hn.contiguous(),
            None if g_cn is None else g_cn.contiguous(), ctx.reverse, input_grad=need[0],
            weight_grad=need[1] or need[2], bias_grad=need[3] or need[4], state_grad=need[5] or need[6])
        return (dx, dwi if need[1] else None, dwh if need[2] else None, db if need[3] else None,
                db.clone() if need[4] else None, dh0 if need[5] else None, dc0 if need[6] else None, None)


class _GruLayer(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, reverse):
        h_all, act = ops.gru_layer(x, w_ih, w_hh, b_ih, b_hh, h0, reverse)
        ctx.save_for_backward(x, w_ih, w_hh, h0, h_all, act)
        ctx.reverse = reverse
        if x.shape[0] == 0:
            return h_all, (h0 if h0 is not None else x.new_zeros(x.shape[1], w_hh.shape[1])).clone()
        return h_all, h_all[0 if reverse else x.shape[0] - 1].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g_all, g_hn):
        x, w_ih, w_hh, h0, h_all, act = ctx.saved_tensors
        need = ctx.needs_input_grad
        dx, dwi, dwh, dbi, dbh, dh0 = ops.gru_layer_backward(
            x, w_ih, w_hh, h0, h_all, act, None if g_all is None else g_all.contiguous(),
            None if g_hn is None else g_hn.contiguous(), ctx.reverse, input_grad=need[0],
            weight_grad=need[1] or need[2], bias_grad=need[3] or need[4], state_grad=need[5])
        return (dx, dwi if need[1] else None, dwh if need[2] else None, dbi if need[3] else None,
                dbh if need[4] else None, dh0 if need[5] else None, None)


def _layer_params(module, layer, direction):
    """(weight_ih, weight_hh, bias_ih, bias_hh) of one layer and direction, by torch's parameter names."""
    sfx = f"_l{layer}" + ("_reverse" if direction else "")
    biases = (getattr(module, "bias_ih" + sfx), getattr(module, "bias_hh" + sfx)) if module.bias else (None, None)
    return (getattr(module, "weight_ih" + sfx), getattr(module, "weight_hh" + sfx), *biases)


def _ours(x, params) -> bool:
    """Plain tensors of one floating dtype on one device with fastnn kernels (CPU; CUDA when usable)."""
    tensors = [x, *params]
    return (all(type(t) in _PLAIN and t.device == x.device and t.dtype == x.dtype for t in tensors)
            and x.dtype in (torch.float32, torch.float64) and kernel_device(x) and not torch.compiler.is_compiling())


class LSTM(torch.nn.LSTM):
    """torch.nn.LSTM computed by fastnn (num_layers, bias, batch_first, dropout, bidirectional)."""

    def forward(self, input, hx=None):
        if (isinstance(input, torch.nn.utils.rnn.PackedSequence) or self.proj_size > 0
                or not isinstance(input, torch.Tensor) or not _ours(input, self._flat_weights)
                or input.dim() not in (2, 3)
                or (hx is not None and not all(isinstance(h, torch.Tensor) and _ours(input, [h]) for h in hx))):
            return super().forward(input, hx)
        unbatched = input.dim() == 2
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
        dirs = 2 if self.bidirectional else 1
        if hx is not None:
            h0s, c0s = hx
            if unbatched:
                h0s, c0s = h0s.unsqueeze(1), c0s.unsqueeze(1)
            expected = (self.num_layers * dirs, x.shape[1], self.hidden_size)
            if tuple(h0s.shape) != expected or tuple(c0s.shape) != expected:
                return super().forward(input, hx)  # torch's shape errors
        x = x.contiguous()
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                w_ih, w_hh, b_ih, b_hh = _layer_params(self, layer, d)
                k = layer * dirs + d
                h0 = h0s[k].contiguous() if hx is not None else None
                c0 = c0s[k].contiguous() if hx is not None else None
                seq, hn, cn = _LstmLayer.apply(x, w_ih, w_hh, b_ih, b_hh, h0, c0, bool(d))
                outs.append(seq)
                h_n.append(hn)
                c_n.append(cn)
            x = outs[0] if dirs == 1 else torch.cat(outs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        out = x
        h_n, c_n = torch.stack(h_n), torch.stack(c_n)
        if unbatched:
            return out.squeeze(1), (h_n.squeeze(1), c_n.squeeze(1))
        return (out.transpose(0, 1) if self.batch_first else out), (h_n, c_n)


class LSTMCell(torch.nn.LSTMCell):
    """torch.nn.LSTMCell computed by fastnn: one step, (h_1, c_1) = cell(input, (h_0, c_0))."""

    def forward(self, input, hx=None):
        params = [self.weight_ih, self.weight_hh] + ([self.bias_ih, self.bias_hh] if self.bias else [])
        if (not isinstance(input, torch.Tensor) or not _ours(input, params) or input.dim() not in (1, 2)
                or (hx is not None and not all(isinstance(h, torch.Tensor) and _ours(input, [h]) for h in hx))):
            return super().forward(input, hx)
        unbatched = input.dim() == 1
        x = input.unsqueeze(0) if unbatched else input
        h0 = c0 = None
        if hx is not None:
            h0, c0 = (h.unsqueeze(0) if unbatched else h for h in hx)
            if tuple(h0.shape) != (x.shape[0], self.hidden_size) or tuple(c0.shape) != tuple(h0.shape):
                return super().forward(input, hx)
            h0, c0 = h0.contiguous(), c0.contiguous()
        _, h1, c1 = _LstmLayer.apply(x.unsqueeze(0).contiguous(), self.weight_ih, self.weight_hh,
                                     self.bias_ih if self.bias else None, self.bias_hh if self.bias else None, h0, c0,
                                     False)
        return (h1.squeeze(0), c1.squeeze(0)) if unbatched else (h1, c1)


# ---- RNN (tanh / relu): composed per step from fastnn's functional ops (Linear's GEMM, the activation
# kernels) under torch's autograd. GRU shares the module plumbing and runs the fused layer (_GruLayer).

def _rnn_cell(nonlinearity):
    act = F.tanh if nonlinearity == "tanh" else F.relu

    def cell(x, h, w_ih, w_hh, b_ih, b_hh):
        return act(F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh))
    return cell


def _gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    """One GRU step (B, I) -> (B, H): the fused layer over a sequence of one."""
    _, h1 = _GruLayer.apply(x.unsqueeze(0).contiguous(), w_ih, w_hh, b_ih, b_hh, h.contiguous(), False)
    return h1


def _cell_of(module):
    """The step function of an RNN / RNNCell (tanh or relu), _gru_cell for a GRUCell, None for a GRU (whose
    layers run whole sequences)."""
    if hasattr(module, "nonlinearity"):
        return _rnn_cell(module.nonlinearity)
    return _gru_cell if isinstance(module, torch.nn.GRUCell) else None


class _Stepped:
    """forward for torch.nn.RNN / GRU subclasses: layers x directions, each stepping its cell over time."""

    def forward(self, input, hx=None):
        if (isinstance(input, torch.nn.utils.rnn.PackedSequence) or not isinstance(input, torch.Tensor)
                or not _ours(input, self._flat_weights) or input.dim() not in (2, 3)
                or (hx is not None and not (isinstance(hx, torch.Tensor) and _ours(input, [hx])))):
            return super().forward(input, hx)
        unbatched = input.dim() == 2
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
        dirs = 2 if self.bidirectional else 1
        if hx is not None:
            h0s = hx.unsqueeze(1) if unbatched else hx
            if tuple(h0s.shape) != (self.num_layers * dirs, x.shape[1], self.hidden_size):
                return super().forward(input, hx)
        cell = _cell_of(self)
        x = x.contiguous()
        h_n = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                w_ih, w_hh, b_ih, b_hh = _layer_params(self, layer, d)
                if cell is None:  # GRU: the fused layer
                    h0 = h0s[layer * dirs + d].contiguous() if hx is not None else None
                    seq, h = _GruLayer.apply(x, w_ih, w_hh, b_ih, b_hh, h0, bool(d))
                    outs.append(seq)
                    h_n.append(h)
                    continue
                h = h0s[layer * dirs + d] if hx is not None else x.new_zeros(x.shape[1], self.hidden_size)
                steps = range(x.shape[0] - 1, -1, -1) if d else range(x.shape[0])
                seq = [None] * x.shape[0]
                for t in steps:
                    h = cell(x[t], h, w_ih, w_hh, b_ih, b_hh)
                    seq[t] = h
                outs.append(torch.stack(seq) if seq else x.new_zeros(0, x.shape[1], self.hidden_size))
                h_n.append(h)
            x = outs[0] if dirs == 1 else torch.cat(outs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        h_n = torch.stack(h_n)
        if unbatched:
            return x.squeeze(1), h_n.squeeze(1)
        return (x.transpose(0, 1) if self.batch_first else x), h_n


class RNN(_Stepped, torch.nn.RNN):
    """torch.nn.RNN (tanh or relu) on fastnn's Linear and activation kernels, stepped in Python."""


class GRU(_Stepped, torch.nn.GRU):
    """torch.nn.GRU computed by fastnn (gates [r z n]): a fused layer per layer and direction."""


class _SteppedCell:
    def forward(self, input, hx=None):
        params = [self.weight_ih, self.weight_hh] + ([self.bias_ih, self.bias_hh] if self.bias else [])
        if (not isinstance(input, torch.Tensor) or not _ours(input, params) or input.dim() not in (1, 2)
                or (hx is not None and not (isinstance(hx, torch.Tensor) and _ours(input, [hx])))):
            return super().forward(input, hx)
        unbatched = input.dim() == 1
        x = input.unsqueeze(0) if unbatched else input
        h = x.new_zeros(x.shape[0], self.hidden_size) if hx is None else (hx.unsqueeze(0) if unbatched else hx)
        if tuple(h.shape) != (x.shape[0], self.hidden_size):
            return super().forward(input, hx)
        out = _cell_of(self)(x, h, self.weight_ih, self.weight_hh, self.bias_ih if self.bias else None,
                         self.bias_hh if self.bias else None)
        return out.squeeze(0) if unbatched else out


class RNNCell(_SteppedCell, torch.nn.RNNCell):
    """torch.nn.RNNCell on fastnn's kernels."""


class GRUCell(_SteppedCell, torch.nn.GRUCell):
    """torch.nn.GRUCell computed by fastnn's fused GRU layer (a sequence of one)."""
