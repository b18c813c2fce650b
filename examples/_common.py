"""Shared by the examples: argument parsing, data choice (and saying which), the timed training loop and
accuracy (numpy / torch)."""
import argparse
import time

import numpy as np


def parser(doc, epochs):
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--data", default=None, help="the real dataset (see the docstring); else a stand-in, named")
    p.add_argument("--seed", type=int, default=0)
    return p


def set_seed(seed):
    import torch

    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def say_data(source, train_y, test_y):
    """Prints which data the example uses (the line the smoke tests read)."""
    print(f"{source} ({len(train_y)} train, {len(test_y)} test examples)")


def mnist_or_digits(args):
    """MNIST's IDX files from --data, else scikit-learn's digits upscaled to 28x28; says which."""
    from fastnn import datasets

    if args.data:
        data, source = datasets.load_mnist(args.data), f"data: MNIST IDX files in {args.data}"
    else:
        data = datasets.digits_28x28(seed=args.seed)
        source = "no --data: using scikit-learn's 8x8 digits upscaled to 28x28 as a stand-in for MNIST"
    say_data(source, data[1], data[3])
    return data


def batches(n, batch_size, rng):
    order = rng.permutation(n)
    for i in range(0, n, batch_size):
        yield order[i:i + batch_size]


def fit(model, opt, loss_fn, x, y, epochs, rng, batch_size=64, after_epoch=None):
    """Mini-batch training with a tqdm bar per epoch (the running loss in its postfix); after_epoch(epoch) runs
    at the end of each epoch (a scheduler step, a checkpoint). Prints the time taken, in all and per epoch."""
    import torch
    from tqdm import tqdm

    start = time.perf_counter()
    for epoch in range(epochs):
        bar = tqdm(list(batches(len(y), batch_size, rng)), desc=f"epoch {epoch + 1}/{epochs}", mininterval=0.5)
        for idx in bar:
            opt.zero_grad()
            loss = loss_fn(model(torch.from_numpy(x[idx])), torch.from_numpy(y[idx]))
            loss.backward()
            opt.step()
            bar.set_postfix(loss=f"{loss.item():.3f}")
        if after_epoch is not None:
            after_epoch(epoch)
    seconds = time.perf_counter() - start
    print(f"time: {seconds:.2f} s in all, {seconds / max(epochs, 1):.3g} s per epoch")


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


def report(model, x, y):
    """Prints and returns the test accuracy (the line the smoke tests read)."""
    acc = accuracy(model, x, y)
    print(f"test accuracy: {acc:.4f}")
    return acc
