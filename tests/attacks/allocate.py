"""Allocate tens of gigabytes, all at once and bit by bit."""

import numpy as np


def forward(X, W, b, activations):  # noqa: F811
    return [np.ones((40 * 2**30 // 8,))], []


def backward(X, d, W, b, activations, divergence):  # noqa: F811
    hoard = []
    while True:
        hoard.append(np.empty(2**28))


def empirical_risk(Y, d, divergence):  # noqa: F811
    return float(np.zeros((200_000, 200_000)).sum())
