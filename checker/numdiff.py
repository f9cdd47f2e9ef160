"""Finite-difference derivatives of functions evaluated in batches.

The functions differentiated here are usually a submission's, running in the
worker: every evaluation point is built first and sent in one batch, so a
whole Jacobian costs one round trip. The interface is therefore an
``evaluate_many`` callable that maps a list of inputs to a list of outputs;
for a plain Python function ``f`` it is ``lambda xs: [f(x) for x in xs]``.

Schemes and steps
-----------------
Central differences ``C(h) = (f(x + h) - f(x - h)) / 2h`` have a truncation
error of order ``h**2`` and a round-off error of order ``eps * |f| / h``, where
``eps`` is the machine epsilon of the arithmetic f uses. `central_differences`
balances the two with ``h ~ eps**(1/3)``, about 6e-6 in float64.

`richardson` removes the ``h**2`` term: ``R(h) = (4 C(h/2) - C(h)) / 3`` is
accurate to order ``h**4``, so the balance moves to ``h ~ eps**(1/5)``, about
7e-4, where the error is about ``eps**(4/5)``: 1e-12 relative on smooth
functions of moderate scale. Each probe evaluates f at ``+-h``, ``+-h/2`` and
``+-h/4``; the estimate is ``R(h/2)`` and its error is estimated by
``|R(h/2) - R(h)|`` (the coarser extrapolation is about 16 times less
accurate) plus round-off. The estimate comes with every result.

Every step is scaled by the magnitude of what it moves, ``max(1, |x_i|)`` for a
coordinate, so that it stays meaningful for large inputs, and rounded so that
``x + h`` is exactly representable.

Kinks
-----
Functions such as relu are not differentiable everywhere. The one-sided
slopes ``(f(x + h) - f(x)) / h`` and ``(f(x) - f(x - h)) / h`` differ by the
second difference ``(f(x + h) - 2 f(x) + f(x - h)) / h``: for a smooth function
that is ``h f''``, so divided by ``h`` again it gives the same ``f''`` at every
step, up to an error that shrinks like ``h**2``; across a kink it is the
jump of the slope and the quotients disagree by about the jump divided by the
step, a gap that does not shrink with the step. A probe whose second
differences at ``h``, ``h/2`` and ``h/4`` imply a slope jump above `KINK_JUMP`
(relative) and above round-off, and whose gap does not shrink, is marked as a
kink: its estimate is not a derivative, and the checks exclude it and count
it, never fail it. A kink between ``h/2`` and ``h`` does not touch the
estimate, only its error estimate, which then widens the tolerance.

Directions and sweeps
---------------------
`directional` differentiates along given directions: the cost is six
evaluations per direction, whatever the number of coordinates. `taylor_sweep`
tells a wrong derivative from a noisy estimate: the error of a correct
derivative falls with the step at the order of the scheme until round-off
takes over, the error of a wrong one levels off at the size of the mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "EPS",
    "EPS32",
    "KINK_JUMP",
    "Estimate",
    "Sweep",
    "default_step",
    "probe_points",
    "central_differences",
    "richardson",
    "directional",
    "taylor_sweep",
]

#: float64 machine epsilon.
EPS = float(np.finfo(np.float64).eps)

#: float32 machine epsilon, for functions that compute in float32.
EPS32 = float(np.finfo(np.float32).eps)

#: Smallest jump of the slope, relative to ``1 + |derivative|``, counted as a
#: kink. A smaller jump moves a central difference by less than half of it,
#: below the tolerance of the derivative checks.
KINK_JUMP = 1e-6

EvaluateMany = Callable[[list[np.ndarray]], Sequence[object]]


def default_step(x: np.ndarray, eps: float = EPS, power: float = 1 / 3) -> np.ndarray:
    """Return the finite-difference step for every coordinate of ``x``.

    Parameters
    ----------
    x : ndarray
        The point, any shape.
    eps : float
        Machine epsilon of the arithmetic of the function differentiated.
    power : float
        ``1/3`` for central differences, ``1/5`` for Richardson extrapolation.

    Returns
    -------
    ndarray, same shape as x
        ``eps**power * max(1, |x_i|)``, rounded so that ``x + h`` is exact.
    """
    x = np.asarray(x, dtype=float)
    h = eps**power * np.maximum(1.0, np.abs(x))
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
    return _along_coordinates(x, h.ravel(), (1.0, -1.0)), np.array(h, dtype=float)


def _along_coordinates(
    x: np.ndarray, h: np.ndarray, offsets: Sequence[float]
) -> list[np.ndarray]:
    """``x + offset * h_i e_i`` for every coordinate i, then every offset."""
    points = []
    for i in range(x.size):
        for offset in offsets:
            point = x.copy()
            point.flat[i] += offset * h[i]
            points.append(point)
    return points


def _values(evaluate_many: EvaluateMany, points: list[np.ndarray]) -> np.ndarray:
    values = [np.asarray(v, dtype=float) for v in evaluate_many(points)]
    if len(values) != len(points):
        raise ValueError(
            f"evaluate_many returned {len(values)} values for {len(points)} points"
        )
    shapes = {v.shape for v in values}
    if len(shapes) > 1:
        raise ValueError(f"evaluate_many returned values of shapes {sorted(shapes)}")
    return np.stack(values) if values else np.empty((0,))


def central_differences(
    evaluate_many: EvaluateMany,
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
    values = _values(evaluate_many, points)
    out_shape = values.shape[1:]
    plus, minus = values[0::2], values[1::2]
    scale = (2 * h.ravel()).reshape((-1,) + (1,) * len(out_shape))
    columns = (plus - minus) / scale
    return np.moveaxis(columns, 0, -1).reshape(out_shape + x.shape)


@dataclass
class Estimate:
    """Derivatives estimated by Richardson extrapolation, with their errors.

    Attributes
    ----------
    value : ndarray
        The estimates.
    error : ndarray, same shape
        An estimate of their absolute error (truncation and round-off).
    kinks : ndarray of bool, same shape
        True where a kink lies within the step: there the estimate is not a
        derivative and must not be compared.
    evaluations : int
        How many times f was evaluated.
    """

    value: np.ndarray
    error: np.ndarray
    kinks: np.ndarray
    evaluations: int


#: Step multipliers of one probe: +-h, +-h/2 and +-h/4.
_OFFSETS = (1.0, -1.0, 0.5, -0.5, 0.25, -0.25)


def _extrapolate(
    f0: np.ndarray, values: np.ndarray, h: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Richardson estimate, error and kinks from values at +-h, +-h/2, +-h/4.

    ``values`` is indexed ``[probe, k, ...]`` in the order of `_OFFSETS`;
    ``h`` has one step per probe, broadcast against the output. The estimate
    is ``R(h/2)``, the extrapolation of ``C(h/2)`` and ``C(h/4)``; its error
    is estimated by how far it moved from ``R(h)``, plus round-off.
    """
    h = h.reshape((-1,) + (1,) * (values.ndim - 2))
    v = [values[:, k] for k in range(len(_OFFSETS))]
    central = [(v[2 * j] - v[2 * j + 1]) / (2 * h / 2**j) for j in range(3)]
    coarse = (4 * central[1] - central[0]) / 3
    fine = (4 * central[2] - central[1]) / 3

    magnitude = np.abs(f0) + np.abs(v[0]) + np.abs(v[1])
    error = np.abs(fine - coarse) + 16 * eps * magnitude / h

    # Second differences estimate f'' at each step; for a smooth f they agree
    # to O(h**2), across a kink they scale like jump / step and do not.
    curvature = [(v[2 * j] - 2 * f0 + v[2 * j + 1]) / (h / 2**j) ** 2 for j in range(3)]
    wide_spread = np.abs(curvature[1] - curvature[0])
    narrow_spread = np.abs(curvature[2] - curvature[1])
    jump = np.maximum(wide_spread, narrow_spread) * h
    noise = 256 * eps * (np.abs(f0) + 1) / h
    # Smooth: the spread falls about 4 times per halving of the step. A kink
    # within h/4 makes it grow, one between h/4 and h/2 leaves it large; one
    # beyond h/2 touches only R(h), which the error estimate already widens.
    not_shrinking = narrow_spread > wide_spread / 2
    kinks = (jump > np.maximum(KINK_JUMP * (np.abs(fine) + 1), noise)) & not_shrinking
    return fine, error, kinks


def richardson(
    evaluate_many: EvaluateMany, x: np.ndarray, eps: float = EPS
) -> Estimate:
    """Jacobian of f at x by Richardson extrapolation of central differences.

    Costs ``6 * x.size + 1`` evaluations in one batch.

    Parameters
    ----------
    evaluate_many : callable
        Maps a list of inputs shaped like ``x`` to the list of f's outputs,
        all of one shape ``S``.
    x : ndarray
        The point, any shape.
    eps : float
        Machine epsilon of f's arithmetic (`EPS32` for a float32 function).

    Returns
    -------
    Estimate
        ``value``, ``error`` and ``kinks`` of shape ``S + x.shape``.
    """
    x = np.asarray(x, dtype=float)
    h = default_step(x, eps, power=1 / 5).ravel()
    points = [x] + _along_coordinates(x, h, _OFFSETS)
    values = _values(evaluate_many, points)
    out_shape = values.shape[1:]
    around = values[1:].reshape((x.size, len(_OFFSETS)) + out_shape)
    estimate, error, kinks = _extrapolate(values[0], around, h, eps)

    def arrange(a: np.ndarray) -> np.ndarray:
        return np.moveaxis(a, 0, -1).reshape(out_shape + x.shape)

    return Estimate(arrange(estimate), arrange(error), arrange(kinks), len(points))


def directional(
    evaluate_many: EvaluateMany,
    x: np.ndarray,
    directions: Sequence[np.ndarray],
    eps: float = EPS,
    step_scale: float = 1.0,
) -> Estimate:
    """Derivatives of f at x along the given directions.

    The step along a direction ``u`` is ``step_scale * eps**(1/5) * max(1,
    rms(x)) / |u|``, so that the point moves by the same distance whatever the
    number of coordinates. A smaller ``step_scale`` crosses fewer kinks at the
    price of more round-off. Costs ``6 * len(directions) + 1`` evaluations.

    Parameters
    ----------
    evaluate_many : callable
        As for `richardson`.
    x : ndarray
        The point.
    directions : sequence of ndarray
        Directions shaped like ``x``; they need not be unit vectors.

    Returns
    -------
    Estimate
        ``value[m, ...]`` estimates ``sum(J * directions[m])`` over x's axes.
    """
    x = np.asarray(x, dtype=float)
    scale = max(1.0, float(np.sqrt(np.mean(x**2)))) if x.size else 1.0
    steps = []
    points = [x]
    for u in directions:
        norm = float(np.linalg.norm(u))
        if norm == 0:
            raise ValueError("a direction of zero length")
        h = step_scale * eps ** (1 / 5) * scale / norm
        steps.append(h)
        points += [x + offset * h * u for offset in _OFFSETS]
    values = _values(evaluate_many, points)
    around = values[1:].reshape((len(directions), len(_OFFSETS)) + values.shape[1:])
    estimate, error, kinks = _extrapolate(values[0], around, np.array(steps), eps)
    return Estimate(estimate, error, kinks, len(points))


@dataclass
class Sweep:
    """Errors of central differences against a claimed derivative, by step.

    Attributes
    ----------
    steps : ndarray
        The steps, largest first.
    errors : ndarray
        ``|C(h) - claimed|`` for each step.
    floor : ndarray
        The round-off level of ``C(h)`` for each step.
    wrong : bool
        True when the errors level off above round-off instead of falling
        with the step: the claimed derivative is wrong by about ``level``.
    level : float
        The smallest error above round-off, the size of the mistake.
    """

    steps: np.ndarray
    errors: np.ndarray
    floor: np.ndarray
    wrong: bool
    level: float

    def table(self) -> str:
        """The sweep as lines ``step 1e-02: error 3.1e-04`` for a report."""
        lines = []
        for h, e, r in zip(self.steps, self.errors, self.floor):
            mark = "  (round-off)" if e <= r else ""
            lines.append(f"step {h:.0e}: error {e:.2e}{mark}")
        return "\n".join(lines)


def taylor_sweep(
    evaluate_many: EvaluateMany,
    x: np.ndarray,
    direction: np.ndarray,
    claimed: float,
    eps: float = EPS,
    steps: Sequence[float] | None = None,
) -> Sweep:
    """Central differences along ``direction`` at decreasing steps.

    For a correct ``claimed`` derivative the errors fall by about four for
    every halving of the step (second order) until they reach round-off; for
    a wrong one they level off at the size of the mistake. The verdict is
    ``wrong`` when the last three errors that stand clearly above round-off
    (four times its estimate) agree within a factor of two: a second-order
    error would have fallen by 16 from one to the next.

    Parameters
    ----------
    evaluate_many : callable
        Maps a list of points to a list of scalars.
    x, direction : ndarray
        The point and the direction (any norm).
    claimed : float
        The derivative along ``direction`` that is being tested.
    eps : float
        Machine epsilon of f's arithmetic.
    steps : sequence of float, optional
        Steps relative to ``max(1, rms(x)) / |direction|``; by default eight
        steps from 1e-1 down by factors of 4.

    Returns
    -------
    Sweep
    """
    x = np.asarray(x, dtype=float)
    direction = np.asarray(direction, dtype=float)
    relative = np.asarray(steps if steps is not None else 0.1 / 4.0 ** np.arange(8))
    scale = max(1.0, float(np.sqrt(np.mean(x**2)))) / float(np.linalg.norm(direction))
    h = relative * scale
    points = [x]
    for t in h:
        points += [x + t * direction, x - t * direction]
    values = _values(evaluate_many, points)
    f0, plus, minus = values[0], values[1::2], values[2::2]
    estimates = (plus - minus) / (2 * h)
    errors = np.abs(estimates - claimed)
    floor = 8 * eps * (np.abs(f0) + 1) / h

    clear = errors > 4 * floor
    wrong = False
    level = float(errors.min())
    if clear.sum() >= 3:
        tail = errors[clear][-3:]
        level = float(tail.min())
        wrong = bool(tail.max() <= 2 * tail.min())
    return Sweep(relative, errors, floor, wrong, level)
