"""XOR with the 2-3-1 sigmoid network written as a torch script with the two-line swap:
``import fastnn.nn as nn`` and ``import fastnn.optim as optim`` (SGD, MSE). Prints the data, the training time,
the final loss, the predictions and the accuracy."""
import sys
import time

import torch
from tqdm import tqdm

import fastnn.nn as nn
import fastnn.optim as optim


def main(epochs=3000, seed=0):
    torch.manual_seed(seed)
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1), nn.Sigmoid())
    opt = optim.SGD(model.parameters(), lr=2.0, momentum=0.9)
    loss_fn = nn.MSELoss()
    print("data: XOR's truth table, 4 points (built in)")
    start = time.perf_counter()
    for _ in tqdm(range(epochs), desc="xor (fastnn.nn)", mininterval=0.5):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    print(f"time: {seconds:.2f} s in all, {seconds / epochs * 1e3:.3g} ms per epoch")
    pred = model(x).detach()
    print(f"final loss: {loss.item():.6f}")
    print("predictions:", " ".join(f"{v:.3f}" for v in pred.ravel().tolist()))
    accuracy = ((pred > 0.5) == (y > 0.5)).float().mean().item()
    print(f"accuracy: {accuracy:.2f}")
    return accuracy


if __name__ == "__main__":
    main(epochs=int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
