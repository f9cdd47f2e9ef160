"""Benchmark nncheck's finite differences and gradient checks against scipy's.

What it measures, on the machine that runs it:

1. Every hw1 derivative on a random (4, 5) input: the activations
   (identity, sigmoid, tanh, relu away from its kink), the softmax Jacobian,
   the divergences l2, bce, kl and cross_entropy, and softmax with
   cross-entropy. For `checker.numdiff.richardson` and for scipy's
   ``approx_derivative`` (method ``'3-point'``): function evaluations, wall
   time and error against the reference's analytic derivative. scipy's
   complex-step method is left out: the reference functions are not
   complex-safe (they cast their input to float64, which drops the imaginary
   part, so ``'cs'`` returns zeros with a ComplexWarning).
2. Gradient checks of `reference.backward` on tanh-softmax MLPs of growing
   size (43 to about 10**5 parameters), with cross-entropy and a batch of 16:
   `checker.gradcheck.check_gradient` in modes "full", "directions" (1 and 2
   directions) and "sample", and ``scipy.optimize.check_grad`` on the
   flattened parameter vector (``direction='all'``, and ``'random'`` where the
   installed scipy has it). First on the correct gradient: loss evaluations,
   wall time, error and verdict. Then with one entry of dW1 off by 1e-3
   relative, over many random entries: detection rate and cost.
3. The wall time of grading a correct hw1 submission, three times.

Run it from the repository root::

    python benchmarks/numdiff_benchmark.py            # under a minute on 2 cores
    python benchmarks/numdiff_benchmark.py --quick    # fewer trials, ~5 to 10 s

BLAS runs on one thread, as in the grader's worker, unless the environment
sets ``OPENBLAS_NUM_THREADS`` (or ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``).

Errors
------
An estimate of a whole Jacobian or gradient tensor is scored by
``max |estimate - exact| / max |exact|`` over the tensor: the scale-aware
error the checks themselves use, where every entry is judged against its
tensor's scale. A directional derivative is scored by
``|estimate - g . u| / |g . u|``. The error columns of part 2 come from a
separate, untimed pass that calls the same estimators the checks call
(`richardson` on every or on sampled coordinates, `directional` along random
sign vectors, ``approx_fprime`` with check_grad's step), since neither
`check_gradient` nor ``check_grad`` returns its estimates; the draws are of
the same kind but not the same ones.
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import statistics
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

# BLAS on one thread, as in the grader's worker, unless the caller set it: the
# products here are small, and two BLAS threads on two busy cores made the
# times of the largest network swing by a factor of ten. Set before numpy.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy.optimize import approx_fprime, check_grad  # noqa: E402
from scipy.optimize._numdiff import approx_derivative  # noqa: E402
from tabulate import tabulate  # noqa: E402

import reference as ref  # noqa: E402
from checker.assignment import load_assignment  # noqa: E402
from checker.gradcheck import check_gradient  # noqa: E402
from checker.grader import grade  # noqa: E402
from checker.numdiff import directional, richardson  # noqa: E402

#: Networks of part 2, layer widths from input to output.
NETWORKS = ((4, 5, 3), (20, 30, 10), (100, 64, 10), (784, 128, 10))

#: Above this many parameters, checks of every coordinate are skipped: they
#: cost one loss evaluation per coordinate or more (six for Richardson), and
#: scipy's forward differences also copy the whole vector for each one.
FULL_LIMIT = 5000

#: Samples of the batch in part 2.
BATCH = 16

#: The relative error put into one entry of dW1 for the detection trials.
PERTURBATION = 1e-3

#: check_grad "catches" a wrong gradient when its returned error exceeds the
#: error it returns on the correct gradient (same direction) by this factor.
CHECK_GRAD_FACTOR = 10.0

SUBMISSION = ROOT / "tests" / "submissions" / "correct_typical.py"

_CHECK_GRAD_PARAMETERS = inspect.signature(check_grad).parameters
#: Whether the installed check_grad accepts ``direction='random'``.
HAS_RANDOM_DIRECTION = "direction" in _CHECK_GRAD_PARAMETERS
#: How check_grad takes its random generator: ``rng`` in recent scipy.
_RNG_KEYWORD = "rng" if "rng" in _CHECK_GRAD_PARAMETERS else "seed"


# Measuring ------------------------------------------------------------------


class Counted:
    """A function that counts its calls.

    Parameters
    ----------
    function : callable
        Called with the same arguments; its value is returned.
    """

    def __init__(self, function: Callable) -> None:
        self.function = function
        self.calls = 0

    def __call__(self, *args: object) -> object:
        self.calls += 1
        return self.function(*args)


def fastest(run: Callable[[], object], repeats: int) -> tuple[object, float]:
    """Run ``run()`` ``repeats`` times; return its last value and best time.

    Returns
    -------
    value : object
        What the last run returned.
    seconds : float
        The shortest wall time of a run.
    """
    best = float("inf")
    value = None
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        value = run()
        best = min(best, time.perf_counter() - started)
    return value, best


def scaled_error(estimate: np.ndarray, exact: np.ndarray) -> float:
    """Return ``max |estimate - exact| / max |exact|``; 1e-16 is good."""
    scale = float(np.max(np.abs(exact)))
    return float(np.max(np.abs(estimate - exact))) / (scale if scale > 0 else 1.0)


def seconds_text(seconds: float) -> str:
    """Format a duration in s, ms or us, three significant digits."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} us"


def count_text(count: float) -> str:
    """Format a count with thousands separators; a mean gets one decimal."""
    return f"{count:,.0f}" if float(count).is_integer() else f"{count:,.1f}"


def show(
    title: str, headers: Sequence[str], rows: list[list[str]], notes: Sequence[str]
) -> None:
    """Print a titled plain-text table and the notes that explain it."""
    print(title)
    print("=" * len(title))
    print(tabulate(rows, headers, tablefmt="simple", disable_numparse=True))
    for note in notes:
        print(textwrap.fill(note, 88, initial_indent="  * ", subsequent_indent="    "))
    print()


# Part 1: the hw1 derivatives ------------------------------------------------


@dataclass
class DerivativeCase:
    """A hw1 function, a point, and its exact Jacobian there.

    Attributes
    ----------
    name : str
        The derivative, e.g. ``"sigmoid_derivative"``.
    function : callable
        Maps an array shaped like ``x`` to an array of shape ``S``.
    x : ndarray, shape (N, L)
        The point.
    exact : ndarray, shape S + x.shape
        The Jacobian built from the reference's analytic derivative.
    """

    name: str
    function: Callable[[np.ndarray], np.ndarray]
    x: np.ndarray
    exact: np.ndarray


def _elementwise_jacobian(derivative: np.ndarray) -> np.ndarray:
    """Jacobian of an elementwise map from its derivative at every entry."""
    return np.diag(derivative.ravel()).reshape(derivative.shape * 2)


def _per_sample_jacobian(rows: np.ndarray) -> np.ndarray:
    """Jacobian of a map (N, L) -> (N,) whose sample n reads row n only.

    ``rows[n]`` is the gradient of output n with respect to row n.
    """
    N, L = rows.shape
    J = np.zeros((N, N, L))
    J[np.arange(N), np.arange(N)] = rows
    return J


def _softmax_full_jacobian(z: np.ndarray) -> np.ndarray:
    """Jacobian of softmax over a whole batch, shape (N, L, N, L)."""
    N, L = z.shape
    J = np.zeros((N, L, N, L))
    for n, block in enumerate(ref.softmax_jacobian(z)):
        J[n, :, n, :] = block
    return J


def derivative_cases(
    rng: np.random.Generator, shape: tuple[int, int] = (4, 5)
) -> list[DerivativeCase]:
    """Every hw1 derivative on a random input of ``shape``, shape (N, L)."""
    N, L = shape
    normal = rng.normal(size=shape)
    # relu away from its kink: |z| of at least 0.1, far beyond any step used.
    away = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)
    probabilities = ref.softmax(rng.normal(size=shape))
    one_hot = np.eye(L)[rng.integers(L, size=N)]

    cases = []
    for name, z in (
        ("identity", normal),
        ("sigmoid", normal),
        ("tanh", normal),
        ("relu", away),
    ):
        f, f_derivative = ref.ACTIVATIONS[name]
        exact = _elementwise_jacobian(f_derivative(z))
        cases.append(DerivativeCase(f"{name}_derivative", f, z, exact))

    logits = 2 * rng.normal(size=shape)
    cases.append(
        DerivativeCase(
            "softmax_jacobian", ref.softmax, logits, _softmax_full_jacobian(logits)
        )
    )

    # Each divergence is differentiated with respect to Y, the targets fixed.
    targets = {
        "l2": (rng.normal(size=shape), rng.normal(size=shape)),
        "bce": (
            rng.uniform(0.05, 0.95, size=shape),
            rng.integers(2, size=shape).astype(float),
        ),
        "kl": (probabilities, ref.softmax(rng.normal(size=shape))),
        "cross_entropy": (probabilities, one_hot),
    }
    for name, (Y, d) in targets.items():
        div, div_derivative = ref.DIVERGENCES[name]
        cases.append(
            DerivativeCase(
                div_derivative.__name__,
                lambda Y, div=div, d=d: div(Y, d),
                Y,
                _per_sample_jacobian(div_derivative(Y, d)),
            )
        )

    cases.append(
        DerivativeCase(
            "softmax_cross_entropy_derivative",
            lambda Z: ref.softmax_cross_entropy(Z, one_hot),
            logits,
            _per_sample_jacobian(ref.softmax_cross_entropy_derivative(logits, one_hot)),
        )
    )
    return cases


def ours_on(case: DerivativeCase) -> tuple[np.ndarray, int]:
    """Richardson Jacobian of the case's function; (estimate, evaluations)."""
    function = Counted(case.function)
    estimate = richardson(lambda points: [function(p) for p in points], case.x)
    return estimate.value, function.calls


def scipy_on(case: DerivativeCase) -> tuple[np.ndarray, int]:
    """scipy's 3-point Jacobian of the case's function, on flat vectors."""
    function = Counted(case.function)
    shape = case.x.shape

    def flat(v: np.ndarray) -> np.ndarray:
        return np.ravel(function(v.reshape(shape)))

    J = approx_derivative(flat, case.x.ravel(), method="3-point")
    return np.reshape(J, case.exact.shape), function.calls


def derivative_table(repeats: int) -> None:
    """Print table 1; every Jacobian is timed ``repeats`` times."""
    rows = []
    for case in derivative_cases(np.random.default_rng(1)):
        row = [case.name, "x".join(str(n) for n in case.x.shape)]
        for method in (ours_on, scipy_on):
            (estimate, calls), seconds = fastest(partial(method, case), repeats)
            row += [count_text(calls), seconds_text(seconds)]
            row.append(f"{scaled_error(estimate, case.exact):.1e}")
        rows.append(row)

    headers = ["derivative", "input"]
    headers += ["richardson evals", "time", "error"]
    headers += ["scipy 3-point evals", "time", "error"]
    show(
        "1. hw1 derivatives: nncheck richardson vs scipy approx_derivative",
        headers,
        rows,
        [
            "error: max |estimate - exact| / max |exact| over the whole Jacobian, "
            "exact from the reference's analytic derivative",
            f"time: best of {repeats}, for the whole Jacobian",
            "divergences are differentiated with respect to Y (softmax_cross_"
            "entropy: the logits Z), the targets fixed; a divergence has one "
            "output per sample, so its Jacobian is (4, 4, 5)",
            "scipy 'cs' (complex step) is not run: the reference functions cast "
            "to float64, dropping the imaginary part, so it would return zeros",
        ],
    )


# Part 2: checking backward --------------------------------------------------


@dataclass
class Problem:
    """A tanh-softmax MLP with cross-entropy on one batch.

    Attributes
    ----------
    sizes : tuple of int
        Layer widths ``(D_0, ..., D_K)``.
    X : ndarray, shape (N, D_0)
        The batch.
    d : ndarray, shape (N, D_K)
        One-hot targets.
    params : list of ndarray
        ``W[1..K]`` then ``b[1..K]``, the order in which the grader checks
        backward's result.
    """

    sizes: tuple[int, ...]
    X: np.ndarray
    d: np.ndarray
    params: list[np.ndarray]

    @property
    def layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def activations(self) -> list[str]:
        return ["tanh"] * (self.layers - 1) + ["softmax"]

    @property
    def names(self) -> list[str]:
        weights = [f"dweights[{k}]" for k in range(self.layers)]
        return weights + [f"dbiases[{k}]" for k in range(self.layers)]

    @property
    def size(self) -> int:
        return sum(p.size for p in self.params)

    @property
    def label(self) -> str:
        return "-".join(str(n) for n in self.sizes)

    def loss(self, params: Sequence[np.ndarray]) -> float:
        """The empirical risk at ``params`` (same layout as ``self.params``)."""
        K = self.layers
        Y = ref.forward(self.X, params[:K], params[K:], self.activations)[-1][1]
        return ref.empirical_risk(Y, self.d, "cross_entropy")

    def gradient(self) -> list[np.ndarray]:
        """The reference backward's gradient at ``self.params``."""
        K = self.layers
        dweights, dbiases = ref.backward(
            self.X,
            self.d,
            self.params[:K],
            self.params[K:],
            self.activations,
            "cross_entropy",
        )
        return dweights + dbiases

    def tensor_loss(
        self, k: int, counter: Counted | None = None
    ) -> Callable[[list[np.ndarray]], list[float]]:
        """The loss as a function of tensor ``k`` alone, for `checker.numdiff`.

        Returns an ``evaluate_many`` callable: many values of tensor ``k`` in,
        one loss each out. ``counter``, a `Counted` ``self.loss``, counts them.
        """
        loss = counter or self.loss

        def evaluate_many(points: list[np.ndarray]) -> list[float]:
            values = []
            for point in points:
                params = list(self.params)
                params[k] = np.reshape(point, self.params[k].shape)
                values.append(loss(params))
            return values

        return evaluate_many

    def flatten(self, tensors: Sequence[np.ndarray]) -> np.ndarray:
        """Concatenate tensors laid out like ``self.params`` into one vector."""
        return np.concatenate([np.ravel(t) for t in tensors])

    def unflatten(self, theta: np.ndarray) -> list[np.ndarray]:
        """Split a vector of `size` entries into tensors like ``self.params``."""
        params, start = [], 0
        for p in self.params:
            params.append(theta[start : start + p.size].reshape(p.shape))
            start += p.size
        return params


def make_problem(sizes: tuple[int, ...], seed: int) -> Problem:
    """A network with weights of variance 1/fan-in and a random batch."""
    rng = np.random.default_rng(seed)
    weights = [
        rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=(fan_in, fan_out))
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:])
    ]
    biases = [rng.normal(0.0, 0.1, size=n) for n in sizes[1:]]
    X = rng.normal(size=(BATCH, sizes[0]))
    d = np.eye(sizes[-1])[rng.integers(sizes[-1], size=BATCH)]
    return Problem(tuple(sizes), X, d, weights + biases)


#: Our methods: table label and check_gradient options.
OUR_METHODS = (
    ("ours full", {"mode": "full"}),
    ("ours directions=1", {"mode": "directions", "directions": 1}),
    ("ours directions=2", {"mode": "directions", "directions": 2}),
    ("ours sample=8", {"mode": "sample", "samples": 8}),
)

CHECK_GRAD_ALL = "scipy check_grad (all)"
CHECK_GRAD_RANDOM = "scipy check_grad (random)"


def skipped(label: str, problem: Problem) -> bool:
    """Whether a method that visits every coordinate is too slow here."""
    every_coordinate = label in ("ours full", CHECK_GRAD_ALL)
    return every_coordinate and problem.size > FULL_LIMIT


def skip_reason(problem: Problem) -> str:
    """The verdict cell of a skipped method."""
    return f"skipped: {problem.size:,} > {FULL_LIMIT:,} parameters"


def our_error(
    problem: Problem,
    options: dict,
    gradient: list[np.ndarray],
    rng: np.random.Generator,
) -> float:
    """The error of the estimates a mode computes, from a separate pass.

    Parameters
    ----------
    problem : Problem
        The network and batch.
    options : dict
        The check_gradient options of the mode, as in `OUR_METHODS`.
    gradient : list of ndarray
        The exact gradient, laid out like ``problem.params``.
    rng : numpy Generator
        Source of the directions and sampled coordinates.

    Returns
    -------
    float
        Full and sampled modes: the scaled error of Richardson estimates of
        the (chosen) coordinates, worst tensor. Directions: the relative
        error of the directional derivative along random sign vectors, worst
        direction.
    """
    worst = 0.0
    for k, (x, g) in enumerate(zip(problem.params, gradient)):
        evaluate_many = problem.tensor_loss(k)
        if options["mode"] == "directions":
            for _ in range(options["directions"]):
                u = rng.choice([-1.0, 1.0], size=x.shape)
                value = directional(evaluate_many, x, [u]).value[0]
                exact = float(np.sum(g * u))
                worst = max(worst, abs(value - exact) / abs(exact))
            continue

        chosen = np.arange(x.size)
        if options["mode"] == "sample":
            size = min(options["samples"], x.size)
            chosen = np.sort(rng.choice(x.size, size=size, replace=False))

        def restricted(points, x=x, chosen=chosen, evaluate_many=evaluate_many):
            full = []
            for p in points:
                q = x.ravel().copy()
                q[chosen] = p
                full.append(q)
            return evaluate_many(full)

        estimate = richardson(restricted, x.ravel()[chosen]).value
        scale = float(np.max(np.abs(g)))
        worst = max(worst, float(np.max(np.abs(estimate - g.ravel()[chosen]))) / scale)
    return worst


def check_grad_call(
    problem: Problem, flat_gradient: np.ndarray, **options: object
) -> tuple[float, int]:
    """Run scipy's check_grad on the flattened parameters.

    Returns
    -------
    value : float
        What check_grad returned, the 2-norm of the difference.
    calls : int
        Loss evaluations.
    """
    loss = Counted(lambda theta: problem.loss(problem.unflatten(theta)))
    theta = problem.flatten(problem.params)
    value = check_grad(loss, lambda theta: flat_gradient, theta, **options)
    return float(value), loss.calls


def random_options(seed: int) -> dict[str, object]:
    """check_grad options for one random direction drawn from ``seed``."""
    return {"direction": "random", _RNG_KEYWORD: np.random.default_rng(seed)}


def accuracy_rows(problem: Problem, repeats: int) -> list[list[str]]:
    """One row per method on the correct gradient of ``problem``."""
    gradient = problem.gradient()
    flat_gradient = problem.flatten(gradient)
    theta = problem.flatten(problem.params)
    rows = []

    def add(label: str, calls: int, seconds: float, error: float, verdict: str):
        rows.append([problem.label, f"{problem.size:,}", label])
        rows[-1] += [count_text(calls), seconds_text(seconds), f"{error:.1e}", verdict]

    def add_skipped(label: str, reason: str):
        rows.append([problem.label, f"{problem.size:,}", label, "-", "-", "-", reason])

    # check_gradient, every mode, on all tensors.
    for label, options in OUR_METHODS:
        if skipped(label, problem):
            add_skipped(label, skip_reason(problem))
            continue

        def run(options=options):
            loss = Counted(problem.loss)
            result = check_gradient(
                lambda batch, loss=loss: [loss(p) for p in batch],
                problem.params,
                gradient,
                problem.names,
                rng=np.random.default_rng(7),
                **options,
            )
            return result, loss.calls

        (result, calls), seconds = fastest(run, repeats)
        error = our_error(problem, options, gradient, np.random.default_rng(8))
        verdict = "passed" if result.passed else "FAILED: a false alarm"
        if result.excluded:
            verdict += f", {result.excluded} kinks excluded"
        add(label, calls, seconds, error, verdict)

    # check_grad along every coordinate; its estimates come from approx_fprime,
    # which it calls with the same default step.
    if skipped(CHECK_GRAD_ALL, problem):
        add_skipped(CHECK_GRAD_ALL, skip_reason(problem))
    else:
        (value, calls), seconds = fastest(
            lambda: check_grad_call(problem, flat_gradient), repeats
        )
        numeric = approx_fprime(theta, lambda t: problem.loss(problem.unflatten(t)))
        error = max(
            scaled_error(n, g) for n, g in zip(problem.unflatten(numeric), gradient)
        )
        add(CHECK_GRAD_ALL, calls, seconds, error, f"returned {value:.1e}")

    # check_grad along one random direction.
    if not HAS_RANDOM_DIRECTION:
        add_skipped(CHECK_GRAD_RANDOM, "not in this scipy")
        return rows
    (value, calls), seconds = fastest(
        lambda: check_grad_call(problem, flat_gradient, **random_options(seed=9)),
        repeats,
    )
    # check_grad draws its direction as standard_normal(n) from the generator
    # and returns |g . v - estimate|.
    v = np.random.default_rng(9).standard_normal(theta.size)
    error = value / abs(float(flat_gradient @ v))
    add(CHECK_GRAD_RANDOM, calls, seconds, error, f"returned {value:.1e}")
    return rows


@dataclass
class Detection:
    """Tallies of the detection trials of one method on one network."""

    trials: int = 0
    caught: int = 0
    localised: int = 0
    detect_evaluations: int = 0
    all_evaluations: int = 0
    seconds: float = 0.0
    largest_missed: float = 0.0

    def record(
        self,
        caught: bool,
        detect_evaluations: int,
        all_evaluations: int,
        seconds: float,
        entry_size: float,
        localised: bool = False,
    ) -> None:
        """Add one trial; ``entry_size`` is ``|dW1[i, j]| / mean |dW1|``."""
        self.trials += 1
        self.all_evaluations += all_evaluations
        self.seconds += seconds
        if caught:
            self.caught += 1
            self.detect_evaluations += detect_evaluations
            self.localised += localised
        else:
            self.largest_missed = max(self.largest_missed, entry_size)

    def row(self, problem: Problem, label: str, localises: bool) -> list[str]:
        percent = 100 * self.caught / self.trials
        missed = self.trials - self.caught
        return [
            problem.label,
            label,
            f"{self.caught}/{self.trials} ({percent:.0f}%)",
            f"{self.localised}/{self.caught}" if localises and self.caught else "-",
            f"{self.largest_missed:.2g}" if missed else "-",
            count_text(self.detect_evaluations / self.caught) if self.caught else "-",
            count_text(self.all_evaluations / self.trials),
            seconds_text(self.seconds / self.trials),
        ]


def detection_rows(problem: Problem, trials: int) -> list[list[str]]:
    """Put a relative error into random entries of dW1; who notices?

    Our checks run on the dW1 tensor alone (the grader checks it first, so
    its cost is the cost of detection in a whole run); check_grad runs on all
    parameters, as it must.
    """
    gradient = problem.gradient()
    W1 = problem.params[0]
    mean_size = float(np.mean(np.abs(gradient[0])))
    rng = np.random.default_rng(11)
    entries = rng.choice(W1.size, size=trials, replace=trials > W1.size)

    def wrong_dW1(entry: int) -> np.ndarray:
        dW1 = gradient[0].copy()
        dW1.flat[entry] *= 1 + PERTURBATION
        return dW1

    def entry_size(entry: int) -> float:
        return abs(float(gradient[0].flat[entry])) / mean_size

    rows = []
    for label, options in OUR_METHODS:
        if skipped(label, problem):
            rows.append([problem.label, label, "skipped"] + ["-"] * 5)
            continue
        tally = Detection()
        for trial, entry in enumerate(entries):
            loss = Counted(problem.loss)
            evaluate_many = problem.tensor_loss(0, loss)
            started = time.perf_counter()
            result = check_gradient(
                lambda batch, f=evaluate_many: f([p[0] for p in batch]),
                [W1],
                [wrong_dW1(entry)],
                problem.names[:1],
                rng=np.random.default_rng(100 + trial),
                **options,
            )
            seconds = time.perf_counter() - started
            tensor = result.tensors[0]
            index = tuple(int(i) for i in np.unravel_index(entry, W1.shape))
            tally.record(
                caught=not tensor.passed,
                detect_evaluations=tensor.detection_evaluations,
                all_evaluations=loss.calls,
                seconds=seconds,
                entry_size=entry_size(entry),
                localised=tensor.worst_index == index,
            )
        rows.append(tally.row(problem, label, localises=True))

    flat_gradient = problem.flatten(gradient)
    scipy_methods = [(CHECK_GRAD_ALL, lambda seed: {})]
    if HAS_RANDOM_DIRECTION:
        scipy_methods.append((CHECK_GRAD_RANDOM, random_options))
    for label, options_for in scipy_methods:
        if skipped(label, problem):
            rows.append([problem.label, label, "skipped"] + ["-"] * 5)
            continue
        tally = Detection()
        correct = None
        for trial, entry in enumerate(entries):
            # The criterion's reference: the error on the correct gradient
            # along the same direction (along all coordinates it is fixed).
            seed = 200 + trial
            if correct is None or label == CHECK_GRAD_RANDOM:
                correct, _ = check_grad_call(
                    problem, flat_gradient, **options_for(seed)
                )
            wrong = problem.flatten([wrong_dW1(entry)] + gradient[1:])
            started = time.perf_counter()
            value, calls = check_grad_call(problem, wrong, **options_for(seed))
            tally.record(
                caught=value > CHECK_GRAD_FACTOR * correct,
                detect_evaluations=calls,
                all_evaluations=calls,
                seconds=time.perf_counter() - started,
                entry_size=entry_size(entry),
            )
        rows.append(tally.row(problem, label, localises=False))
    return rows


def backward_tables(repeats: int, trials: int) -> None:
    """Print tables 2a (correct gradient) and 2b (one wrong entry of dW1)."""
    problems = [make_problem(sizes, seed) for seed, sizes in enumerate(NETWORKS)]

    rows = []
    for problem in problems:
        rows += accuracy_rows(problem, repeats)
    show(
        f"2a. checking a correct backward (tanh hidden, softmax output, "
        f"cross_entropy, batch {BATCH})",
        ["network", "parameters", "method", "loss evals", "time", "error", "verdict"],
        rows,
        [
            "full, sample and check_grad (all) errors: max |estimate - exact| / "
            "max |exact| per gradient tensor, worst tensor; directions and "
            "check_grad (random): |estimate - g.u| / |g.u|, worst direction; the "
            "latter is large when g.u happens to cancel, for a small absolute "
            "error",
            "errors of our modes and of check_grad (all) come from a separate, "
            "untimed pass with the same estimators (see the module docstring)",
            "ours: check_gradient on all 2K tensors; directions and sample count "
            "per tensor",
            "check_grad: forward differences with step 1.5e-8; it returns "
            "||g - estimate||_2 and gives no verdict; its grad returns the "
            "precomputed gradient, as check_gradient receives it",
            f"time: best of {repeats}",
        ],
    )

    rows = []
    for problem in problems:
        rows += detection_rows(problem, trials)
    show(
        f"2b. one entry of dW1 off by {PERTURBATION:g} relative, {trials} random "
        "entries per network",
        [
            "network",
            "method",
            "caught",
            "localised",
            "largest missed",
            "evals to detect",
            "evals in all",
            "time per trial",
        ],
        rows,
        [
            "ours: caught = check_gradient failed dweights[0], run on that tensor "
            "alone; localised = its reported index is the wrong entry",
            "largest missed: the largest |dW1[i, j]| / mean |dW1| among the "
            "entries a method missed; the error put in is that entry times "
            f"{PERTURBATION:g}, so small entries are the hard ones",
            "evals to detect: mean over caught trials of detection_evaluations "
            "(before the step sweep and the localisation); evals in all: mean "
            "over all trials, sweep and localisation included",
            f"check_grad: caught = its returned error exceeds {CHECK_GRAD_FACTOR:g}x "
            "the error it returns on the correct gradient along the same "
            "direction. That needs the correct gradient, which a grader does not "
            "have, so it flatters check_grad; the reference call is not counted",
        ],
    )


# Part 3: grading --------------------------------------------------------------


def grading_table(runs: int) -> None:
    """Print table 3: ``runs`` gradings of the correct submission."""
    assignment = load_assignment("hw1")
    times = []
    report = None
    for _ in range(runs):
        started = time.perf_counter()
        report = grade(SUBMISSION, assignment)
        times.append(time.perf_counter() - started)

    passed = sum(result.passed for result in report.results)
    rows = [
        [
            SUBMISSION.relative_to(ROOT).as_posix(),
            str(runs),
            seconds_text(min(times)),
            seconds_text(statistics.median(times)),
            str(len(report.results)),
            str(passed),
            f"{report.score:g}/{report.max_score:g}",
        ]
    ]
    show(
        "3. grading a correct hw1 submission",
        ["submission", "runs", "min", "median", "checks", "passed", "score"],
        rows,
        ["wall time of grade(...), worker start-up included"],
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Print the machine, then every table; ``--quick`` for a shorter run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats and detection trials"
    )
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 3
    trials = 10 if args.quick else 50

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, {os.cpu_count()} CPUs, {platform.machine()}, "
        f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}"
    )
    if not HAS_RANDOM_DIRECTION:
        print("this scipy's check_grad has no direction='random'; those rows say so")
    print()

    started = time.perf_counter()
    derivative_table(repeats=3 if args.quick else 5)
    backward_tables(repeats, trials)
    grading_table(runs=3)
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
