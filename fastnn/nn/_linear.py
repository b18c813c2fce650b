"""Linear layer on fastnn's GEMM: a subclass of torch.nn.Linear (same arguments, initialisation,
parameter names, state_dict and repr); only forward differs."""
import torch

from .. import functional as F


class Linear(torch.nn.Linear):
    """torch.nn.Linear computed by fastnn: input ``(*, in_features)`` -> ``(*, out_features)``."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.linear(input, self.weight, self.bias)
