"""Drop-in for ``torch.nn.functional``: fastnn's kernels where it has them, torch's functions elsewhere.

``import fastnn.functional as F`` (or ``import fastnn.nn.functional as F``) and use it as torch's.
"""
from .._dropin import forward_namespace, require_torch

_torch = require_torch("fastnn.functional")

from ._activation import (elu, elu_, gelu, hardtanh, hardtanh_, leaky_relu, leaky_relu_, relu, relu_,  # noqa: E402
                          sigmoid, silu, softplus, tanh)
from ._conv import conv2d  # noqa: E402
from ._dropout import dropout  # noqa: E402
from ._linear import linear  # noqa: E402
from ._norm import batch_norm, layer_norm  # noqa: E402
from ._loss import (binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss, l1_loss, mse_loss,  # noqa: E402
                    smooth_l1_loss)
from ._pool import avg_pool2d, max_pool2d  # noqa: E402
from ._softmax import cross_entropy, log_softmax, nll_loss, softmax  # noqa: E402

__getattr__, __dir__, __all__ = forward_namespace(
    __name__, _torch.nn.functional,
    own=["relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "sigmoid", "tanh", "gelu", "silu", "hardtanh",
         "hardtanh_", "softplus", "linear", "conv2d", "max_pool2d", "avg_pool2d", "softmax", "log_softmax",
         "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
         "binary_cross_entropy_with_logits", "dropout", "batch_norm", "layer_norm"])
