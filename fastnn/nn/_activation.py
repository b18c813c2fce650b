"""Activation modules computed by fastnn's kernels, subclasses of torch's (same arguments, repr, state_dict)."""
import torch

from .. import functional as F


class ReLU(torch.nn.ReLU):
    """torch.nn.ReLU on fastnn's kernels. ``inplace=True`` overwrites the input, as torch's does."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.relu(input, inplace=self.inplace)


class Softmax(torch.nn.Softmax):
    """torch.nn.Softmax on fastnn's kernels."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.softmax(input, self.dim, _stacklevel=5)


class LogSoftmax(torch.nn.LogSoftmax):
    """torch.nn.LogSoftmax on fastnn's kernels."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(input, self.dim, _stacklevel=5)
