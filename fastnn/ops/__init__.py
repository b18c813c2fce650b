"""fastnn.ops: every fastnn kernel on numpy arrays or torch CPU tensors, forward and backward.

Needs only numpy. Inputs are used in place (zero-copy) when C-contiguous and aligned, copied otherwise;
outputs are C-contiguous arrays of the input's kind. No autograd is recorded (see fastnn.functional).
Every error raised here, by the Python checks or by the native kernels' own, reads "fastnn.ops.<op>: ...".
"""
from .activation import (elu, elu_, elu_backward, gelu, gelu_backward, hardtanh, hardtanh_, hardtanh_backward, leaky_relu,
                         leaky_relu_, leaky_relu_backward, relu, relu_, relu_backward, sigmoid, sigmoid_,
                         sigmoid_backward, silu, silu_, silu_backward, softplus, softplus_backward, tanh, tanh_,
                         tanh_backward)
from .conv import conv2d, conv2d_backward
from .dropout import dropout, dropout_backward
from .loss import (binary_cross_entropy, binary_cross_entropy_backward, binary_cross_entropy_with_logits,
                   binary_cross_entropy_with_logits_backward, huber_loss, huber_loss_backward, l1_loss, l1_loss_backward,
                   mse_loss, mse_loss_backward, smooth_l1_loss, smooth_l1_loss_backward)
from .linalg import linear, linear_backward, matmul
from .norm import batch_norm, batch_norm_backward, layer_norm, layer_norm_backward
from .optim import adagrad_step, adam_step, adamw_step, rmsprop_step, sgd_step
from .rnn import gru_layer, gru_layer_backward, lstm_layer, lstm_layer_backward
from .pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from .softmax import (cross_entropy, cross_entropy_backward, cross_entropy_with_grad, log_softmax, log_softmax_backward,
                      nll_loss, nll_loss_backward, softmax, softmax_backward)

__all__ = ["relu", "relu_", "relu_backward", "leaky_relu", "leaky_relu_", "leaky_relu_backward", "elu", "elu_",
           "elu_backward", "sigmoid", "sigmoid_", "sigmoid_backward", "tanh", "tanh_", "tanh_backward", "gelu",
           "gelu_backward", "silu", "silu_", "silu_backward", "hardtanh", "hardtanh_", "hardtanh_backward", "softplus",
           "softplus_backward", "matmul", "linear", "linear_backward", "conv2d", "conv2d_backward",
           "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward", "softmax", "log_softmax",
           "softmax_backward", "log_softmax_backward", "cross_entropy", "cross_entropy_backward",
           "cross_entropy_with_grad", "nll_loss", "nll_loss_backward", "mse_loss", "mse_loss_backward", "l1_loss", "l1_loss_backward", "smooth_l1_loss",
           "smooth_l1_loss_backward", "huber_loss", "huber_loss_backward", "binary_cross_entropy",
           "binary_cross_entropy_backward", "binary_cross_entropy_with_logits",
           "binary_cross_entropy_with_logits_backward", "dropout", "dropout_backward", "adam_step", "adamw_step",
           "sgd_step", "rmsprop_step", "adagrad_step", "batch_norm", "batch_norm_backward", "layer_norm",
           "layer_norm_backward", "lstm_layer", "lstm_layer_backward", "gru_layer",
           "gru_layer_backward"]
