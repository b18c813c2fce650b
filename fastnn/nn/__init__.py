"""Drop-in for ``torch.nn``: ``import fastnn.nn as nn``.

Layers fastnn accelerates are its own classes (subclasses of torch's, same constructor, parameters and
state_dict keys); every other name is torch's own object. ``fastnn.nn.functional`` is fastnn.functional.
"""
from .._dropin import forward_namespace, require_torch

_torch = require_torch("fastnn.nn")

from .. import functional  # noqa: E402
from ._activation import (ELU, GELU, Dropout, Hardtanh, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax,  # noqa: E402
                          Softplus, Tanh)
from ._conv import Conv2d  # noqa: E402
from ._linear import Linear  # noqa: E402
from ._loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,  # noqa: E402
                    SmoothL1Loss)
from ._norm import BatchNorm1d, BatchNorm2d, LayerNorm  # noqa: E402
from ._pool import AvgPool2d, MaxPool2d  # noqa: E402
from ._rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # noqa: E402

__getattr__, __dir__, __all__ = forward_namespace(
    __name__, _torch.nn,
    own=["ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "GELU", "SiLU", "Hardtanh", "Softplus", "Softmax", "LogSoftmax",
         "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss",
         "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "Dropout", "BatchNorm1d", "BatchNorm2d", "LayerNorm",
         "LSTM", "LSTMCell", "GRU", "GRUCell", "RNN", "RNNCell"], overrides={"functional": functional}
)
