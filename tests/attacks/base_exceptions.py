"""Raise the exceptions that are not Exceptions."""


class _Escape(BaseException):
    pass


def forward(X, W, b, activations):  # noqa: F811
    raise KeyboardInterrupt


def backward(X, d, W, b, activations, divergence):  # noqa: F811
    raise BaseException("stop the grader")


def empirical_risk(Y, d, divergence):  # noqa: F811
    raise _Escape()


def train(X, d, W, b, activations, divergence, eta, epochs):  # noqa: F811
    raise GeneratorExit
