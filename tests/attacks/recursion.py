"""Recurse forever: first into a RecursionError, then, with the limit lifted,
through C code until the stack overflows."""

import sys


def forward(X, W, b, activations):  # noqa: F811
    return forward(X, W, b, activations)


def backward(X, d, W, b, activations, divergence):  # noqa: F811
    sys.setrecursionlimit(10**9)

    def deeper(n):
        return sum(map(deeper, [n + 1]))

    return deeper(0)
