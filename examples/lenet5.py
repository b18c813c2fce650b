"""LeNet-5 (conv 1->6 5x5, pool, conv 6->16 5x5, pool, fc 256->120->84->10, tanh), SGD with momentum, on the
MNIST IDX files in --data or scikit-learn's digits upscaled to 28x28; prints the test accuracy."""
import torch
from tqdm import tqdm

import fastnn.nn as nn
import fastnn.optim as optim
from fastnn import datasets
from _common import accuracy, batches, parser, set_seed


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(),
                         nn.AvgPool2d(2), nn.Flatten(), nn.Linear(16 * 4 * 4, 120), nn.Tanh(), nn.Linear(120, 84),
                         nn.Tanh(), nn.Linear(84, 10))


def main(argv=None):
    args = parser(__doc__, epochs=15).parse_args(argv)
    rng = set_seed(args.seed)
    if args.data and datasets.has_mnist(args.data):
        train_x, train_y, test_x, test_y = datasets.load_mnist(args.data)
    else:
        train_x, train_y, test_x, test_y = datasets.digits_28x28(seed=args.seed)
    model = lenet5()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        for idx in tqdm(list(batches(len(train_y), 64, rng)), desc=f"epoch {epoch + 1}/{args.epochs}",
                        mininterval=0.5):
            opt.zero_grad()
            loss_fn(model(torch.from_numpy(train_x[idx])), torch.from_numpy(train_y[idx])).backward()
            opt.step()
    acc = accuracy(model, test_x, test_y)
    print(f"test accuracy: {acc:.4f}")
    return acc


if __name__ == "__main__":
    main()
