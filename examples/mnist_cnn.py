"""The seed MNIST CNN (conv 1->32, conv 32->64 with 2x2 max-pools, fc 3136->128->10), Adam lr 1e-3 with StepLR
(step 5, gamma 0.5), written as a torch script with the two-line swap (fastnn.nn, fastnn.optim). Trains on
the MNIST IDX files in --data, else on scikit-learn's bundled digits upscaled to 28x28 (it says which); prints
the training time and the test accuracy."""
import torch.nn.functional as F

import fastnn.nn as nn
import fastnn.optim as optim
from _common import fit, mnist_or_digits, parser, report, set_seed


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
    train_x, train_y, test_x, test_y = mnist_or_digits(args)
    model = Net()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    sched = optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    fit(model, opt, nn.CrossEntropyLoss(), train_x, train_y, args.epochs, rng, after_epoch=lambda _: sched.step())
    return report(model, test_x, test_y)


if __name__ == "__main__":
    main()
