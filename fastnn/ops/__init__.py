"""fastnn.ops: every fastnn kernel on numpy arrays or torch CPU tensors, forward and backward.

Needs only numpy. Inputs are used in place (zero-copy) when C-contiguous and aligned, copied otherwise;
outputs are C-contiguous arrays of the input's kind. No autograd is recorded (see fastnn.functional).
"""
from .activation import relu, relu_, relu_backward
from .conv import conv2d, conv2d_backward
from .linalg import linear, linear_backward, matmul
from .pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from .softmax import (cross_entropy, cross_entropy_backward, cross_entropy_with_grad, log_softmax, log_softmax_backward,
                      softmax, softmax_backward)

__all__ = ["relu", "relu_", "relu_backward", "matmul", "linear", "linear_backward", "conv2d", "conv2d_backward",
           "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward", "softmax", "log_softmax",
           "softmax_backward", "log_softmax_backward", "cross_entropy", "cross_entropy_backward",
           "cross_entropy_with_grad"]
