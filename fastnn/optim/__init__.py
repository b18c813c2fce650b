"""Drop-in for ``torch.optim``: ``import fastnn.optim as optim``.

``Adam``, ``AdamW``, ``SGD``, ``RMSprop`` and ``Adagrad`` are fastnn's (subclasses of torch's, with ``step``
on fastnn's fused multi-tensor kernels: see ``fastnn/optim/_optimizers.py``); every other name,
``lr_scheduler`` included, is torch's own object.
"""
from .._dropin import forward_namespace, require_torch

_torch = require_torch("fastnn.optim")

from ._optimizers import SGD, Adagrad, Adam, AdamW, RMSprop  # noqa: E402

__getattr__, __dir__, __all__ = forward_namespace(__name__, _torch.optim,
                                                  own=["Adam", "AdamW", "SGD", "RMSprop", "Adagrad"])
