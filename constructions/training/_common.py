"""Shared pieces of the training runs: determinism, hyper-parameter checks, targets, records, tables.

Determinism: :func:`deterministic` seeds torch, turns on ``torch.use_deterministic_algorithms``
and fixes the intra-op thread count (1 by default) for the duration of a run and restores the
previous settings afterwards; on the CPU this makes a re-run bitwise identical.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from polyapprox.internal import PolyapproxError, check_int

from ._config import check_eval_every

#: Largest number of (sequence, token, output) values one run may hold in a sample (memory guard).
MAX_SAMPLE_VALUES = 50_000_000


@contextlib.contextmanager
def deterministic(seed: int, threads: int = 1) -> Iterator[torch.Generator]:
    """Seed torch, force deterministic algorithms and ``threads`` CPU threads; yields a seeded Generator.

    Parameters
    ----------
    seed : int
        Seed of every random choice (reproducible).
    threads : int, default 1
        torch CPU threads (fixed, for bitwise reproducibility).

    Yields
    ------
    torch.Generator
        Seeded with ``seed``.

    Examples
    --------
    >>> with deterministic(0) as g:
    ...     a = torch.rand(2, generator=g)
    >>> with deterministic(0) as g:
    ...     b = torch.rand(2, generator=g)
    >>> bool(torch.equal(a, b))
    True
    """
    seed, threads = check_int("seed", seed, minimum=0), check_int("threads", threads)
    previous = (torch.are_deterministic_algorithms_enabled(), torch.get_num_threads())
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    try:
        yield torch.Generator().manual_seed(seed)
    finally:
        torch.use_deterministic_algorithms(previous[0])
        torch.set_num_threads(previous[1])


def check_steps(steps: Any) -> int:
    """Number of optimisation steps: an integer >= 0.

    Parameters
    ----------
    steps : int
        The number of steps.

    Returns
    -------
    int
        ``steps``, checked.

    Examples
    --------
    >>> check_steps(10)
    10
    """
    return check_int("steps", steps, minimum=0)


def check_rate(lr: Any) -> float:
    """Learning rate: a finite number > 0.

    Parameters
    ----------
    lr : float
        The learning rate.

    Returns
    -------
    float
        ``lr`` as a float, checked.

    Examples
    --------
    >>> check_rate(1)
    1.0
    """
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise PolyapproxError(f"learning rate must be a finite number > 0; got {lr!r}")
    return float(lr)


def check_positive(name: str, value: Any) -> int:
    """An integer >= 1 (latent dimension d', widths, batch sizes)."""
    return check_int(name, value, minimum=1)


def resolve_target(target: Any):
    """A registered name, a target expression, a ``Target`` or a callable (b, n, d) -> (b, n, d_out)."""
    from constructions import targets

    if isinstance(target, (str, targets.Target)):
        return targets.resolve(target)
    if callable(target):
        return target
    raise PolyapproxError(
        f"target must be a registered name, an expression, a Target or a callable; got {type(target).__name__}"
    )


def target_name(target: Any) -> str:
    return str(getattr(target, "name", None) or getattr(target, "__name__", None) or type(target).__name__)


def sample(n: int, d: int, count: int, seed: int) -> np.ndarray:
    """``count`` sequences uniform on [0, 1]^{n x d} (numpy, seeded), after a size check."""
    if count * n * d > MAX_SAMPLE_VALUES:
        from polyapprox.internal import SizeError

        raise SizeError(f"a sample of {count} x {n} x {d} values exceeds the budget of {MAX_SAMPLE_VALUES}")
    return np.random.default_rng(seed).uniform(size=(count, n, d))


@dataclass(frozen=True)
class TrainingHistory:
    """Per-step records of one training run.

    Parameters
    ----------
    model : str
        What was trained.
    target : str
        The target's name.
    steps : tuple of int
        Updates done at each evaluation (``steps[0] = 0``: the initial network; then every
        ``eval_every``-th step and the last).
    train_loss : tuple of float
        ``train_loss[t]``: mean-square loss of the step-t update (before it).
    test_mse : tuple of float
        Mean-square error over the fixed test sample after ``steps[t]`` updates.
    test_max : tuple of float
        Max absolute error over it.
    parameters : int
        Trainable parameters.
    seconds : float
        Wall time.
    reference : dict or None, default None
        The constructed network's errors on the same test sample, or None.
    settings : dict, optional
        The run's arguments.

    Examples
    --------
    >>> from constructions.training import SumformerModelConfig, TrainingConfig, train_sumformer
    >>> config = TrainingConfig(steps=2, samples=32, test_samples=32, reference=False)
    >>> model = SumformerModelConfig(kind="polynomial", degree=1)
    >>> h = train_sumformer("centered", n=2, d=1, model=model, config=config)
    >>> h.steps[0], len(h.train_loss), len(h.test_mse) == len(h.steps)
    (0, 2, True)
    """

    model: str
    target: str
    steps: tuple[int, ...]
    train_loss: tuple[float, ...]
    test_mse: tuple[float, ...]
    test_max: tuple[float, ...]
    parameters: int
    seconds: float
    reference: dict[str, Any] | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def final(self) -> dict[str, float]:
        """The last test errors and the best test mean-square error of the run."""
        return {"test_mse": self.test_mse[-1], "test_max": self.test_max[-1], "best_test_mse": min(self.test_mse)}


def errors(prediction: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(mean-square, max absolute) error over all entries."""
    diff = np.abs(np.asarray(prediction, dtype=float) - truth)
    return float((diff**2).mean()), float(diff.max())


def eval_errors(prediction: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """[mean-square, max absolute] error as one tensor (both inf when the prediction is not finite: a
    diverged run); stays in torch, so a training loop converts its records once, at the end."""
    diff = (prediction - truth).abs()
    errors = torch.stack([diff.square().mean(), diff.max()])
    return torch.where(torch.isfinite(prediction).all(), errors, torch.full_like(errors, math.inf))


def fit(
    model: torch.nn.Module,
    forward: Callable[[], torch.Tensor],
    evaluate: Callable[[], torch.Tensor],
    steps: int,
    lr: float,
    *,
    name: str,
    target: str,
    reference: dict | None,
    settings: dict,
    eval_every: int,
    progress: bool = False,
) -> TrainingHistory:
    """Full-batch Adam on ``forward()`` (returns the training loss), evaluating the test errors
    (``evaluate()`` -> tensor [mse, max]) before the first step, after every ``eval_every``-th step
    (the caller's config decides: ``TrainingConfig.eval_every``) and after the last. Losses and errors stay tensors until the run ends (no conversion per step)."""
    import time

    eval_every = check_eval_every(eval_every)
    start = time.perf_counter()
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.Adam(parameters, lr=lr)
    evaluated, losses, results = [0], [], [evaluate()]
    for step in _steps(steps, progress, name):
        optimiser.zero_grad(set_to_none=True)
        loss = forward()
        loss.backward()
        optimiser.step()
        losses.append(loss.detach())
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            evaluated.append(step + 1)
            results.append(evaluate())
    train_loss = torch.stack(losses).tolist() if losses else []
    mse, worst = (torch.stack(results).T.tolist()) if results else ([], [])
    return TrainingHistory(
        name,
        target,
        tuple(evaluated),
        tuple(float(v) for v in train_loss),
        tuple(float(v) for v in mse),
        tuple(float(v) for v in worst),
        sum(p.numel() for p in parameters),
        time.perf_counter() - start,
        reference,
        settings,
    )


def _steps(steps: int, progress: bool, name: str) -> Iterable[int]:
    if not progress:
        return range(steps)
    from tqdm.auto import tqdm

    return tqdm(range(steps), desc=name, leave=False)


@dataclass(frozen=True)
class ResultsTable:
    """A results table: column names and rows (dicts), with Markdown and JSON forms.

    Parameters
    ----------
    columns : list of str
        Column names, in order.
    rows : list of dict
        One dict per row, keyed by column name.
    title : str, default ''
        A title for the Markdown form.

    Examples
    --------
    >>> t = ResultsTable(["model", "mse"], [{"model": "mlp", "mse": 0.00123}])
    >>> print(t.to_markdown())
    | model | mse |
    |---|---|
    | mlp | 0.00123 |
    """

    columns: list[str]
    rows: list[dict[str, Any]]
    title: str = ""

    def to_markdown(self) -> str:
        lines = ["| " + " | ".join(self.columns) + " |", "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(_cell(row.get(c)) for c in self.columns) + " |" for row in self.rows]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "columns": list(self.columns), "rows": [dict(r) for r in self.rows]}

    def column(self, name: str) -> list[Any]:
        return [row.get(name) for row in self.rows]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
