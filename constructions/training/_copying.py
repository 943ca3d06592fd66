"""Implementation of :mod:`constructions.training.copying` (private; import from there)."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from polyapprox.internal import PolyapproxError, SizeError, check_choice, check_int

from .._networks.sparse_attention import MaskedAttention
from ._common import ResultsTable, check_positive, deterministic
from ._config import CopyingConfig

PATTERNS = ("dense", "star", "strided", "fixed", "sliding_window", "random", "union")
#: Cost of one gathered connection in dense scores for this model's attention (float32, heads of
#: width 16, batch 16 to 256; ``MaskedAttention``'s defaults are for the float64 constructions).
#: Measured (1 thread, CPU time, gathering every row / dense masked SDPA): training step at n = 1024,
#: STRIDED's union 660 / 625 ms, STAR 368 / 624 ms; evaluation at n = 1024, batch 64, union
#: 3446 / 830 ms (a connection costs about 66 scores), STAR 490 / 765 ms; at n = 256 STAR's
#: training step 82.5 / 69.1 ms. So only STAR's light rows (2-3 keys) gather, from n = 512 on.
#: With gradients ``MaskedAttention`` runs its block kernel or its compressed sparse rows where
#: cheaper (n = 1024: training steps 1.5-2.3x faster than dense for STRIDED's union and RANDOM,
#: 2.0-3.3x for the other sparse patterns); ``training_reason`` of each block says which ran.
COPY_GATHER_COST = 100.0
#: Largest sequence length accepted (the dense masks and attention scores are n x n per head).
MAX_LENGTH = 1024


def _check_length(n: Any) -> int:
    n = check_int("n", n, minimum=2)
    if n % 2:
        raise PolyapproxError(f"the copying task needs an even length n (first half copied into the second); got {n}")
    if n > MAX_LENGTH:
        raise SizeError(f"n = {n} exceeds the copying task's budget of {MAX_LENGTH} tokens")
    return n


def block_width(n: int) -> int:
    """The block width w of FIXED: the largest divisor of n not above ceil(sqrt(n)).

    So FIXED's blocks tile the sequence.

    Parameters
    ----------
    n : int
        Number of tokens n.

    Returns
    -------
    int
        w, dividing n.

    Examples
    --------
    >>> [block_width(n) for n in (16, 32, 48, 64, 256)]
    [4, 4, 6, 8, 16]
    """
    top = math.isqrt(n - 1) + 1
    return max(w for w in range(1, top + 1) if n % w == 0)


def copy_batch(batch: int, n: int, vocab: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw a batch of the copying task: symbols 1..vocab, then blanks 0 to fill with a copy.

    Targets are -100 (ignored) on the first half and inputs[i - n/2] on the second.

    Shapes: inputs and targets, both (batch, n) int64.

    Parameters
    ----------
    batch : int
        Sequences.
    n : int
        Number of tokens n.
    vocab : int
        Symbols 1..vocab.
    generator : torch.Generator
        Seeded source of the draw.

    Returns
    -------
    tuple of torch.Tensor
        (inputs, targets).

    Examples
    --------
    >>> x, y = copy_batch(2, 6, 3, torch.Generator().manual_seed(0))
    >>> bool((x[:, 3:] == 0).all() and (y[:, 3:] == x[:, :3]).all() and (y[:, :3] == -100).all())
    True
    """
    n, batch, vocab = _check_length(n), check_positive("batch", batch), check_positive("vocab", vocab)
    m = n // 2
    symbols = torch.randint(1, vocab + 1, (batch, m), generator=generator)
    inputs = torch.cat([symbols, torch.zeros(batch, n - m, dtype=torch.int64)], dim=1)
    targets = torch.cat([torch.full((batch, m), -100, dtype=torch.int64), symbols], dim=1)
    return inputs, targets


def random_mask(n: int, r: int, seed: int) -> np.ndarray:
    """The RANDOM mask: query k attends to itself and r other keys drawn without replacement (seeded).

    Shapes: -> (n, n) boolean.

    Parameters
    ----------
    n : int
        Number of tokens n.
    r : int
        Other keys per query.
    seed : int
        Seed of every random choice (reproducible).

    Returns
    -------
    numpy.ndarray
        The mask ``mask[query, key]``.

    Examples
    --------
    >>> M = random_mask(8, 2, seed=0)
    >>> M.sum(axis=1).tolist(), bool(M.diagonal().all())
    ([3, 3, 3, 3, 3, 3, 3, 3], True)
    """
    n, r = check_int("n", n), check_int("r", r, minimum=0)
    if r > n - 1:
        raise PolyapproxError(f"random mask: r = {r} other keys exceed the n - 1 = {n - 1} available")
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    scores = rng.random((n, n))
    np.fill_diagonal(scores, np.inf)  # self first
    keep = np.argsort(-scores, axis=1, kind="stable")[:, : r + 1]
    M = np.zeros((n, n), dtype=bool)
    np.put_along_axis(M, keep, True, axis=1)
    return M


#: What a pattern's sparsity level is (None: the pattern has no level): the stride of STRIDED and
#: of UNION's strided masks, FIXED's block width, the sliding window's width, RANDOM's other keys.
LEVELS = {
    "dense": None,
    "star": None,
    "strided": "stride w",
    "fixed": "block width w",
    "sliding_window": "window width w",
    "random": "other keys r",
    "union": "stride w",
}


def level_range(pattern: str, n: int) -> tuple[int, int] | None:
    """The sparsity levels ``pattern`` accepts at length n, (lowest, highest); None when it has none.

    Strides, block widths and window widths run from 2 to n (FIXED's width must divide n); RANDOM's
    other keys from 1 to n - 1.

    Parameters
    ----------
    pattern : str
        One of ``PATTERNS``.
    n : int
        Number of tokens n.

    Returns
    -------
    tuple of int or None
        The range, both ends included.

    Examples
    --------
    >>> level_range("random", 16), level_range("strided", 16), level_range("star", 16)
    ((1, 15), (2, 16), None)
    """
    pattern = check_choice("pattern", pattern, PATTERNS)
    if LEVELS[pattern] is None:
        return None
    return (1, n - 1) if pattern == "random" else (2, n)


def check_level(pattern: str, n: int, level: Any) -> int | None:
    """``level`` checked for ``pattern`` at length n (None: the default, FIXED's block width w(n)).

    Parameters
    ----------
    pattern : str
        One of ``PATTERNS``.
    n : int
        Number of tokens n.
    level : int or None
        The stride, block width, window width or number of other keys; None for the default.

    Returns
    -------
    int or None
        The level (None for dense and STAR, which have none).

    Raises
    ------
    PolyapproxError
        A level for a pattern without one, outside :func:`level_range`, or a FIXED width not dividing n.

    Examples
    --------
    >>> check_level("strided", 16, None), check_level("random", 16, 3), check_level("dense", 16, None)
    (4, 3, None)
    """
    bounds = level_range(pattern, n)
    if bounds is None:
        if level is not None:
            raise PolyapproxError(f"pattern {pattern} has no sparsity level; got level {level!r}")
        return None
    if level is None:
        return block_width(n)
    low, high = bounds
    if isinstance(level, bool) or not isinstance(level, int) or not low <= level <= high:
        raise PolyapproxError(
            f"{pattern}'s {LEVELS[pattern]} must be an integer from {low} to {high} at n = {n}; got {level!r}"
        )
    if pattern == "fixed" and n % level:
        raise PolyapproxError(f"fixed's block width w must divide n = {n}; got {level}")
    return level


def copy_masks(pattern: str, n: int, layers: int = 4, seed: int = 0, level: int | None = None) -> list[np.ndarray]:
    """The masks of blocks 1..``layers`` for ``pattern`` (its cycle repeated), ``mask[query, key]``.

    Shapes: -> ``layers`` boolean masks, each (n, n).

    Parameters
    ----------
    pattern : str
        One of ``PATTERNS``.
    n : int
        Number of tokens n.
    layers : int, default 4
        Number of masked blocks.
    seed : int, default 0
        Seed of every random choice (reproducible).
    level : int or None, default None
        The pattern's sparsity level (see ``LEVELS`` and :func:`check_level`); None: the block
        width w(n) of :func:`block_width` (RANDOM: w(n) other keys).

    Returns
    -------
    list of numpy.ndarray
        One mask per block.

    Examples
    --------
    >>> [int(M.sum()) for M in copy_masks("strided", 16)]
    [74, 64, 74, 64]
    >>> [int(M.sum()) for M in copy_masks("strided", 16, level=8)]
    [124, 32, 124, 32]
    """
    from constructions.sparse import patterns

    pattern = check_choice("pattern", pattern, PATTERNS)
    n, layers = _check_length(n), check_positive("layers", layers)
    w = check_level(pattern, n, level) or block_width(n)  # dense and STAR ignore w
    if pattern == "random":
        return [random_mask(n, w, seed + t) for t in range(layers)]
    cycle = {
        "dense": lambda: patterns.dense(n),
        "star": lambda: patterns.star(n),
        "strided": lambda: patterns.strided(n, w),
        "fixed": lambda: patterns.fixed(n, w),
        "sliding_window": lambda: patterns.sliding_window(n, w),
        "union": lambda: [np.logical_or(*patterns.strided(n, w))],
    }[pattern]()
    return [cycle[t % len(cycle)] for t in range(layers)]


def assumption_table(n: int, layers: int = 4, seed: int = 0) -> ResultsTable:
    """Tabulate, for every pattern at length n, connections per layer, Assumption 1 (Yun et al. 2020) and s.

    RANDOM is checked on its cycle of ``layers`` masks; the checker may answer "undetermined"
    (n > 20 and no Hamiltonian path it can verify), which is reported as such.

    Parameters
    ----------
    n : int
        Number of tokens n.
    layers : int, default 4
        Length of RANDOM's cycle.
    seed : int, default 0
        Seed of every random choice (reproducible).

    Returns
    -------
    ResultsTable
        One row per pattern.

    Examples
    --------
    >>> t = assumption_table(16)
    >>> dict(zip(t.column("pattern"), t.column("assumption 1")))["fixed"]
    'holds'
    """
    from constructions import sparse

    rows = []
    for pattern in PATTERNS:
        masks = copy_masks(pattern, n, layers, seed)
        cycle = masks if pattern == "random" else masks[: 2 if pattern in ("strided", "fixed") else 1]
        try:
            report = sparse.check_assumption(cycle)
            verdict = "holds" if report.holds else f"fails ({report.failed_condition})"
            s = report.s
        except SizeError:
            verdict, s = "undetermined", None
        rows.append(
            {
                "pattern": pattern,
                "p": len(cycle),
                "connections per layer": int(np.mean([m.sum() for m in cycle])),
                "assumption 1": verdict,
                "s": s,
                "s <= layers": None if s is None else s <= layers,
            }
        )
    return ResultsTable(
        ["pattern", "p", "connections per layer", "assumption 1", "s", "s <= layers"], rows, f"Assumption 1 at n = {n}"
    )


def sinusoidal_positions(n: int, width: int) -> torch.Tensor:
    """Fixed positional encoding: column pair (2j, 2j+1) holds sin, cos of 2 pi (j+1) k / n at position k.

    Shapes: -> (n, width) float32 (``width`` even).

    Parameters
    ----------
    n : int
        Number of tokens n.
    width : int
        Model width (even).

    Returns
    -------
    torch.Tensor
        Row k encodes position k; a shift by m positions is a fixed rotation of each pair.

    Examples
    --------
    >>> P = sinusoidal_positions(4, 4)
    >>> P.shape, [round(v, 6) for v in P[:, 0].tolist()]
    (torch.Size([4, 4]), [0.0, 1.0, 0.0, -1.0])
    """
    n, width = check_positive("n", n), check_positive("width", width)
    if width % 2:
        raise PolyapproxError(f"sinusoidal positions need an even width; got {width}")
    position = torch.arange(n, dtype=torch.float64)[:, None]
    frequency = 2 * math.pi / n * torch.arange(1, width // 2 + 1, dtype=torch.float64)
    P = torch.zeros(n, width, dtype=torch.float64)
    P[:, 0::2], P[:, 1::2] = torch.sin(position * frequency), torch.cos(position * frequency)
    return P.to(torch.float32)


class MaskedBlock(nn.Module):
    """One pre-LayerNorm encoder block: x + Attn(LN(x)) under a fixed boolean mask, then + MLP(LN(.)).

    Shapes: x (b, n, width) -> (b, n, width).

    Parameters
    ----------
    width : int
        Model width.
    heads : int
        Attention heads.
    mask : numpy.ndarray
        Boolean (n, n), ``mask[query, key]``.

    Examples
    --------
    >>> import numpy as np
    >>> block = MaskedBlock(8, 2, np.eye(4, dtype=bool))
    >>> block(torch.zeros(3, 4, 8)).shape
    torch.Size([3, 4, 8])
    """

    mask: torch.Tensor  # a registered buffer

    def __init__(self, width: int, heads: int, mask: np.ndarray) -> None:
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.out = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width))
        self.register_buffer("mask", torch.tensor(np.asarray(mask, dtype=bool)))
        self.attention = MaskedAttention(
            np.asarray(mask, dtype=bool), gather_cost=COPY_GATHER_COST, gradient_gather_cost=COPY_GATHER_COST
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The block, x + Attn(LN(x)) then + MLP(LN(.)).

        Shapes: x (b, n, width) -> (b, n, width).
        """
        b, n, width = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        h = self.attention(q, k, v).transpose(1, 2).reshape(b, n, width)
        x = x + self.out(h)
        return x + self.mlp(self.norm2(x))


class SparseCopyTransformer(nn.Module):
    """Token embedding + fixed sinusoidal positions, one :class:`MaskedBlock` per mask, LayerNorm, logits.

    The positions are :func:`sinusoidal_positions` (fixed, not trained): with them the dense model
    learns copying at n = 16 within 60 steps on every seed tried, where a learned position table
    (initialised at random) left it at token accuracy about 0.35 after 150 steps.

    Shapes: tokens (b, n) int64 -> logits (b, n, vocab + 1).

    Parameters
    ----------
    vocab : int
        Symbols 1..vocab (0 is the blank).
    masks : list of numpy.ndarray
        One boolean (n, n) mask per block.
    width : int, default 64
        Model width.
    heads : int, default 4
        Attention heads per block.

    Examples
    --------
    >>> model = SparseCopyTransformer(vocab=4, masks=copy_masks("star", 8), width=16, heads=2)
    >>> model(torch.zeros(3, 8, dtype=torch.int64)).shape
    torch.Size([3, 8, 5])
    """

    position: torch.Tensor  # a registered buffer

    def __init__(self, vocab: int, masks: list[np.ndarray], width: int = 64, heads: int = 4) -> None:
        super().__init__()
        n = masks[0].shape[0]
        if width % heads:
            raise PolyapproxError(f"width must be a multiple of heads; got width {width}, heads {heads}")
        self.embed = nn.Embedding(vocab + 1, width)
        self.register_buffer("position", sinusoidal_positions(n, width))
        self.blocks = nn.ModuleList(MaskedBlock(width, heads, M) for M in masks)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab + 1)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits over 0..vocab at every position.

        Shapes: tokens (b, n) int64 -> logits (b, n, vocab + 1).
        """
        x = self.embed(tokens) + self.position
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


@dataclass(frozen=True)
class CopyHistory:
    """One copying run: train loss every step, test accuracies every ``eval_every`` steps.

    Parameters
    ----------
    pattern : str
        The pattern trained with.
    n : int
        Number of tokens n.
    train_loss : tuple of float
        Loss of every step.
    eval_steps : tuple of int
        Steps of the evaluations (``eval_steps[0] = 0``).
    accuracy : tuple of float
        Token accuracy on the fixed test batch.
    sequence_accuracy : tuple of float
        Share of test sequences copied exactly.
    connections : int
        Connections per layer (mask entries).
    parameters : int
        Trainable parameters.
    seconds : float
        Wall time.
    settings : dict
        The run's arguments.

    Examples
    --------
    >>> run = CopyingConfig(steps=2, eval_every=2, test_batch=8)
    >>> h = train_copying("dense", 8, vocab=3, width=16, heads=2, config=run)
    >>> h.pattern, h.eval_steps, len(h.accuracy)
    ('dense', (0, 2), 2)
    """

    pattern: str
    n: int
    train_loss: tuple[float, ...]
    eval_steps: tuple[int, ...]
    accuracy: tuple[float, ...]
    sequence_accuracy: tuple[float, ...]
    connections: int
    parameters: int
    seconds: float
    settings: dict

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def steps_to(self, level: float) -> int | None:
        """First evaluated step with token accuracy >= level (None if never)."""
        return next((s for s, a in zip(self.eval_steps, self.accuracy) if a >= level), None)


def _accuracy(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[float, float]:
    with torch.no_grad():
        predicted = model(inputs).argmax(dim=-1)
    m = inputs.shape[1] // 2
    correct = predicted[:, m:] == targets[:, m:]
    return float(correct.float().mean()), float(correct.all(dim=1).float().mean())


def train_copying(
    pattern: str,
    n: int = 16,
    *,
    vocab: int = 8,
    layers: int = 4,
    width: int = 64,
    heads: int = 4,
    level: int | None = None,
    config: CopyingConfig | None = None,
) -> CopyHistory:
    """Train the copying model with ``pattern``'s masks (Adam, a fresh seeded batch every step).

    Parameters
    ----------
    pattern : str
        One of ``PATTERNS``.
    n : int, default 16
        Number of tokens n.
    vocab : int, default 8
        Symbols 1..vocab.
    layers : int, default 4
        Number of masked blocks.
    width : int, default 64
        Model width.
    heads : int, default 4
        Attention heads per block.
    level : int or None, default None
        The pattern's sparsity level (stride, block width, window width or RANDOM's other keys;
        see :func:`check_level`); None: the block width w(n).
    config : CopyingConfig or None, default None
        Steps, learning rate, batch sizes, evaluation interval, seed, threads, progress bar;
        None: ``CopyingConfig()``.

    Returns
    -------
    CopyHistory
        Losses and accuracies.

    Examples
    --------
    >>> run = CopyingConfig(steps=3, eval_every=3, test_batch=16)
    >>> h = train_copying("dense", 8, vocab=3, width=16, heads=2, config=run)
    >>> h.eval_steps, len(h.train_loss)
    ((0, 3), 3)
    """
    config = CopyingConfig() if config is None else config
    if not isinstance(config, CopyingConfig):
        raise PolyapproxError(f"config must be a CopyingConfig; got {type(config).__name__}")
    n, steps, lr, seed = _check_length(n), config.steps, config.lr, config.seed
    masks = copy_masks(pattern, n, layers, seed, level)
    start = time.perf_counter()
    with deterministic(seed, config.threads) as generator:
        test = copy_batch(config.test_batch, n, vocab, torch.Generator().manual_seed(10_000 + seed))
        model = SparseCopyTransformer(
            vocab, masks, width=check_positive("width", width), heads=check_positive("heads", heads)
        )
        optimiser = torch.optim.Adam(model.parameters(), lr=lr)
        losses, evals, acc, seq = [], [0], *[[v] for v in _accuracy(model, *test)]
        for step in _bar(steps, config.progress, pattern):
            inputs, targets = copy_batch(config.batch, n, vocab, generator)
            optimiser.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(inputs).flatten(0, 1), targets.flatten())
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
            if (step + 1) % config.eval_every == 0 or step + 1 == steps:
                evals.append(step + 1)
                for record, value in zip((acc, seq), _accuracy(model, *test)):
                    record.append(value)
    settings = {
        "vocab": vocab,
        "layers": layers,
        "width": width,
        "heads": heads,
        "steps": steps,
        "lr": lr,
        "batch": config.batch,
        "seed": seed,
        "block_width": block_width(n),
        "level": check_level(pattern, n, level),
    }
    return CopyHistory(
        pattern,
        n,
        tuple(losses),
        tuple(evals),
        tuple(acc),
        tuple(seq),
        int(np.mean([M.sum() for M in masks])),
        sum(p.numel() for p in model.parameters()),
        time.perf_counter() - start,
        settings,
    )


def _bar(steps: int, progress: bool, name: str):
    if not progress:
        return range(steps)
    from tqdm.auto import tqdm

    return tqdm(range(steps), desc=name, leave=False)
