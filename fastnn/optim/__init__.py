"""Drop-in for ``torch.optim``: ``import fastnn.optim as optim``.

fastnn's fused optimizers will be its own classes here (subclasses of torch.optim.Optimizer); every
other name, ``lr_scheduler`` included, is torch's own object.
"""
from .._dropin import forward_namespace, require_torch

_torch = require_torch("fastnn.optim")

__getattr__, __dir__, __all__ = forward_namespace(__name__, _torch.optim, own=[])
