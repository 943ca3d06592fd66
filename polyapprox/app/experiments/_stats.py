"""Intervals over seeds and the three-way verdicts decided on them.

Every training experiment runs several seeds; a row reports the mean and a two-sided Student-t
confidence interval of the mean, and a comparison with a threshold (or with the paper) is decided
on the interval: "above" or "below" only when the whole interval is, otherwise "inconclusive".

>>> iv = t_interval([1.0, 2.0, 3.0])
>>> round(iv.mean, 12), round(iv.low, 4), round(iv.high, 4)
(2.0, -0.4841, 4.4841)
>>> compare(iv, 0.5), compare(iv, 5.0), compare(iv, -1.0)
('inconclusive', 'below', 'above')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from polyapprox.internal import PolyapproxError

Comparison = Literal["above", "below", "inconclusive"]


@dataclass(frozen=True)
class SeedInterval:
    """The mean of per-seed values and a confidence interval [low, high] for it.

    Parameters
    ----------
    mean : float
        The sample mean.
    low, high : float
        The interval's ends (equal to the mean when every value is equal).
    count : int
        The number of values (seeds).
    level : float
        The confidence level, for example 0.95.

    Examples
    --------
    >>> SeedInterval(1.0, 0.5, 1.5, 3, 0.95).half_width
    0.5
    """

    mean: float
    low: float
    high: float
    count: int
    level: float

    @property
    def half_width(self) -> float:
        """Half the interval's length."""
        return (self.high - self.low) / 2

    def format(self, spec: str = ".3g") -> str:
        """``"mean [low, high]"`` with ``spec`` applied to each number.

        Parameters
        ----------
        spec : str, default ".3g"
            A format specification.

        Returns
        -------
        str
            The formatted interval.

        Examples
        --------
        >>> SeedInterval(1.0, 0.5, 1.5, 3, 0.95).format(".2f")
        '1.00 [0.50, 1.50]'
        """
        return f"{self.mean:{spec}} [{self.low:{spec}}, {self.high:{spec}}]"

    def __str__(self) -> str:
        return self.format()

    def to_dict(self) -> dict[str, float | int]:
        """The fields as a plain dict (for JSON records)."""
        return {"mean": self.mean, "low": self.low, "high": self.high, "count": self.count, "level": self.level}


def t_interval(values: Sequence[float], level: float = 0.95) -> SeedInterval:
    """Two-sided Student-t confidence interval of the mean: mean +- t_{(1+level)/2, m-1} s / sqrt(m).

    Parameters
    ----------
    values : sequence of float
        One finite value per seed; at least two.
    level : float, default 0.95
        Confidence level in (0, 1).

    Returns
    -------
    SeedInterval
        The mean and the interval (s is the sample standard deviation, m the number of values).

    Raises
    ------
    PolyapproxError
        Fewer than two values, a non-finite value, or a level outside (0, 1).

    Examples
    --------
    >>> t_interval([0.5, 0.5, 0.5]).format()
    '0.5 [0.5, 0.5]'
    """
    data = [float(v) for v in values]
    if len(data) < 2:
        raise PolyapproxError(f"an interval over seeds needs at least 2 values, got {len(data)}")
    if not all(math.isfinite(v) for v in data):
        raise PolyapproxError(f"an interval over seeds needs finite values, got {data}")
    if not (isinstance(level, float | int) and 0 < level < 1):
        raise PolyapproxError(f"confidence level must be in (0, 1), got {level!r}")
    from scipy.stats import t  # deferred: scipy is not loaded at start-up

    m = len(data)
    mean = math.fsum(data) / m
    s = math.sqrt(math.fsum((v - mean) ** 2 for v in data) / (m - 1))
    half = float(t.ppf((1 + level) / 2, m - 1)) * s / math.sqrt(m)
    return SeedInterval(mean, mean - half, mean + half, m, float(level))


def compare(interval: SeedInterval, threshold: float) -> Comparison:
    """Where an interval lies relative to a threshold: wholly above, wholly below, or neither.

    Parameters
    ----------
    interval : SeedInterval
        The interval over seeds.
    threshold : float
        The value compared with.

    Returns
    -------
    {"above", "below", "inconclusive"}
        "above" when ``low > threshold``, "below" when ``high < threshold``, else "inconclusive".

    Examples
    --------
    >>> compare(SeedInterval(0.99, 0.985, 0.995, 3, 0.95), 0.98)
    'above'
    """
    if interval.low > threshold:
        return "above"
    if interval.high < threshold:
        return "below"
    return "inconclusive"


Verdict = Literal["agrees", "differs", "inconclusive"]


def paper_verdict(interval: SeedInterval, threshold: float, paper_above: bool) -> Verdict:
    """Whether the seeds agree with a paper saying the quantity is above ``threshold`` (or below).

    Decided on the interval: "agrees" when it lies wholly on the paper's side, "differs" when
    wholly on the other, "inconclusive" when it contains the threshold (even if some seeds agree).

    Parameters
    ----------
    interval : SeedInterval
        The interval over seeds.
    threshold : float
        The threshold of the paper's statement.
    paper_above : bool
        True when the paper says the quantity is above ``threshold``, False when below.

    Returns
    -------
    {"agrees", "differs", "inconclusive"}
        The verdict.

    Examples
    --------
    >>> paper_verdict(t_interval([0.95, 0.5, 0.6]), 0.9, paper_above=True)  # seed 0 agrees, the interval does not
    'inconclusive'
    >>> paper_verdict(t_interval([0.99, 1.0, 1.0]), 0.9, paper_above=True)
    'agrees'
    """
    side = compare(interval, threshold)
    if side == "inconclusive":
        return "inconclusive"
    return "agrees" if (side == "above") == paper_above else "differs"
