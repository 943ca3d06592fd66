"""Sparse attention patterns of theory/sparse (Yun et al. 2020), as cycles of masks.

Every function returns a list of boolean (n, n) numpy arrays, one per layer of the cycle
(p = len(list)); ``mask[query, key]`` is True where the query token attends to the key
token. Indices are 0-based; windows are bidirectional and truncated at the sequence ends.

>>> [m.sum() for m in strided(16, 4)]        # theory/sparse table: 74, 64
[np.int64(74), np.int64(64)]
"""

from ._patterns import NAMES as NAMES
from ._patterns import bigbird as bigbird
from ._patterns import by_name as by_name
from ._patterns import dense as dense
from ._patterns import fixed as fixed
from ._patterns import from_adjacency as from_adjacency
from ._patterns import from_masks as from_masks
from ._patterns import longformer as longformer
from ._patterns import sliding_window as sliding_window
from ._patterns import star as star
from ._patterns import strided as strided
from ._patterns import tridiagonal as tridiagonal

__all__ = [
    "NAMES",
    "bigbird",
    "by_name",
    "dense",
    "fixed",
    "from_adjacency",
    "from_masks",
    "longformer",
    "sliding_window",
    "star",
    "strided",
    "tridiagonal",
]
