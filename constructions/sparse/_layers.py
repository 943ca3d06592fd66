"""Layer counts of the three proof steps of theory/sparse (sparse and dense)."""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass
from decimal import Decimal
from fractions import Fraction
from math import factorial

from polyapprox.internal import DomainError, check_int


def as_delta(delta: object = None, q: object = None) -> Fraction:
    """The grid width delta = 1/q with an integer q >= 2 (theory/sparse Step 1), from ``delta`` or ``q``.

    ``delta`` may be a Fraction, an int ratio string "1/3" or a float equal to 1/q.

    Parameters
    ----------
    delta : Fraction, str, float or None, default None
        A Fraction, an int ratio string "1/3" or a float equal to 1/q.
    q : int or None, default None
        The integer q instead of delta.

    Returns
    -------
    Fraction
        delta, exactly.

    Examples
    --------
    >>> as_delta("1/3"), as_delta(q=2), as_delta(0.25)
    (Fraction(1, 3), Fraction(1, 2), Fraction(1, 4))
    """
    if (delta is None) == (q is None):
        raise DomainError(f"give exactly one of delta or q; got delta={delta!r}, q={q!r}")
    if q is not None:
        return Fraction(1, check_int("q", q, minimum=2))
    if not isinstance(delta, (numbers.Rational, float, Decimal, str)):  # what Fraction() accepts
        raise DomainError(f"delta must be 1/q with an integer q >= 2; got {delta!r}")
    try:
        value = Fraction(delta) if not isinstance(delta, float) else Fraction(delta).limit_denominator(10**6)
    except (TypeError, ValueError, ZeroDivisionError):
        raise DomainError(f"delta must be 1/q with an integer q >= 2; got {delta!r}") from None
    if (
        value <= 0
        or value.numerator != 1
        or value.denominator < 2
        or (isinstance(delta, float) and abs(float(value) - delta) > 1e-12)
    ):
        raise DomainError(f"delta must be 1/q with an integer q >= 2; got {delta!r}")
    return value


@dataclass(frozen=True)
class LayerCounts:
    """Blocks of the three proof steps (theory/sparse table) for one (n, d, delta, p, s).

    ``contextual`` = ``phase_a`` + ``phase_b`` = p (n-1) delta^-d + s attention layers;
    ``padding`` <= p-1 identity blocks.

    Parameters
    ----------
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    delta : Fraction
        Grid width 1/q.
    p : int
        Period of the pattern cycle.
    s : int
        Least reach of the cycle.
    quantisation : int
        d n/delta feed-forward layers.
    phase_a : int
        Phase-A attention layers, p (n-1) delta^-d.
    phase_b : int
        Phase-B attention layers, s.
    value : int
        n delta^{-nd} feed-forward layers.
    dense_contextual : int
        Contextual layers of the same construction with p = s = 1.
    y19_quantisation : int
        Quantisation layers of Yun et al. 2019 (without positional embedding), d/delta + d.
    y19_contextual : int
        Their contextual layers, delta^-d + 1.
    y19_value : Fraction
        Their value layers, n delta^{-nd}/n! up to a constant.

    Examples
    --------
    >>> counts = layer_counts(2, 1, "1/2")
    >>> counts.quantisation, counts.contextual, counts.value
    (4, 3, 8)
    """

    n: int
    d: int
    delta: Fraction
    p: int
    s: int
    quantisation: int
    phase_a: int
    phase_b: int
    value: int
    dense_contextual: int
    y19_quantisation: int
    y19_contextual: int
    y19_value: Fraction

    @property
    def contextual(self) -> int:
        return self.phase_a + self.phase_b

    @property
    def padding(self) -> int:
        return self.p - 1

    @property
    def total(self) -> int:
        """quantisation + contextual + value (without the <= p-1 padding blocks)."""
        return self.quantisation + self.contextual + self.value

    @property
    def y19_value_layers(self) -> int:
        """The [Y19] value-mapping estimate n delta^(-nd) / n! as a whole number of layers (its ceiling, >= 1)."""
        return max(1, -(-self.y19_value.numerator // self.y19_value.denominator))

    def rows(self) -> list[dict]:
        """Table rows: this sparse construction, the dense one (p = s = 1), [Y19]."""
        return [
            {
                "construction": f"sparse (p={self.p}, s={self.s}) (reconstruction)",
                "quantisation": self.quantisation,
                "contextual": self.contextual,
                "value": self.value,
            },
            {
                "construction": "dense (p=s=1) (reconstruction)",
                "quantisation": self.quantisation,
                "contextual": self.dense_contextual,
                "value": self.value,
            },
            {
                "construction": "[Y19], equivariant, no E",
                "quantisation": self.y19_quantisation,
                "contextual": self.y19_contextual,
                "value": f"O({self.y19_value_layers})",
            },
        ]

    def to_markdown(self) -> str:
        lines = [
            f"n = {self.n}, d = {self.d}, delta = {self.delta}: blocks per proof step",
            "",
            "| construction | quantisation (FF) | contextual mapping (attention) | value mapping (FF) |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {r['construction']} | {r['quantisation']} | {r['contextual']} | {r['value']} |" for r in self.rows()
        ]
        lines.append(
            f"\nsparse contextual mapping = p(n-1)delta^-d + s = {self.phase_a} + {self.phase_b}; "
            f"padding <= {self.padding}"
        )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(
            delta=str(self.delta),
            y19_value=str(self.y19_value),
            y19_value_layers=self.y19_value_layers,
            contextual=self.contextual,
            total=self.total,
        )
        return data


def layer_counts(n: int, d: int, delta: object = None, p: int = 1, s: int = 1, *, q: object = None) -> LayerCounts:
    """Count the blocks of quantisation, contextual mapping and value mapping (theory/sparse, layer table).

    Parameters
    ----------
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    delta : Fraction, str, float or None, default None
        Grid width 1/q: a Fraction, an int ratio string "1/3" or a float equal to 1/q.
    p : int, default 1
        Period of the pattern cycle.
    s : int, default 1
        Least reach of the cycle.
    q : int or None, default None
        The integer q instead of delta.

    Returns
    -------
    LayerCounts
        The counts.

    Notes
    -----
    The sparse construction is a reconstruction (theory/sparse); its constants may
    differ from the paper's.

    Examples
    --------
    >>> c = layer_counts(4, 1, "1/2", p=2, s=2)           # STRIDED w=2, n=4 (case S4)
    >>> c.quantisation, c.phase_a, c.phase_b, c.contextual, c.value, c.dense_contextual
    (8, 12, 2, 14, 64, 7)
    """
    n, d = check_int("n", n), check_int("d", d)
    p, s = check_int("p", p), check_int("s", s)
    delta = as_delta(delta, q)
    qq = delta.denominator
    return LayerCounts(
        n=n,
        d=d,
        delta=delta,
        p=p,
        s=s,
        quantisation=d * n * qq,
        phase_a=p * (n - 1) * qq**d,
        phase_b=s,
        value=n * qq ** (n * d),
        dense_contextual=(n - 1) * qq**d + 1,
        y19_quantisation=d * qq + d,
        y19_contextual=qq**d + 1,
        y19_value=Fraction(n * qq ** (n * d), factorial(n)),
    )
