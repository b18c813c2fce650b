"""Shared by the examples: argument parsing, batching and accuracy (numpy / torch)."""
import argparse

import numpy as np


def parser(doc, epochs):
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--data", default=None, help="directory with the real dataset files (else the stand-in)")
    p.add_argument("--seed", type=int, default=0)
    return p


def batches(n, batch_size, rng):
    order = rng.permutation(n)
    for i in range(0, n, batch_size):
        yield order[i:i + batch_size]


def accuracy(model, x, y, batch_size=500):
    import torch

    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch_size):
            logits = model(torch.from_numpy(x[i:i + batch_size]))
            correct += int((logits.argmax(1).numpy() == y[i:i + batch_size]).sum())
    model.train()
    return correct / len(y)


def set_seed(seed):
    import torch

    torch.manual_seed(seed)
    return np.random.default_rng(seed)
