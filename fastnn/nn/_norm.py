"""BatchNorm1d, BatchNorm2d and LayerNorm on fastnn's kernels: subclasses of torch's (same arguments,
parameters, buffers -- running_mean, running_var, num_batches_tracked -- and state_dict keys); only
forward differs, and it follows torch's rules for the running statistics."""
import torch

from .. import functional as F


class _BatchNormForward:
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        # Batch statistics when training, or in eval mode without running statistics.
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        keep_running = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep_running else None,
                            self.running_var if keep_running else None, self.weight, self.bias, use_batch_stats,
                            factor, self.eps)


class BatchNorm1d(_BatchNormForward, torch.nn.BatchNorm1d):
    """torch.nn.BatchNorm1d computed by fastnn: (N, C) or (N, C, L)."""


class BatchNorm2d(_BatchNormForward, torch.nn.BatchNorm2d):
    """torch.nn.BatchNorm2d computed by fastnn: (N, C, H, W)."""


class LayerNorm(torch.nn.LayerNorm):
    """torch.nn.LayerNorm computed by fastnn: normalizes over the last len(normalized_shape) dims."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)
