"""LeNet-5 (conv 1->6 5x5, pool, conv 6->16 5x5, pool, fc 256->120->84->10, tanh), SGD with momentum, on the
MNIST IDX files in --data or scikit-learn's digits upscaled to 28x28 (it says which); prints the training time
and the test accuracy."""
import fastnn.nn as nn
import fastnn.optim as optim
from _common import fit, mnist_or_digits, parser, report, set_seed


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(),
                         nn.AvgPool2d(2), nn.Flatten(), nn.Linear(16 * 4 * 4, 120), nn.Tanh(), nn.Linear(120, 84),
                         nn.Tanh(), nn.Linear(84, 10))


def main(argv=None):
    args = parser(__doc__, epochs=15).parse_args(argv)
    rng = set_seed(args.seed)
    train_x, train_y, test_x, test_y = mnist_or_digits(args)
    model = lenet5()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    fit(model, opt, nn.CrossEntropyLoss(), train_x, train_y, args.epochs, rng)
    return report(model, test_x, test_y)


if __name__ == "__main__":
    main()
