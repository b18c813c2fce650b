"""Loss modules computed by fastnn's kernels, subclasses of torch's (same arguments, repr, state_dict)."""
import torch

from .. import functional as F


class CrossEntropyLoss(torch.nn.CrossEntropyLoss):
    """torch.nn.CrossEntropyLoss on fastnn's fused log-softmax + NLL kernel."""

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)
