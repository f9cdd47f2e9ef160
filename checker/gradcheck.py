"""Checking a gradient tensor by tensor against finite differences of a loss.

`check_gradient` compares the gradients a submission's backward pass claims
with finite differences of the loss its own forward pass computes. Every
weight and bias tensor is checked on its own, so a mistake in a small tensor
is never diluted by a large one.

Modes, chosen per tensor by ``mode="auto"``:

- every coordinate (tensors of at most ``full_limit`` entries): Richardson
  estimates of all partial derivatives, ``6 n + 1`` loss evaluations;
- directions (larger tensors): the derivative along ``directions`` random
  sign vectors ``u`` restricted to the tensor, compared with ``g . u``. It
  costs ``6`` evaluations a direction whatever the tensor's size. With signs
  of +-1 every entry weighs the same in ``g . u``, so one wrong entry moves
  it by its whole error, whichever entry it is; several wrong entries cancel
  exactly with probability at most 1/2 per direction.
- sampled coordinates (``mode="sample"``): ``samples`` random coordinates.

A directional mismatch is then localised: the coordinates are split in
halves, each half probed with the same signs, and the half with the larger
mismatch kept, down to one entry (``12 log2 n`` evaluations), whose index,
claimed and estimated values the report gives.

Before a tensor fails, its worst mismatch is confirmed by a step sweep
(`checker.numdiff.taylor_sweep`): if the error keeps falling with the step,
the estimate was noisy and the tensor passes with a note; if it levels off,
the derivative is wrong and the sweep is shown.

Acceptance of an estimate ``n`` with error estimate ``E`` for a claimed value
``a``::

    |a - n| <= rtol * max(|n|, s) + 4 E

where ``s`` is the largest estimate of the same tensor (entries are judged
relative to their tensor's scale) for coordinates, and ``sum |a_i u_i|`` for
directions; ``rtol`` is `DEFAULT_RTOL` for coordinates and the far smaller
`DIRECTIONAL_RTOL` for directions (both scaled together by the ``rtol``
argument).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .compare import derivative_bound, is_hidden
from .numdiff import EPS, Estimate, directional, richardson, taylor_sweep

__all__ = [
    "TensorResult",
    "GradientResult",
    "check_gradient",
    "DEFAULT_RTOL",
    "DIRECTIONAL_RTOL",
]

#: Relative tolerance of gradient entries, against the tensor's scale.
DEFAULT_RTOL = 1e-6

#: Relative tolerance of a directional derivative against ``sum |a_i u_i|``.
#: One wrong entry among n moves ``g . u`` by about 1/n of that sum times its
#: relative error, so this must be far below ``DEFAULT_RTOL``; the rounding of
#: a float64 dot product is near 1e-16 of it, and finite-difference noise is
#: covered by the estimate's own error term.
DIRECTIONAL_RTOL = 1e-12

#: A loss over parameter lists: many parameter lists in, one float each out.
LossMany = Callable[[list[list[np.ndarray]]], Sequence[float]]


@dataclass
class TensorResult:
    """The verdict on one gradient tensor.

    Attributes
    ----------
    name : str
        E.g. ``"dweights[0]"``.
    mode : str
        ``"every coordinate"``, ``"directions"`` or ``"sampled coordinates"``.
    passed : bool
    evaluations : int
        Loss evaluations spent on this tensor.
    detection_evaluations : int
        Of those, the evaluations spent before a mismatch was confirmed by a
        step sweep or localised: the cost of the check on a correct gradient.
    compared : int
        Probes compared (coordinates or directions).
    excluded : int
        Probes left out because a kink lay within the step.
    text : str
        For a failure, the explanation; for a pass, an optional note.
    worst_index : tuple of int or None
        Index of the worst entry found, when the tensor failed.
    """

    name: str
    mode: str
    passed: bool
    evaluations: int = 0
    detection_evaluations: int = 0
    compared: int = 0
    excluded: int = 0
    text: str = ""
    worst_index: tuple[int, ...] | None = None


@dataclass
class GradientResult:
    """Verdicts on all tensors of a gradient."""

    tensors: list[TensorResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.tensors)

    @property
    def evaluations(self) -> int:
        return sum(t.evaluations for t in self.tensors)

    @property
    def excluded(self) -> int:
        return sum(t.excluded for t in self.tensors)

    def failures(self) -> list[TensorResult]:
        return [t for t in self.tensors if not t.passed]


def _index_text(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


class _TensorProbe:
    """The loss as a function of one tensor, the others held fixed."""

    def __init__(self, loss_many: LossMany, params: list[np.ndarray], k: int):
        self.loss_many = loss_many
        self.params = params
        self.k = k
        self.evaluations = 0

    def __call__(self, points: list[np.ndarray]) -> list[float]:
        batch = []
        for point in points:
            params = list(self.params)
            params[self.k] = point.reshape(self.params[self.k].shape)
            batch.append(params)
        self.evaluations += len(points)
        return [float(v) for v in self.loss_many(batch)]


def _accept(claimed, estimate: Estimate, scale, rtol: float) -> np.ndarray:
    """Boolean mask of the estimates that agree with the claimed values."""
    bound = rtol * np.maximum(np.abs(estimate.value), scale) + 4 * estimate.error
    with np.errstate(invalid="ignore"):
        return np.abs(claimed - estimate.value) <= bound


def _confirm(
    probe: _TensorProbe,
    x: np.ndarray,
    direction: np.ndarray,
    claimed: float,
    eps: float,
) -> tuple[bool, str]:
    """Run a step sweep along ``direction``; return (wrong, table).

    The sweep starts at the step of the estimates and shrinks it by 4 each
    time, so that it crosses no kink the estimate did not cross.
    """
    steps = eps ** (1 / 5) / 4.0 ** np.arange(8)
    sweep = taylor_sweep(probe, x, direction, claimed, eps, steps)
    return sweep.wrong, sweep.table()


#: Step multipliers tried in turn when a direction crosses a kink.
_STEP_SCALES = (1.0, 1 / 16, 1 / 256)


def _along(
    probe: _TensorProbe, x: np.ndarray, directions: list[np.ndarray], eps: float
) -> Estimate:
    """Directional estimates; a direction that crosses a kink is tried again
    with smaller steps (a large relu network has kinks near most points), and
    stays marked as a kink only if every step crosses one."""
    estimate = directional(probe, x, directions, eps)
    for step_scale in _STEP_SCALES[1:]:
        kinked = np.flatnonzero(estimate.kinks)
        if kinked.size == 0:
            break
        retry = directional(probe, x, [directions[i] for i in kinked], eps, step_scale)
        estimate.value[kinked] = retry.value
        estimate.error[kinked] = retry.error
        estimate.kinks[kinked] = retry.kinks
        estimate.evaluations += retry.evaluations
    return estimate


def _check_coordinates(
    probe: _TensorProbe,
    name: str,
    x: np.ndarray,
    a: np.ndarray,
    coordinates: np.ndarray | None,
    rtol: float,
    eps: float,
) -> TensorResult:
    mode = "every coordinate" if coordinates is None else "sampled coordinates"
    chosen = np.arange(x.size) if coordinates is None else coordinates
    flat = x.ravel()

    # Differentiate only the chosen coordinates: a function of len(chosen).
    def restricted(points: list[np.ndarray]) -> list[float]:
        full = []
        for p in points:
            q = flat.copy()
            q[chosen] = p
            full.append(q)
        return probe(full)

    estimate = richardson(restricted, flat[chosen], eps)
    detection = probe.evaluations
    claimed = a.ravel()[chosen]
    bound = derivative_bound(estimate.value, estimate.error, rtol)
    with np.errstate(invalid="ignore"):
        ok = (np.abs(claimed - estimate.value) <= bound) | estimate.kinks
    excluded = int(estimate.kinks.sum())
    result = TensorResult(name, mode, True, compared=int(chosen.size) - excluded)
    result.excluded = excluded
    result.detection_evaluations = detection
    if ok.all():
        result.evaluations = probe.evaluations
        return result

    badness = np.where(ok, 0.0, np.abs(claimed - estimate.value) / bound)
    worst = int(np.argmax(badness))
    coordinate = int(chosen[worst])
    direction = np.zeros(x.size)
    direction[coordinate] = 1.0
    wrong, table = _confirm(probe, flat, direction, float(claimed[worst]), eps)
    result.evaluations = probe.evaluations
    index = tuple(int(i) for i in np.unravel_index(coordinate, x.shape))
    if not wrong:
        result.text = (
            f"{name}{_index_text(index)}: finite differences were too noisy to "
            f"decide, so it was not failed; step sweep:\n{table}"
        )
        return result
    result.passed = False
    result.worst_index = index
    count = int((~ok).sum())
    if is_hidden():
        result.text = (
            f"{name}: {count} of {result.compared} entries differ from finite "
            "differences of your loss (values of hidden checks are not shown)"
        )
        return result
    result.text = (
        f"{name}: {count} of {result.compared} entries differ from finite "
        f"differences of your loss\n"
        f"  worst at {_index_text(index)}: finite differences "
        f"{estimate.value[worst]:.6g}, yours {claimed[worst]:.6g}\n"
        f"  the error levels off as the step shrinks, so the derivative is "
        f"wrong:\n" + "\n".join("    " + line for line in table.splitlines())
    )
    return result


def _signs(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.choice(np.array([-1.0, 1.0]), size=size)


def _localise(
    probe: _TensorProbe,
    x: np.ndarray,
    a: np.ndarray,
    signs: np.ndarray,
    rtol: float,
    eps: float,
) -> int:
    """Bisect the coordinates down to one whose derivative is wrong."""
    candidates = np.arange(x.size)
    while candidates.size > 1:
        halves = np.array_split(candidates, 2)
        directions = []
        for half in halves:
            u = np.zeros(x.size)
            u[half] = signs[half]
            directions.append(u)
        estimate = _along(probe, x, directions, eps)
        claimed = np.array([a @ u for u in directions])
        scale = np.array([np.abs(a * u).sum() for u in directions])
        bound = rtol * np.maximum(np.abs(estimate.value), scale) + 4 * estimate.error
        badness = np.abs(claimed - estimate.value) / bound
        badness[estimate.kinks] = -1.0
        candidates = halves[int(np.argmax(badness))]
    return int(candidates[0])


def _check_directions(
    probe: _TensorProbe,
    name: str,
    x: np.ndarray,
    a: np.ndarray,
    rng: np.random.Generator,
    count: int,
    rtol: float,
    eps: float,
    localise: bool,
) -> TensorResult:
    rtol = rtol * DIRECTIONAL_RTOL / DEFAULT_RTOL
    flat, claimed_all = x.ravel(), a.ravel()
    result = TensorResult(name, "directions", True)
    draws = 0
    failing: list[np.ndarray] = []
    # Draw until `count` directions were compared; a direction that crosses
    # a kink at every step tried is excluded and counted.
    while result.compared < count and draws < 3 * count:
        signs = _signs(rng, flat.size)
        draws += 1
        estimate = _along(probe, flat, [signs], eps)
        if estimate.kinks[0]:
            result.excluded += 1
            continue
        result.compared += 1
        claimed = float(claimed_all @ signs)
        scale = float(np.abs(claimed_all).sum())
        if not _accept(np.array([claimed]), estimate, scale, rtol)[0]:
            failing.append(signs)
    result.detection_evaluations = probe.evaluations
    if not failing:
        result.evaluations = probe.evaluations
        if result.compared == 0:
            result.text = (
                f"{name}: every random direction crossed a kink within the "
                f"step ({result.excluded} tried), so none was compared"
            )
        return result

    signs = failing[0]
    claimed = float(claimed_all @ signs)
    wrong, table = _confirm(probe, flat, signs, claimed, eps)
    if not wrong:
        result.evaluations = probe.evaluations
        result.text = (
            f"{name}: finite differences along a random direction were too "
            f"noisy to decide, so it was not failed; step sweep:\n{table}"
        )
        return result

    result.passed = False
    if is_hidden():
        result.evaluations = probe.evaluations
        result.text = (
            f"{name}: differs from finite differences of your loss along a random "
            "direction (values of hidden checks are not shown)"
        )
        return result
    if not localise:
        result.evaluations = probe.evaluations
        result.text = (
            f"{name}: the derivative along {len(failing)} of {result.compared} "
            "random directions differs from finite differences of your loss\n"
            + "\n".join("    " + line for line in table.splitlines())
        )
        return result
    coordinate = _localise(probe, flat, claimed_all, signs, rtol, eps)
    point = richardson(
        lambda points: probe([_replace(flat, coordinate, p[0]) for p in points]),
        flat[coordinate : coordinate + 1],
        eps,
    )
    result.evaluations = probe.evaluations
    index = tuple(int(i) for i in np.unravel_index(coordinate, x.shape))
    result.passed = False
    result.worst_index = index
    result.text = (
        f"{name}: the derivative along {len(failing)} of {result.compared} random "
        "directions differs from finite differences of your loss\n"
        f"  localised to {_index_text(index)}: finite differences "
        f"{point.value[0]:.6g}, yours {claimed_all[coordinate]:.6g}\n"
        "  the error levels off as the step shrinks, so the derivative is "
        "wrong:\n" + "\n".join("    " + line for line in table.splitlines())
    )
    return result


def _replace(flat: np.ndarray, i: int, value: float) -> np.ndarray:
    q = flat.copy()
    q[i] = value
    return q


def check_gradient(
    loss_many: LossMany,
    params: Sequence[np.ndarray],
    claimed: Sequence[np.ndarray],
    names: Sequence[str],
    *,
    rng: np.random.Generator | None = None,
    mode: str = "auto",
    full_limit: int = 128,
    directions: int = 2,
    samples: int = 8,
    rtol: float = DEFAULT_RTOL,
    eps: float = EPS,
    localise: bool = True,
) -> GradientResult:
    """Check claimed gradients against finite differences of a loss.

    Parameters
    ----------
    loss_many : callable
        Maps a list of parameter lists (each shaped like ``params``) to the
        list of loss values.
    params : sequence of ndarray
        The point: every parameter tensor.
    claimed : sequence of ndarray
        The gradient to check, one tensor per parameter, same shapes.
    names : sequence of str
        Names of the gradient tensors for the report, e.g. ``"dweights[0]"``.
    rng : numpy Generator, optional
        Source of the random directions and samples.
    mode : {"auto", "full", "directions", "sample"}
        How each tensor is probed; ``"auto"`` takes every coordinate of
        tensors up to ``full_limit`` entries and directions beyond.
    directions : int
        Random directions per tensor in the directional mode.
    samples : int
        Coordinates per tensor in the sampled mode.
    rtol : float
        Relative tolerance (see the module docstring).
    eps : float
        Machine epsilon of the loss's arithmetic.
    localise : bool
        Whether a directional failure is bisected down to one entry.

    Returns
    -------
    GradientResult
        One `TensorResult` per tensor.
    """
    if mode not in ("auto", "full", "directions", "sample"):
        raise ValueError(
            f"mode={mode!r} is not a mode; use 'auto', 'full', 'directions' or 'sample'"
        )
    rng = rng or np.random.default_rng(0)
    params = [np.asarray(p, dtype=float) for p in params]
    result = GradientResult()
    for k, (x, a, name) in enumerate(zip(params, claimed, names)):
        a = np.asarray(a, dtype=float)
        if a.shape != x.shape:
            raise ValueError(f"{name} has shape {a.shape}, expected {x.shape}")
        probe = _TensorProbe(loss_many, params, k)
        chosen = mode
        if mode == "auto":
            chosen = "full" if x.size <= full_limit else "directions"
        if chosen == "full":
            tensor = _check_coordinates(probe, name, x, a, None, rtol, eps)
        elif chosen == "sample":
            picked = rng.choice(x.size, size=min(samples, x.size), replace=False)
            tensor = _check_coordinates(probe, name, x, a, np.sort(picked), rtol, eps)
        else:
            tensor = _check_directions(
                probe, name, x, a, rng, directions, rtol, eps, localise
            )
        result.tensors.append(tensor)
    return result
