"""Leave processes running after the grading: a child, and a detached daemon
started by a double fork."""

import os
import time


def _linger(seconds):
    time.sleep(seconds)
    os._exit(0)


if os.fork() == 0:
    _linger(120)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        _linger(120)
    os._exit(0)


def forward(X, W, b, activations):  # noqa: F811
    if os.fork() == 0:
        os.setsid()
        _linger(120)
    raise NotImplementedError
