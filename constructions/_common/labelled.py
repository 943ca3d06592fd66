"""Weight arrays whose rows and columns carry (slot, key) labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from polyapprox.internal import PolyapproxError, ShapeError

Label = tuple[str, Any]


class LabelledArray(np.ndarray):
    """A 2-D weight array (an ``np.ndarray``) whose rows and columns carry (slot, key) labels.

    Index with labels ``W[("phi", (1, 0)), ("sum", (1, 0))]`` or with ints/slices like any array;
    arithmetic and numpy functions return plain arrays (labels describe this matrix only).

    Parameters
    ----------
    values : numpy.ndarray
        The 2-D array.
    rows : sequence of (str, object)
        One (slot, key) label per row.
    cols : sequence of (str, object)
        One (slot, key) label per column.

    Examples
    --------
    >>> W = LabelledArray(np.eye(2), [("x", 1), ("x", 2)], [("out", 1), ("out", 2)])
    >>> W[("x", 2), ("out", 2)], W.shape, bool((W == np.eye(2)).all())
    (1.0, (2, 2), True)
    """

    rows: list[Label]
    cols: list[Label]
    _row_index: dict[Label, int]
    _col_index: dict[Label, int]

    def __new__(cls, values: np.ndarray, rows: Sequence[Label], cols: Sequence[Label]) -> LabelledArray:
        array = np.array(values, dtype=float)
        if array.shape != (len(rows), len(cols)):
            raise ShapeError(f"values {array.shape} do not match {len(rows)} row and {len(cols)} column labels")
        obj = array.view(cls)
        obj.rows, obj.cols = list(rows), list(cols)
        obj._row_index = {label: i for i, label in enumerate(obj.rows)}
        obj._col_index = {label: i for i, label in enumerate(obj.cols)}
        return obj

    def __array_finalize__(self, obj) -> None:
        for name in ("rows", "cols", "_row_index", "_col_index"):
            setattr(self, name, getattr(obj, name, None))

    def __array_wrap__(self, array, context=None, return_scalar=False):
        array = np.asarray(array)
        return array[()] if return_scalar else array

    def __reduce__(self):
        return (LabelledArray, (np.asarray(self), self.rows, self.cols))

    @property
    def values(self) -> np.ndarray:
        """The plain array.

        Shapes: (rows, cols).
        """
        return np.asarray(self)

    @property
    def T(self) -> np.ndarray:
        """The plain transposed array.

        Shapes: (cols, rows).
        """
        return np.asarray(self).T

    @staticmethod
    def _position(key: Any, index: dict) -> Any:
        if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str):
            if key not in index:
                raise PolyapproxError(f"no weight label {key!r}; labels are e.g. {list(index)[:4]}")
            return index[key]
        return key

    def __getitem__(self, key: Any) -> Any:
        plain = np.asarray(self)
        if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str):
            value = plain[self._position(key, self._row_index)]
        elif isinstance(key, tuple) and len(key) == 2:
            value = plain[self._position(key[0], self._row_index), self._position(key[1], self._col_index)]
        else:
            value = plain[key]
        return float(value) if np.ndim(value) == 0 else value

    def __repr__(self) -> str:
        return f"LabelledArray(shape={self.shape}, rows={self.rows[:3]}..., cols={self.cols[:3]}...)"


def assert_weights_equal(a: LabelledArray, b: LabelledArray, atol: float = 0.0) -> None:
    """Assert that two labelled weights are equal: labels first, then values.

    Parameters
    ----------
    a : LabelledArray
        First weight.
    b : LabelledArray
        Second weight.
    atol : float, default 0.0
        Absolute tolerance of the values.

    Raises
    ------
    AssertionError
        When the labels differ or the values differ by more than ``atol``.

    Examples
    --------
    >>> import numpy as np
    >>> W = LabelledArray(np.eye(2), [("x", 1), ("x", 2)], [("out", 1), ("out", 2)])
    >>> assert_weights_equal(W, W)
    >>> V = LabelledArray(np.eye(2), [("x", 2), ("x", 1)], [("out", 1), ("out", 2)])
    >>> try:
    ...     assert_weights_equal(W, V)
    ... except AssertionError:
    ...     print("labels differ")
    labels differ
    """
    if a.rows != b.rows or a.cols != b.cols:
        raise AssertionError(
            f"labels differ: rows {a.rows[:3]}.. vs {b.rows[:3]}.., cols {a.cols[:3]}.. vs {b.cols[:3]}.."
        )
    np.testing.assert_allclose(a.values, b.values, atol=atol, rtol=0)
