"""Never return."""

import time


def forward(X, W, b, activations):  # noqa: F811
    while True:
        time.sleep(1000)


def backward(X, d, W, b, activations, divergence):  # noqa: F811
    while True:
        pass
