"""Latent dimension d' of each Sumformer construction, beside the literature's bounds.

theory/latent: continuous C(n+d, d) - 1 (power sums up to degree n, [A]);
refined C(n-1+d, d) - 1 (degree n-1 suffices because psi also sees x_i);
discontinuous 1 (integer cell code, section 6); histogram k^d (one-hot cells).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from math import comb

from ._errors import PolyapproxError, SizeError
from ._show import show_int
from ._validate import check_choice, check_int, check_size

CONSTRUCTIONS = ("continuous", "continuous-refined", "discontinuous", "histogram")


def latent_dimension(n: int, d: int, construction: str = "continuous", **params: int) -> int:
    """Latent dimension d' of a Sumformer construction for n tokens of dimension d.

    - "continuous": C(n+d, d) - 1 (power sums P_alpha, 1 <= |alpha| <= n; [A]).
    - "continuous-refined": C(n-1+d, d) - 1 (|alpha| <= n-1; theory/latent).
    - "discontinuous": 1 (integer code of the occupied grid cells; section 6).
    - "histogram": k^d (one-hot cell counts); needs ``k=``.

    Parameters
    ----------
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    construction : str, default 'continuous'
        One of the construction names above.
    **params : int
        ``k`` (cells per axis) for ``"histogram"``.

    Returns
    -------
    int
        The latent dimension d' of the construction.

    Examples
    --------
    >>> latent_dimension(3, 2)
    9
    >>> latent_dimension(3, 2, "continuous-refined")
    5
    >>> latent_dimension(4, 2, "histogram", k=8)
    64
    """
    n = check_int("n", n)
    d = check_int("d", d)
    check_choice("construction", construction, CONSTRUCTIONS)
    allowed = {"k"} if construction == "histogram" else set()
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise PolyapproxError(
            f"unknown parameter(s) {unknown} for construction {construction!r}; allowed: {sorted(allowed) or 'none'}"
        )
    if construction == "continuous":
        return _exact_binomial(n + d, d) - 1
    if construction == "continuous-refined":
        return _exact_binomial(n - 1 + d, d) - 1
    if construction == "discontinuous":
        return 1
    if "k" not in params:
        raise PolyapproxError("construction 'histogram' needs the grid parameter k= (an integer >= 1)")
    return _exact_power(check_int("k", params["k"]), d)


#: Largest result (in decimal digits) the latent dimensions are computed exactly for.
MAX_RESULT_DIGITS = 100_000
#: Most rows of a latent-dimension table (and most values of each of its axes).
MAX_TABLE_ENTRIES = 100_000


def _check_digits(what: str, log10_value: float) -> None:
    """Refuse, before computing it, an exact integer of more than MAX_RESULT_DIGITS digits."""
    if log10_value > MAX_RESULT_DIGITS:
        raise SizeError(
            f"{what} has about {log10_value:.3g} decimal digits, more than the limit of "
            f"{MAX_RESULT_DIGITS:,}; choose smaller parameters"
        )


def _exact_power(k: int, d: int) -> int:
    """k^d, refused before computing when it has more than MAX_RESULT_DIGITS digits."""
    _check_digits(f"k^d with k = {k}, d = {d}", d * math.log10(k) if k > 1 else 0.0)
    return k**d


def _exact_binomial(a: int, b: int) -> int:
    """C(a, b), refused before computing when its size (by log-gamma) exceeds the digit limit."""
    b = min(b, a - b)
    log10 = (math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1)) / math.log(10)
    _check_digits(f"C({a}, {b})", log10)
    return comb(a, b)


@dataclass(frozen=True)
class LatentColumn:
    """One column of the latent-dimension table: a construction or a bound."""

    name: str
    formula: str
    source: str
    kind: str  # "explicit" (polynomial/explicit phi with explicit psi), "existence", "lower bound"
    value: Callable[[int, int], int | None] = field(repr=False, compare=False)


#: The constructions of Alberti et al. (2023): continuous (and its refinement) and discontinuous.
_CONSTRUCTION_COLUMNS = (
    LatentColumn(
        "continuous",
        "C(n+d,d)-1",
        "Alberti et al. 2023 (power sums, |alpha|<=n)",
        "explicit",
        lambda n, d: _exact_binomial(n + d, d) - 1,
    ),
    LatentColumn(
        "continuous-refined",
        "C(n-1+d,d)-1",
        "theory/latent refinement (|alpha|<=n-1)",
        "explicit",
        lambda n, d: _exact_binomial(n - 1 + d, d) - 1,
    ),
    LatentColumn(
        "discontinuous",
        "1",
        "Alberti et al. 2023 (discontinuous phi, integer cell code)",
        "explicit",
        lambda n, d: 1,
    ),
)

#: Lower bounds and the latent dimensions of the literature.
_BOUND_COLUMNS = (
    LatentColumn(
        "multiset-lower-bound",
        "nd",
        "invariance of domain: a continuous injective encoding of n-point multisets needs nd numbers",
        "lower bound",
        lambda n, d: n * d,
    ),
    LatentColumn(
        "sumformer-lower-bound",
        "(n-1)d",
        "exact continuous Sumformer for all continuous equivariant f needs d + d' >= nd (psi also sees x_i)",
        "lower bound",
        lambda n, d: (n - 1) * d,
    ),
    LatentColumn(
        "wagstaff-d1",
        "n (d=1 only)",
        "Wagstaff et al. 2019: d=1 needs exactly n",
        "explicit",
        lambda n, d: n if d == 1 else None,
    ),
    LatentColumn(
        "generic-separation", "nd+1", "Dym & Gortler 2022 (generic separation)", "existence", lambda n, d: n * d + 1
    ),
    LatentColumn(
        "injective-2nd+1",
        "2nd+1",
        "Dym & Gortler 2022; Amir et al. 2023 (analytic non-polynomial)",
        "existence",
        lambda n, d: 2 * n * d + 1,
    ),
    LatentColumn(
        "tabaghi-wang-2nd",
        "2nd",
        "Tabaghi & Wang 2024 (continuous encoder+decoder, identifiable multisets)",
        "existence",
        lambda n, d: 2 * n * d,
    ),
)


def _histogram_column(k: int) -> LatentColumn:
    """The one-hot cell histogram on a grid of k^d cells."""
    return LatentColumn(
        "histogram",
        f"k^d (k={k})",
        "one-hot cell histogram (theory/discontinuous)",
        "explicit",
        lambda n, d: _exact_power(k, d),
    )


def _columns(k: int | None) -> list[LatentColumn]:
    """The table's columns: the constructions, the histogram when k is given, then the bounds."""
    return [*_CONSTRUCTION_COLUMNS, *([] if k is None else [_histogram_column(k)]), *_BOUND_COLUMNS]


@dataclass(frozen=True)
class LatentDimensionTable:
    """Latent dimensions of all constructions and literature bounds, one row per (n, d).

    Parameters
    ----------
    columns : tuple of LatentColumn
        The columns: name, formula, source, and whether the number comes with a construction.
    rows : tuple of dict
        One dict per (n, d), keyed by ``n``, ``d`` and the column names (None where a column does
        not apply, e.g. Wagstaff's bound for d >= 2).

    Examples
    --------
    >>> from polyapprox import latent_dimension_table
    >>> table = latent_dimension_table([2], [1])
    >>> table.column("continuous"), table.rows[0]["n"]
    ([2], 2)
    """

    columns: tuple[LatentColumn, ...]
    rows: tuple[dict[str, int | None], ...]

    def column(self, name: str) -> list[int | None]:
        """The values of one column, in row order."""
        check_choice("column", name, [c.name for c in self.columns])
        return [row[name] for row in self.rows]

    def to_markdown(self) -> str:
        """A Markdown table, with a legend saying where each column comes from."""
        names = [c.name for c in self.columns]
        lines = ["| n | d | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
        for row in self.rows:
            cells = [
                "-" if (value := row[c]) is None else show_int(value) for c in names
            ]  # huge: 1.23e+8032 (8033 digits)
            lines.append(f"| {row['n']} | {row['d']} | " + " | ".join(cells) + " |")
        lines.append("")
        lines += [f"- **{c.name}** = {c.formula}: {c.source} [{c.kind}]" for c in self.columns]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-able form: column metadata and rows."""
        return {
            "columns": [
                {"name": c.name, "formula": c.formula, "source": c.source, "kind": c.kind} for c in self.columns
            ],
            "rows": [dict(row) for row in self.rows],
        }


def latent_dimension_table(ns: Iterable[int], ds: Iterable[int], k: int | None = None) -> LatentDimensionTable:
    """Side-by-side latent dimensions for every n in ``ns`` and d in ``ds``.

    Columns: the constructions of :func:`latent_dimension` (histogram only when ``k``
    is given) and the literature's numbers: the lower bounds nd (injective multiset
    encodings) and (n-1)d (exact Sumformers, since d + d' >= nd), Wagstaff et al.'s
    exact n for d = 1, nd+1 (generic separation), 2nd+1 (injective continuous sum
    embedding) and 2nd (Tabaghi & Wang). Each column says whether its number comes
    with an explicit construction or only an existence proof.

    Parameters
    ----------
    ns : iterable of int
        Sequence lengths n.
    ds : iterable of int
        Token dimensions d.
    k : int or None, default None
        Cells per axis for the histogram column (omitted when None).

    Returns
    -------
    LatentDimensionTable
        One row per (n, d), ns outer and ds inner.

    Examples
    --------
    >>> t = latent_dimension_table([2, 3, 10], [2, 3, 10])
    >>> [(r["n"], r["d"], r["continuous"], r["injective-2nd+1"]) for r in t.rows if r["n"] == r["d"]]
    [(2, 2, 5, 9), (3, 3, 19, 19), (10, 10, 184755, 201)]
    """
    ns = [check_int("n", n) for n in _as_list("ns", ns)]
    ds = [check_int("d", d) for d in _as_list("ds", ds)]
    if k is not None:
        k = check_int("k", k)
    check_size("latent_dimension_table", len(ns) * len(ds), limit=MAX_TABLE_ENTRIES)
    columns = tuple(_columns(k))
    rows = tuple({"n": n, "d": d, **{c.name: c.value(n, d) for c in columns}} for n in ns for d in ds)
    return LatentDimensionTable(columns, rows)


def _as_list(name: str, values: Iterable[int]) -> list:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise PolyapproxError(f"{name} must be a list of integers; got {values!r}")
    import itertools

    values = list(itertools.islice(values, MAX_TABLE_ENTRIES + 1))  # a huge range or generator is never listed
    if not values:
        raise PolyapproxError(f"{name} must not be empty")
    if len(values) > MAX_TABLE_ENTRIES:
        raise SizeError(f"{name} has more than {MAX_TABLE_ENTRIES:,} values, the limit of a latent-dimension table")
    return values
