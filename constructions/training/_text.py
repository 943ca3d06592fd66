"""Implementation of the character-level language model of :mod:`constructions.training.text` (private).

A small causal Transformer (token and learned positional embeddings, pre-LayerNorm blocks of
masked softmax attention and a GELU MLP: the blocks of the copying task) predicts the next
character of windows of the Python documentation corpus. Block t attends with mask t of the
pattern's cycle intersected with the causal mask (key <= query), so no position sees the future.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from polyapprox.internal import PolyapproxError, check_choice, check_int

from ._common import check_positive, deterministic
from ._config import TextConfig
from ._copying import PATTERNS, MaskedBlock
from ._corpus import VOCAB_SIZE, load_corpus

#: Patterns with a sparsity level: the width w (window, stride, block) or, for RANDOM, the number r of
#: earlier keys each query draws. Dense and STAR have none.
LEVELLED = ("strided", "fixed", "sliding_window", "random", "union")
#: Largest number of windows the held-out score may take at once (forward only; memory guard).
EVAL_CHUNK = 256


def check_level(pattern: str, level: Any, n: int) -> int | None:
    """The sparsity level of ``pattern`` at context n: None for dense and STAR, else 2 <= w <= n (r <= n - 1).

    Parameters
    ----------
    pattern : str
        One of ``PATTERNS``.
    level : int or None
        The width w, or RANDOM's r.
    n : int
        Context length.

    Returns
    -------
    int or None
        The level, checked.

    Examples
    --------
    >>> check_level("strided", 4, 32), check_level("dense", None, 32)
    (4, None)
    >>> check_level("fixed", 64, 32)
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: fixed: level 64 is larger than the context 32
    """
    pattern = check_choice("pattern", pattern, PATTERNS)
    if pattern not in LEVELLED:
        if level is not None:
            raise PolyapproxError(f"{pattern} has no sparsity level; got {level!r}")
        return None
    if level is None:
        raise PolyapproxError(f"{pattern} needs a sparsity level (a width, or RANDOM's keys per query)")
    level = check_int("level", level, minimum=1 if pattern == "random" else 2)
    if level > (n - 1 if pattern == "random" else n):
        raise PolyapproxError(f"{pattern}: level {level} is larger than the context {n}")
    return level


def causal_random_mask(n: int, r: int, seed: int) -> np.ndarray:
    """Causal RANDOM: query k attends to itself and min(r, k) earlier keys drawn without replacement.

    Shapes: -> (n, n) boolean, lower triangular.

    Parameters
    ----------
    n : int
        Context length.
    r : int
        Earlier keys per query.
    seed : int
        Seed of the draw.

    Returns
    -------
    numpy.ndarray
        The mask ``mask[query, key]``.

    Examples
    --------
    >>> M = causal_random_mask(6, 2, seed=0)
    >>> M.sum(axis=1).tolist(), bool(np.array_equal(M, np.tril(M)))
    ([1, 2, 3, 3, 3, 3], True)
    """
    n, r = check_int("n", n), check_int("r", r, minimum=0)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    scores = rng.random((n, n))
    scores[np.triu_indices(n, 1)] = -np.inf  # the future is never drawn
    np.fill_diagonal(scores, np.inf)  # self first
    keep = np.argsort(-scores, axis=1, kind="stable")[:, : r + 1]
    M = np.zeros((n, n), dtype=bool)
    np.put_along_axis(M, keep, True, axis=1)
    return M & np.tril(np.ones((n, n), dtype=bool))


def text_masks(pattern: str, n: int, level: int | None = None, layers: int = 2, seed: int = 0) -> list[np.ndarray]:
    """The causal masks of blocks 1..``layers``: the pattern's cycle (repeated) AND key <= query.

    Shapes: -> ``layers`` boolean masks, each (n, n), lower triangular with a full diagonal.

    Parameters
    ----------
    pattern : str
        One of ``PATTERNS``.
    n : int
        Context length.
    level : int or None, default None
        Width w of STRIDED, FIXED, sliding window, UNION; RANDOM's earlier keys r; None for dense
        and STAR.
    layers : int, default 2
        Number of masked blocks.
    seed : int, default 0
        Seed of RANDOM's draws (one per layer).

    Returns
    -------
    list of numpy.ndarray
        One mask per block.

    Examples
    --------
    >>> [int(M.sum()) for M in text_masks("sliding_window", 8, 4)]  # self and 2 earlier keys
    [21, 21]
    >>> [int(M.sum()) for M in text_masks("dense", 8)]
    [36, 36]
    """
    from constructions.sparse import patterns

    n, layers = check_int("n", n, minimum=2), check_positive("layers", layers)
    w = check_level(pattern, level, n)
    causal = np.tril(np.ones((n, n), dtype=bool))
    width = 0 if w is None else w  # dense and STAR take none
    if pattern == "random":
        return [causal_random_mask(n, width, seed + t) for t in range(layers)]
    cycle = {
        "dense": lambda: patterns.dense(n),
        "star": lambda: patterns.star(n),
        "strided": lambda: patterns.strided(n, width),
        "fixed": lambda: patterns.fixed(n, width),
        "sliding_window": lambda: patterns.sliding_window(n, width),
        "union": lambda: [np.logical_or(*patterns.strided(n, width))],
    }[pattern]()
    return [cycle[t % len(cycle)] & causal for t in range(layers)]


class CharTransformer(nn.Module):
    """Causal character model: embeddings, one masked block per mask, LayerNorm, next-symbol logits.

    Shapes: symbols (b, n) int64 -> logits (b, n, vocab).

    Parameters
    ----------
    vocab : int
        Number of symbols.
    masks : list of numpy.ndarray
        One causal boolean (n, n) mask per block.
    width : int, default 32
        Model width.
    heads : int, default 2
        Attention heads per block.

    Examples
    --------
    >>> model = CharTransformer(5, text_masks("dense", 4), width=8, heads=2)
    >>> model(torch.zeros(3, 4, dtype=torch.int64)).shape
    torch.Size([3, 4, 5])
    """

    def __init__(self, vocab: int, masks: list[np.ndarray], width: int = 32, heads: int = 2) -> None:
        super().__init__()
        n = masks[0].shape[0]
        if width % heads:
            raise PolyapproxError(f"width must be a multiple of heads; got width {width}, heads {heads}")
        for t, M in enumerate(masks):
            if (np.triu(M, 1)).any():
                raise PolyapproxError(
                    f"mask {t} lets a position attend to a later one: a language model must be causal"
                )
        self.embed = nn.Embedding(vocab, width)
        self.position = nn.Parameter(torch.randn(n, width) * 0.1)
        self.blocks = nn.ModuleList(MaskedBlock(width, heads, M) for M in masks)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, symbols: torch.Tensor) -> torch.Tensor:
        """Logits of the next symbol at every position.

        Shapes: symbols (b, n) int64 -> logits (b, n, vocab).
        """
        x = self.embed(symbols) + self.position
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


@dataclass(frozen=True)
class TextHistory:
    """One language-modelling run: training loss per step, held-out bits per character at the end.

    Parameters
    ----------
    pattern : str
        The pattern.
    level : int or None
        Its sparsity level (None for dense and STAR).
    train_bits : tuple of float
        Training loss of every step, in bits per character.
    validation_bits, test_bits : float
        Bits per character on the held-out windows of the validation and test blocks.
    connections : float
        Mean connections per query over the blocks (causal; dense: (n + 1) / 2).
    parameters : int
        Trainable parameters.
    seconds : float
        Wall time.
    settings : dict
        The run's arguments.

    Examples
    --------
    >>> h = train_text("dense", config=TextConfig(steps=1, eval_windows=2, context=8), width=8, heads=2)
    >>> h.pattern, len(h.train_bits), h.connections
    ('dense', 1, 4.5)
    """

    pattern: str
    level: int | None
    train_bits: tuple[float, ...]
    validation_bits: float
    test_bits: float
    connections: float
    parameters: int
    seconds: float
    settings: dict

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _windows(block: np.ndarray, n: int, count: int) -> torch.Tensor:
    """Up to ``count`` consecutive non-overlapping windows of n + 1 symbols (input and next-symbol target)."""
    available = (len(block) - 1) // n
    if available < 1:
        raise PolyapproxError(f"a held-out block of {len(block)} characters is shorter than one window of {n + 1}")
    m = min(count, available)
    starts = np.arange(m) * n
    return torch.from_numpy(np.stack([block[s : s + n + 1] for s in starts]).astype(np.int64))


def _bits(model: nn.Module, windows: torch.Tensor) -> float:
    """Mean cross-entropy of the next symbol over the windows, in bits per character."""
    total, count = 0.0, 0
    with torch.no_grad():
        for chunk in windows.split(EVAL_CHUNK):
            logits = model(chunk[:, :-1])
            total += float(F.cross_entropy(logits.flatten(0, 1), chunk[:, 1:].flatten(), reduction="sum"))
            count += chunk[:, 1:].numel()
    return total / count / math.log(2)


def train_text(
    pattern: str,
    level: int | None = None,
    *,
    layers: int = 2,
    width: int = 32,
    heads: int = 2,
    validation: float = 0.05,
    test: float = 0.05,
    config: TextConfig | None = None,
) -> TextHistory:
    """Train the causal character model with ``pattern``'s masks on the Python documentation corpus.

    Adam on random windows of the training block (seeded offsets); at the end, bits per character
    on the first ``eval_windows`` non-overlapping windows of the validation and test blocks.

    Parameters
    ----------
    pattern : str
        One of ``PATTERNS``.
    level : int or None, default None
        The sparsity level (see :func:`text_masks`).
    layers : int, default 2
        Number of masked blocks.
    width : int, default 32
        Model width.
    heads : int, default 2
        Attention heads per block.
    validation, test : float, default 0.05
        Shares of the corpus in the validation and test blocks (the end of the text).
    config : TextConfig or None, default None
        Steps, learning rate, batch, context, evaluation windows, seed, threads, progress bar.

    Returns
    -------
    TextHistory
        Training losses and held-out bits per character.

    Examples
    --------
    >>> run = TextConfig(steps=2, context=8, eval_windows=4)
    >>> h = train_text("strided", 4, width=8, heads=2, config=run)
    >>> h.level, len(h.train_bits), h.test_bits > 0
    (4, 2, True)
    """
    config = TextConfig() if config is None else config
    if not isinstance(config, TextConfig):
        raise PolyapproxError(f"config must be a TextConfig; got {type(config).__name__}")
    n, seed = config.context, config.seed
    masks = text_masks(pattern, n, level, layers, seed)
    blocks = load_corpus().split(validation, test)
    train = blocks["train"]
    held_out = {name: _windows(blocks[name], n, config.eval_windows) for name in ("validation", "test")}
    start = time.perf_counter()
    with deterministic(seed, config.threads) as generator:
        model = CharTransformer(
            VOCAB_SIZE, masks, width=check_positive("width", width), heads=check_positive("heads", heads)
        )
        optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
        symbols = torch.from_numpy(train.astype(np.int64))
        offsets = torch.arange(n + 1)
        losses = []
        for _ in _bar(config.steps, config.progress, pattern):
            starts = torch.randint(0, len(train) - n, (config.batch,), generator=generator)
            window = symbols[starts[:, None] + offsets]
            optimiser.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(window[:, :-1]).flatten(0, 1), window[:, 1:].flatten())
            loss.backward()
            optimiser.step()
            losses.append(loss.detach())
        bits = {name: _bits(model, windows) for name, windows in held_out.items()}
    settings = {
        "layers": layers,
        "width": width,
        "heads": heads,
        "steps": config.steps,
        "lr": config.lr,
        "batch": config.batch,
        "context": n,
        "eval_windows": config.eval_windows,
        "seed": seed,
        "validation": validation,
        "test": test,
    }
    train_bits = (torch.stack(losses) / math.log(2)).tolist() if losses else []
    return TextHistory(
        pattern,
        level,
        tuple(float(v) for v in train_bits),
        bits["validation"],
        bits["test"],
        float(np.mean([M.sum() for M in masks]) / n),
        sum(p.numel() for p in model.parameters()),
        time.perf_counter() - start,
        settings,
    )


def _bar(steps: int, progress: bool, name: str):
    if not progress:
        return range(steps)
    from tqdm.auto import tqdm

    return tqdm(range(steps), desc=name, leave=False)
