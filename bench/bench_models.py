"""Whole training steps of the seed networks, as a user runs them after the two-line swap: the model from
fastnn.nn with fastnn.optim.Adam and fastnn.functional.cross_entropy, against the same model (identical
weights) from torch.nn with torch.optim.Adam (its default, foreach) and torch's cross_entropy; one
forward + backward + optimizer step per call, batch 64.

Napkin math: the sum of the layers' forward+backward FLOP (convolutions and Linear layers; the
activations, pooling and the optimizer are memory-bound extras), rated against the FMA ceiling.
"""
from __future__ import annotations

from .harness import Case


def _mnist_cnn(nn):
    """The seed MNIST CNN: conv 1->32, pool, conv 32->64, pool (28 -> 14 -> 7), fc 3136 -> 128 -> 10."""
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


# conv1 (no input gradient) 2x, conv2 3x, fc1 and fc2 3x their forward FLOP
MNIST_FLOPS = 64 * (2 * 2 * 32 * 784 * 9 + 3 * 2 * 64 * 196 * 288 + 3 * 2 * 3136 * 128 + 3 * 2 * 128 * 10)


def _cifar_mlp(nn):
    return nn.Sequential(nn.Flatten(), nn.Linear(3072, 1000), nn.ReLU(), nn.Linear(1000, 500), nn.ReLU(),
                         nn.Linear(500, 10))


CIFAR_FLOPS = 64 * 2 * (3072 * 1000 * 2 + 1000 * 500 * 3 + 500 * 10 * 3)


def _lenet5(nn):
    """LeNet-5 on 28x28 digits: conv 1->6 5x5, pool, conv 6->16 5x5, pool (28 -> 24 -> 12 -> 8 -> 4),
    fc 256 -> 120 -> 84 -> 10."""
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


LENET_FLOPS = 64 * (2 * 2 * 6 * 576 * 25 + 3 * 2 * 16 * 64 * 150 + 3 * 2 * (256 * 120 + 120 * 84 + 84 * 10))


def _xor_mlp(nn):
    return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())


def _xor_setup(device):
    """The XOR MLP (2 -> 8 -> 1, tanh, sigmoid) on its four points with BCE and SGD momentum 0.9: all
    per-call overhead (a few hundred FLOP per layer), where the Python autograd layer shows."""
    import torch

    import fastnn.nn
    import fastnn.optim

    torch.manual_seed(0)
    ours = _xor_mlp(fastnn.nn).to(device)
    theirs = _xor_mlp(torch.nn).to(device)
    theirs.load_state_dict(ours.state_dict())
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], device=device)
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0]], device=device)

    def stepper(model, optim, nn):
        opt, loss = optim.SGD(model.parameters(), lr=0.5, momentum=0.9), nn.BCELoss()

        def step():
            opt.zero_grad()
            loss(model(x), y).backward()
            opt.step()

        return step

    return {"fastnn": stepper(ours, fastnn.optim, fastnn.nn), "torch": stepper(theirs, torch.optim, torch.nn)}


def _setup(build, x_shape):
    def setup(device):
        import torch

        import fastnn.functional
        import fastnn.nn
        import fastnn.optim

        torch.manual_seed(0)
        ours = build(fastnn.nn).to(device)
        theirs = build(torch.nn).to(device)
        theirs.load_state_dict(ours.state_dict())
        x = torch.randn(x_shape, device=device)
        t = torch.randint(0, 10, (x_shape[0],), device=device)

        def stepper(model, optim, F):
            opt = optim.Adam(model.parameters(), lr=1e-3)

            def step():
                opt.zero_grad()
                F.cross_entropy(model(x), t).backward()
                opt.step()

            return step

        return {"fastnn": stepper(ours, fastnn.optim, fastnn.functional),
                "torch": stepper(theirs, torch.optim, torch.nn.functional)}

    return setup


def cases() -> list[Case]:
    return [
        Case("models", "MNIST CNN train step", "batch 64", 64, _setup(_mnist_cnn, (64, 1, 28, 28)),
             flops=MNIST_FLOPS, napkin="conv 1->32, pool, conv 32->64, pool, fc 3136->128->10; fwd+bwd+Adam"),
        Case("models", "CIFAR MLP train step", "batch 64", 64, _setup(_cifar_mlp, (64, 3, 32, 32)),
             flops=CIFAR_FLOPS, napkin="3072->1000->500->10; fwd+bwd+Adam"),
        Case("models", "LeNet-5 train step", "batch 64", 64, _setup(_lenet5, (64, 1, 28, 28)),
             flops=LENET_FLOPS, napkin="conv 1->6 5x5, pool, conv 6->16 5x5, pool, fc 256->120->84->10; fwd+bwd+Adam"),
        Case("models", "XOR MLP train step", "4 points", 4, _xor_setup, flops=4 * 2 * 3 * (2 * 8 + 8),
             napkin="2->8->1, tanh, sigmoid, BCE, SGD momentum: per-call overhead only"),
    ]
