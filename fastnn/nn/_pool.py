"""Pooling modules on fastnn's kernels, subclasses of torch's (same arguments, repr, state_dict)."""
import torch

from .. import functional as F


class MaxPool2d(torch.nn.MaxPool2d):
    """torch.nn.MaxPool2d computed by fastnn."""

    def forward(self, input: torch.Tensor):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool2d(torch.nn.AvgPool2d):
    """torch.nn.AvgPool2d computed by fastnn."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)
