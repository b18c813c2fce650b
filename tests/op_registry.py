"""One registry of every public op, for the bad-input matrix (tests/test_bad_inputs.py).

FUNCTIONAL: each fastnn.functional function fastnn implements, with a maker of valid arguments; the
reference is torch.nn.functional's function of the same name, called with the same arguments.
OPS: each fastnn.ops function, with a maker of valid arguments (torch tensors; the matrix converts them
to numpy where it tests numpy layouts), the positions of its tensor arguments and, for in-place ops,
the argument it writes.
MODULES: each fastnn.nn class with its constructor arguments and an input maker.

A new public op that is not listed here fails test_registry_covers_every_public_op.
"""
from dataclasses import dataclass, field
from typing import Callable

import torch


def _x(*shape):
    return torch.randn(*shape)


def _probs(*shape):
    return torch.rand(*shape) * 0.98 + 0.01


def _labels(n, c):
    return torch.randint(0, c, (n,))


@dataclass
class Fn:
    """A functional op: make() -> (args, kwargs); args[0] is the tensor the layout variants change."""
    make: Callable
    inplace: bool = False       # writes args[0]
    nan_ok: bool = True         # NaN/Inf inputs compared with torch's result
    bad_hparams: list = field(default_factory=list)  # kwargs overrides that torch rejects


def _act(extra=None, **kw):
    return Fn(lambda: ((_x(2, 3, 4, 5),), dict(extra or {})), **kw)


def _loss(target=_x, **kw):
    return Fn(lambda: ((_x(4, 6), target(4, 6)), {}), **kw)


FUNCTIONAL = {
    "relu": _act(),
    "relu_": _act(inplace=True),
    "leaky_relu": _act({"negative_slope": 0.1}),
    "leaky_relu_": _act({"negative_slope": 0.1}, inplace=True),
    "elu": _act({"alpha": 0.7}),
    "elu_": _act({"alpha": 0.7}, inplace=True),
    "sigmoid": _act(),
    "tanh": _act(),
    "gelu": _act({"approximate": "tanh"}, bad_hparams=[{"approximate": "cubic"}]),
    "silu": _act(),
    "hardtanh": _act({"min_val": -0.5, "max_val": 0.5}),
    "hardtanh_": _act({"min_val": -0.5, "max_val": 0.5}, inplace=True),
    "softplus": _act({"beta": 1.5, "threshold": 10.0}),
    "softmax": Fn(lambda: ((_x(5, 7),), {"dim": 1}), bad_hparams=[{"dim": 2}]),
    "log_softmax": Fn(lambda: ((_x(5, 7),), {"dim": -1}), bad_hparams=[{"dim": 2}]),
    "linear": Fn(lambda: ((_x(5, 7), _x(3, 7), _x(3)), {})),
    "conv2d": Fn(lambda: ((_x(2, 3, 9, 8), _x(4, 3, 3, 3), _x(4)), {"padding": 1}),
                 bad_hparams=[{"stride": 0}, {"padding": -1}, {"groups": 2}, {"dilation": 0}]),
    "max_pool2d": Fn(lambda: ((_x(2, 3, 9, 8),), {"kernel_size": 2}),
                     bad_hparams=[{"kernel_size": 0}, {"stride": 0}, {"padding": 2}, {"kernel_size": 12}]),
    "avg_pool2d": Fn(lambda: ((_x(2, 3, 9, 8),), {"kernel_size": 3, "stride": 2, "padding": 1}),
                     bad_hparams=[{"kernel_size": 0}, {"stride": 0}, {"padding": 2}]),
    "cross_entropy": Fn(lambda: ((_x(6, 5), _labels(6, 5)), {}),
                        bad_hparams=[{"reduction": "avg"}, {"label_smoothing": 1.5}]),
    "nll_loss": Fn(lambda: ((torch.log_softmax(_x(6, 5), 1), _labels(6, 5)), {}),
                   bad_hparams=[{"reduction": "avg"}]),
    "mse_loss": _loss(),
    "l1_loss": _loss(),
    "smooth_l1_loss": _loss(),
    "huber_loss": _loss(),
    "binary_cross_entropy": Fn(lambda: ((_probs(4, 6), _probs(4, 6)), {})),
    "binary_cross_entropy_with_logits": _loss(target=_probs),
    "dropout": Fn(lambda: ((_x(4, 6),), {"p": 0.0}), bad_hparams=[{"p": 1.5}, {"p": -0.1}]),
    "batch_norm": Fn(lambda: ((_x(4, 3, 5, 6), torch.zeros(3), torch.ones(3), _x(3), _x(3)), {"training": True})),
    "layer_norm": Fn(lambda: ((_x(4, 6, 5), (6, 5), _x(6, 5), _x(6, 5)), {})),
}


@dataclass
class Op:
    """A fastnn.ops function: make() -> (args, kwargs) with torch tensors at `tensors` positions."""
    make: Callable
    tensors: tuple = (0,)
    writes: int | None = None   # index of the argument an in-place op writes
    has_out: bool = False
    bad_hparams: list = field(default_factory=list)
    mismatch: tuple | None = None  # (argument, dim) to shrink for the shape case; default: the first n-d one, last dim
    nan_error: bool = False        # NaN inputs are an error (as in torch: binary_cross_entropy's range check)


def _unary(extra=None, inplace=False):
    return Op(lambda: ((_x(3, 4, 5),), dict(extra or {})), writes=0 if inplace else None, has_out=not inplace)


def _unary_bwd(extra=None, positive=False):
    second = _probs if positive else _x
    return Op(lambda: ((_x(3, 4, 5), second(3, 4, 5)), dict(extra or {})), tensors=(0, 1), has_out=True)


def _loss_op(backward=False, target=_x, first=_x):
    nan_error = first is _probs  # binary_cross_entropy: inputs must lie in [0, 1]
    if backward:
        return Op(lambda: ((torch.tensor(1.5), first(4, 6), target(4, 6)), {}), tensors=(0, 1, 2),
                  bad_hparams=[{"reduction": "avg"}], nan_error=nan_error)
    return Op(lambda: ((first(4, 6), target(4, 6)), {}), tensors=(0, 1), bad_hparams=[{"reduction": "avg"}],
              nan_error=nan_error)


def _ce(backward=False, nll=False):
    def make():
        x = _x(6, 5)
        if nll:
            x = torch.log_softmax(x, 1)
        args = (x, _labels(6, 5))
        return ((torch.tensor(1.0),) + args if backward else args), {}
    return Op(make, tensors=(0, 1, 2) if backward else (0, 1), bad_hparams=[{"reduction": "avg"}],
              mismatch=None if backward else (0, 0))


def _state(n=3):
    return [_x(7, 5) for _ in range(n)]


def _optim(name):
    def make():
        p, g = _state(2), _state(2)
        if name in ("adam", "adamw"):
            return (p, g, [torch.zeros(7, 5) for _ in p], [torch.zeros(7, 5) for _ in p],
                    [1, 1]), {"lr": 0.01}
        if name == "sgd":
            return (p, g, [torch.zeros(7, 5) for _ in p]), {"lr": 0.01, "momentum": 0.9}
        if name == "rmsprop":
            return (p, g, [torch.zeros(7, 5) for _ in p]), {"lr": 0.01}
        return (p, g, [torch.zeros(7, 5) for _ in p], [1, 1]), {"lr": 0.01}
    bad = [{"lr": -1.0}]
    if name in ("adam", "adamw"):
        bad += [{"betas": (1.5, 0.999)}, {"eps": -1.0}]
    return Op(make, tensors=(), writes=None, bad_hparams=bad)


def _lstm_backward_args():
    import fastnn.ops
    x, wi, wh, h0, c0 = _x(5, 3, 4), _x(24, 4), _x(24, 6), _x(3, 6), _x(3, 6)
    h_all, c_all, act = fastnn.ops.lstm_layer(x, wi, wh, None, h0, c0)
    return (x, wi, wh, h0, c0, h_all, c_all, act, _x(5, 3, 6), _x(3, 6), _x(3, 6)), {}


def _gru_backward_args():
    import fastnn.ops
    x, wi, wh, h0 = _x(5, 3, 4), _x(18, 4), _x(18, 6), _x(3, 6)
    h_all, act = fastnn.ops.gru_layer(x, wi, wh, _x(18), _x(18), h0)
    return (x, wi, wh, h0, h_all, act, _x(5, 3, 6), _x(3, 6)), {}


OPS = {
    "relu": _unary(), "relu_": _unary(inplace=True), "relu_backward": _unary_bwd(),
    "leaky_relu": _unary({"negative_slope": 0.2}), "leaky_relu_": _unary({"negative_slope": 0.2}, True),
    "leaky_relu_backward": _unary_bwd({"negative_slope": 0.2}),
    "elu": _unary(), "elu_": _unary(inplace=True), "elu_backward": _unary_bwd(),
    "sigmoid": _unary(), "sigmoid_": _unary(inplace=True), "sigmoid_backward": _unary_bwd(positive=True),
    "tanh": _unary(), "tanh_": _unary(inplace=True), "tanh_backward": _unary_bwd(),
    "gelu": _unary(), "gelu_backward": _unary_bwd(),
    "silu": _unary(), "silu_": _unary(inplace=True), "silu_backward": _unary_bwd(),
    "hardtanh": _unary(), "hardtanh_": _unary(inplace=True), "hardtanh_backward": _unary_bwd(),
    "softplus": _unary(), "softplus_backward": _unary_bwd(),
    "matmul": Op(lambda: ((_x(5, 7), _x(7, 3)), {}), tensors=(0, 1), has_out=True),
    "linear": Op(lambda: ((_x(5, 7), _x(3, 7), _x(3)), {}), tensors=(0, 1, 2)),
    "linear_backward": Op(lambda: ((_x(5, 3), _x(5, 7), _x(3, 7)), {}), tensors=(0, 1, 2)),
    "conv2d": Op(lambda: ((_x(2, 3, 9, 8), _x(4, 3, 3, 3), _x(4)), {"padding": 1}), tensors=(0, 1, 2), mismatch=(0, 1),
                 bad_hparams=[{"stride": 0}, {"padding": -1}, {"groups": 2}, {"dilation": 0}]),
    "conv2d_backward": Op(lambda: ((_x(2, 4, 9, 8), _x(2, 3, 9, 8), _x(4, 3, 3, 3)), {"padding": 1}), tensors=(0, 1, 2),
                          bad_hparams=[{"stride": 0}, {"padding": -1}]),
    "max_pool2d": Op(lambda: ((_x(2, 3, 9, 8), 2), {}), bad_hparams=[{"stride": 0}, {"padding": 2}]),
    "max_pool2d_backward": Op(lambda: ((_x(2, 3, 4, 4), _x(2, 3, 9, 8), 2), {}), tensors=(0, 1)),
    "avg_pool2d": Op(lambda: ((_x(2, 3, 9, 8), 3, 2, 1), {}), bad_hparams=[{"stride": 0}, {"padding": 2}]),
    "avg_pool2d_backward": Op(lambda: ((_x(2, 3, 5, 4), _x(2, 3, 9, 8), 3, 2, 1), {}), tensors=(0, 1)),
    "softmax": Op(lambda: ((_x(5, 7), 1), {}), has_out=True),
    "log_softmax": Op(lambda: ((_x(5, 7), -1), {}), has_out=True),
    "softmax_backward": Op(lambda: ((_x(5, 7), torch.softmax(_x(5, 7), 1), 1), {}), tensors=(0, 1), has_out=True),
    "log_softmax_backward": Op(lambda: ((_x(5, 7), torch.log_softmax(_x(5, 7), 1), 1), {}), tensors=(0, 1),
                               has_out=True),
    "cross_entropy": _ce(), "cross_entropy_backward": _ce(backward=True), "cross_entropy_with_grad": _ce(),
    "nll_loss": _ce(nll=True), "nll_loss_backward": _ce(backward=True, nll=True),
    "mse_loss": _loss_op(), "mse_loss_backward": _loss_op(True),
    "l1_loss": _loss_op(), "l1_loss_backward": _loss_op(True),
    "smooth_l1_loss": _loss_op(), "smooth_l1_loss_backward": _loss_op(True),
    "huber_loss": _loss_op(), "huber_loss_backward": _loss_op(True),
    "binary_cross_entropy": _loss_op(first=_probs, target=_probs),
    "binary_cross_entropy_backward": _loss_op(True, first=_probs, target=_probs),
    "binary_cross_entropy_with_logits": _loss_op(target=_probs),
    "binary_cross_entropy_with_logits_backward": _loss_op(True, target=_probs),
    "dropout": Op(lambda: ((_x(4, 6), 0.3), {"seed": 1}), has_out=True, bad_hparams=[{"p": 1.5}]),
    "dropout_backward": Op(lambda: ((_x(4, 6), __import__("fastnn").ops.dropout(_x(4, 6), 0.3, seed=3)[1], 0.3), {}),
                           tensors=(0, 1), mismatch=(1, 0)),
    "adam_step": _optim("adam"), "adamw_step": _optim("adamw"), "sgd_step": _optim("sgd"),
    "rmsprop_step": _optim("rmsprop"), "adagrad_step": _optim("adagrad"),
    # eval mode: the running statistics are read only (training's in-place update: tests/test_norm.py)
    "batch_norm": Op(lambda: ((_x(4, 3, 5, 6), _x(3), _probs(3), _x(3), _x(3), False), {}), tensors=(0, 1, 2, 3, 4),
                     mismatch=(1, 0)),
    "batch_norm_backward": Op(lambda: ((_x(4, 3, 5, 6), _x(4, 3, 5, 6), _x(3), _x(3), _probs(3)), {}),
                              tensors=(0, 1, 2, 3, 4)),
    "layer_norm": Op(lambda: ((_x(4, 5), (5,), _x(5), _x(5)), {}), tensors=(0, 2, 3)),
    "layer_norm_backward": Op(lambda: ((_x(4, 5), _x(4, 5), (5,), _x(4), _probs(4), _x(5)), {}),
                              tensors=(0, 1, 3, 4, 5)),
    "lstm_layer": Op(lambda: ((_x(5, 3, 4), _x(24, 4), _x(24, 6), _x(24), _x(3, 6), _x(3, 6)), {}),
                     tensors=(0, 1, 2, 3, 4, 5)),
    "lstm_layer_backward": Op(_lstm_backward_args, tensors=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)),
    "gru_layer": Op(lambda: ((_x(5, 3, 4), _x(18, 4), _x(18, 6), _x(18), _x(18), _x(3, 6)), {}),
                    tensors=(0, 1, 2, 3, 4, 5)),
    "gru_layer_backward": Op(_gru_backward_args, tensors=(0, 1, 2, 3, 4, 5, 6, 7)),
}


@dataclass
class Mod:
    args: tuple
    make_input: Callable
    kwargs: dict = field(default_factory=dict)
    target: Callable | None = None   # losses: the second input


MODULES = {
    "ReLU": Mod((), lambda: _x(2, 3, 4, 5)), "LeakyReLU": Mod((0.2,), lambda: _x(2, 3, 4, 5)),
    "ELU": Mod((), lambda: _x(2, 3, 4, 5)), "GELU": Mod((), lambda: _x(2, 3, 4, 5)),
    "SiLU": Mod((), lambda: _x(2, 3, 4, 5)), "Sigmoid": Mod((), lambda: _x(2, 3, 4, 5)),
    "Tanh": Mod((), lambda: _x(2, 3, 4, 5)), "Hardtanh": Mod((), lambda: _x(2, 3, 4, 5)),
    "Softplus": Mod((), lambda: _x(2, 3, 4, 5)),
    "Softmax": Mod((), lambda: _x(4, 5), {"dim": 1}), "LogSoftmax": Mod((), lambda: _x(4, 5), {"dim": 1}),
    "Linear": Mod((7, 3), lambda: _x(5, 7)),
    "Conv2d": Mod((3, 4, 3), lambda: _x(2, 3, 9, 8), {"padding": 1}),
    "MaxPool2d": Mod((2,), lambda: _x(2, 3, 9, 8)), "AvgPool2d": Mod((2,), lambda: _x(2, 3, 9, 8)),
    "Dropout": Mod((0.0,), lambda: _x(4, 6)),
    "MSELoss": Mod((), lambda: _x(4, 6), target=lambda: _x(4, 6)),
    "L1Loss": Mod((), lambda: _x(4, 6), target=lambda: _x(4, 6)),
    "SmoothL1Loss": Mod((), lambda: _x(4, 6), target=lambda: _x(4, 6)),
    "HuberLoss": Mod((), lambda: _x(4, 6), target=lambda: _x(4, 6)),
    "BCELoss": Mod((), lambda: _probs(4, 6), target=lambda: _probs(4, 6)),
    "BCEWithLogitsLoss": Mod((), lambda: _x(4, 6), target=lambda: _probs(4, 6)),
    "CrossEntropyLoss": Mod((), lambda: _x(6, 5), target=lambda: _labels(6, 5)),
    "NLLLoss": Mod((), lambda: torch.log_softmax(_x(6, 5), 1), target=lambda: _labels(6, 5)),
    "BatchNorm1d": Mod((6,), lambda: _x(8, 6)), "BatchNorm2d": Mod((3,), lambda: _x(4, 3, 5, 6)),
    "LayerNorm": Mod(((6,),), lambda: _x(4, 5, 6)),
    "LSTM": Mod((6, 5), lambda: _x(7, 3, 6), {"num_layers": 2, "bidirectional": True}),
    "LSTMCell": Mod((6, 5), lambda: _x(3, 6)),
    "GRU": Mod((6, 5), lambda: _x(7, 3, 6), {"num_layers": 2, "bidirectional": True}),
    "GRUCell": Mod((6, 5), lambda: _x(3, 6)),
    "RNN": Mod((6, 5), lambda: _x(7, 3, 6), {"nonlinearity": "relu", "batch_first": True}),
    "RNNCell": Mod((6, 5), lambda: _x(3, 6)),
}
