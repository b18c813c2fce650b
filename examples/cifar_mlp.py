"""The CIFAR-10 MLP (3072->1000->500->10, ReLU), Adam lr 3e-4, with the two-line swap (fastnn.nn, fastnn.optim).
Reads the CIFAR-10 python batches in --data, else a synthetic stand-in (class templates plus noise); says which,
and prints the training time and the test accuracy."""
import fastnn.nn as nn
import fastnn.optim as optim
from fastnn import datasets
from _common import fit, parser, report, say_data, set_seed


def main(argv=None):
    args = parser(__doc__, epochs=3).parse_args(argv)
    rng = set_seed(args.seed)
    if args.data:
        train_x, train_y, test_x, test_y = datasets.load_cifar10(args.data)
        say_data(f"data: CIFAR-10 python batches in {args.data}", train_y, test_y)
    else:
        train_x, train_y, test_x, test_y = datasets.synthetic_cifar10(seed=args.seed)
        say_data("no --data: using a synthetic stand-in for CIFAR-10, class templates plus noise", train_y, test_y)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3072, 1000), nn.ReLU(), nn.Linear(1000, 500), nn.ReLU(),
                          nn.Linear(500, 10))
    opt = optim.Adam(model.parameters(), lr=3e-4)
    fit(model, opt, nn.CrossEntropyLoss(), train_x, train_y, args.epochs, rng)
    return report(model, test_x, test_y)


if __name__ == "__main__":
    main()
