"""Finite-difference derivatives of functions evaluated in batches.

The functions differentiated here are usually a submission's, running in the
worker: every evaluation point is built first and sent in one batch, so a
whole Jacobian costs one round trip. The interface is therefore an
``evaluate_many`` callable that maps a list of inputs to a list of outputs;
for a plain Python function ``f`` it is ``lambda xs: [f(x) for x in xs]``.

Step rule. Central differences ``(f(x + h) - f(x - h)) / 2h`` have a
truncation error of order ``h**2 * f'''`` and a round-off error of order
``eps * |f| / h``, where ``eps`` is the float64 machine epsilon. The two are
balanced by ``h ~ eps**(1/3)``, about 6e-6, scaled by the magnitude of the
coordinate so that the step stays meaningful for large inputs::

    h_i = eps**(1/3) * max(1, |x_i|)

The step is then rounded so that ``x_i + h_i`` is exactly representable,
which removes one source of round-off. For smooth functions of moderate
curvature the result is accurate to about 1e-10, well inside the
``|a - n| / max(1, |n|) <= 1e-6`` that the checks ask of derivatives.

Known limit: the inputs the checks use are kept away from kinks (relu at 0);
a difference that straddles a kink anyway gives the mean of the two one-sided
slopes, which the checks will report as a mismatch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["EPS", "default_step", "central_differences", "probe_points"]

#: float64 machine epsilon.
EPS = float(np.finfo(np.float64).eps)


def default_step(x: np.ndarray) -> np.ndarray:
    """Return the central-difference step for every coordinate of ``x``.

    Parameters
    ----------
    x : ndarray
        The point, any shape.

    Returns
    -------
    ndarray, same shape as x
        ``eps**(1/3) * max(1, |x_i|)``, rounded so that ``x + h`` is exact.
    """
    x = np.asarray(x, dtype=float)
    h = EPS ** (1 / 3) * np.maximum(1.0, np.abs(x))
    return (x + h) - x


def probe_points(
    x: np.ndarray, step: np.ndarray | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """Build the points at which a central-difference Jacobian evaluates f.

    Parameters
    ----------
    x : ndarray
        The point, any shape.
    step : ndarray, optional
        Per-coordinate steps; `default_step` when not given.

    Returns
    -------
    points : list of ndarray
        ``2 * x.size`` points: ``x + h_i e_i`` then ``x - h_i e_i`` for each
        coordinate ``i`` in C order.
    step : ndarray, same shape as x
        The steps used.
    """
    x = np.asarray(x, dtype=float)
    h = default_step(x) if step is None else np.broadcast_to(step, x.shape)
    points = []
    for i in range(x.size):
        for sign in (1.0, -1.0):
            point = x.copy()
            point.flat[i] += sign * h.flat[i]
            points.append(point)
    return points, np.array(h, dtype=float)


def central_differences(
    evaluate_many: Callable[[list[np.ndarray]], Sequence[np.ndarray]],
    x: np.ndarray,
    step: np.ndarray | None = None,
) -> np.ndarray:
    """Jacobian of f at x by central differences, every coordinate covered.

    Parameters
    ----------
    evaluate_many : callable
        Maps a list of inputs shaped like ``x`` to the list of f's outputs,
        all of one shape ``S`` (a float is shape ``()``).
    x : ndarray
        The point, any shape.
    step : ndarray, optional
        Per-coordinate steps; `default_step` when not given.

    Returns
    -------
    ndarray, shape S + x.shape
        ``J[s..., i...] = d f[s...] / d x[i...]``.

    Examples
    --------
    >>> J = central_differences(lambda xs: [np.sin(x) for x in xs], np.zeros(2))
    >>> np.round(J, 8)
    array([[1., 0.],
           [0., 1.]])
    """
    x = np.asarray(x, dtype=float)
    points, h = probe_points(x, step)
    values = [np.asarray(v, dtype=float) for v in evaluate_many(points)]
    if len(values) != len(points):
        raise ValueError(
            f"evaluate_many returned {len(values)} values for {len(points)} points"
        )
    out_shape = values[0].shape if values else ()
    columns = np.empty((x.size,) + out_shape)
    for i in range(x.size):
        plus, minus = values[2 * i], values[2 * i + 1]
        columns[i] = (plus - minus) / (2 * h.flat[i])
    # columns is indexed [i, s...]; move the input axes last.
    jacobian = np.moveaxis(columns, 0, -1)
    return jacobian.reshape(out_shape + x.shape)
