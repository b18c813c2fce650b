"""The seed MNIST CNN (conv 1->32, conv 32->64 with 2x2 max-pools, fc 3136->128->10), Adam lr 1e-3 with StepLR
(step 5, gamma 0.5), written as a torch script with the two-line swap (fastnn.nn, fastnn.optim). Trains on
the MNIST IDX files in --data when they are there, else on scikit-learn's bundled digits upscaled to 28x28;
prints the test accuracy."""
import torch
import torch.nn.functional as F
from tqdm import tqdm

import fastnn.nn as nn
import fastnn.optim as optim
from fastnn import datasets
from _common import accuracy, batches, parser, set_seed


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def main(argv=None):
    args = parser(__doc__, epochs=8).parse_args(argv)
    rng = set_seed(args.seed)
    if args.data and datasets.has_mnist(args.data):
        train_x, train_y, test_x, test_y = datasets.load_mnist(args.data)
    else:
        train_x, train_y, test_x, test_y = datasets.digits_28x28(seed=args.seed)
    model = Net()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    sched = optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        bar = tqdm(list(batches(len(train_y), 64, rng)), desc=f"epoch {epoch + 1}/{args.epochs}", mininterval=0.5)
        for idx in bar:
            opt.zero_grad()
            loss = loss_fn(model(torch.from_numpy(train_x[idx])), torch.from_numpy(train_y[idx]))
            loss.backward()
            opt.step()
            bar.set_postfix(loss=f"{loss.item():.3f}")
        sched.step()
    acc = accuracy(model, test_x, test_y)
    print(f"test accuracy: {acc:.4f}")
    return acc


if __name__ == "__main__":
    main()
