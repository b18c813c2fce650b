"""Conv2d on fastnn's kernels: a subclass of torch.nn.Conv2d (same arguments, initialisation, parameters,
state_dict and repr); only the convolution itself differs. Padding modes other than 'zeros' pad with
torch's F.pad first, as torch's own Conv2d does."""
import torch

from .. import functional as F


class Conv2d(torch.nn.Conv2d):
    """torch.nn.Conv2d computed by fastnn: input ``(N, C_in, H, W)`` or ``(C_in, H, W)``."""

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            padded = torch.nn.functional.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv2d(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return F.conv2d(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)
