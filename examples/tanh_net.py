"""The 3-layer tanh network of the course notes, through fastnn.ops (no torch): input [3, 5]; each hidden unit
is the sum of tanh of the elementwise products of its inputs and weights; the output is the plain weighted sum.
Prints 9.887385002294863."""
import numpy as np

from fastnn import ops

x = np.array([3.0, 5.0])
hidden1 = [np.array([2.0, 4.0]), np.array([4.0, -5.0])]
hidden2 = [np.array([-1.0, 1.0]), np.array([2.0, 2.0])]
output = np.array([-3.0, 7.0])


def layer(inputs, units):
    return np.array([ops.tanh(inputs * w).sum() for w in units])


h = layer(layer(x, hidden1), hidden2)
print((h * output).sum())
