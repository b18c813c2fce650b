"""XOR with a 2-3-1 sigmoid network trained by plain gradient descent on numpy arrays, using only fastnn.ops'
forward and backward kernels (matmul, sigmoid, mse_loss) — torch is never imported. Prints the data, the training
time, the final loss, the predictions and the accuracy."""
import sys
import time

import numpy as np
from tqdm import tqdm

from fastnn import ops

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float64)
Y = np.array([[0], [1], [1], [0]], np.float64)


def main(epochs=5000, lr=2.0, seed=0):
    rng = np.random.default_rng(seed)
    w1, b1 = rng.standard_normal((3, 2)), np.zeros(3)
    w2, b2 = rng.standard_normal((1, 3)), np.zeros(1)
    print("data: XOR's truth table, 4 points (built in)")
    start = time.perf_counter()
    for _ in tqdm(range(epochs), desc="xor (numpy)", mininterval=0.5):
        h = ops.sigmoid(ops.linear(X, w1, b1))
        out = ops.sigmoid(ops.linear(h, w2, b2))
        loss = ops.mse_loss(out, Y)
        g_out = ops.sigmoid_backward(ops.mse_loss_backward(np.array(1.0), out, Y), out)
        g_h, g_w2, g_b2 = ops.linear_backward(g_out, h, w2)
        g_z1 = ops.sigmoid_backward(g_h, h)
        _, g_w1, g_b1 = ops.linear_backward(g_z1, X, w1)
        for p, g in ((w1, g_w1), (b1, g_b1), (w2, g_w2), (b2, g_b2)):
            p -= lr * g
    seconds = time.perf_counter() - start
    print(f"time: {seconds:.2f} s in all, {seconds / epochs * 1e3:.3g} ms per epoch")
    pred = ops.sigmoid(ops.linear(ops.sigmoid(ops.linear(X, w1, b1)), w2, b2))
    print(f"final loss: {float(loss):.6f}")
    print("predictions:", " ".join(f"{v:.3f}" for v in pred.ravel()))
    accuracy = float(((pred > 0.5) == (Y > 0.5)).mean())
    print(f"accuracy: {accuracy:.2f}")
    return accuracy


if __name__ == "__main__":
    main(epochs=int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
    assert "torch" not in sys.modules, "xor_numpy must not import torch"
