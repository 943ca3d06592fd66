"""The copying task with sparse attention masks (the CPU analogue of Yun et al. 2020's first experiment).

Task: a sequence of n tokens (n even, m = n/2): the first half holds symbols drawn uniformly
from {1..vocab}, the second half the blank symbol 0; the network must output, at every
position i >= m, the symbol at position i - m (a copy over distance m). Accuracy is over the
second-half positions. The model is a small pre-LayerNorm Transformer encoder (token embedding
plus fixed sinusoidal positions, ``layers`` blocks of masked multi-head softmax attention and a
GELU MLP) whose block t uses mask t of the pattern's cycle (masks ``mask[query, key]`` from
:mod:`constructions.sparse.patterns`).

Patterns (w = the largest divisor of n with w <= ceil(sqrt(n)), the block/stride width):
``dense``; ``star`` (relay token n-1); ``strided`` (window w, then stride w: p = 2);
``fixed`` (own block of w, then the block summaries: p = 2); ``sliding_window`` (the window w
of STRIDED alone); ``random`` (every query attends to itself and w other keys drawn uniformly,
a new seeded draw per layer); ``union`` (STRIDED's two masks united in every layer, the UNION
configuration). With a window of half-width h = floor(w/2), ``layers`` blocks move information
at most ``layers * h`` positions, so ``sliding_window`` can copy only while m <= layers * h.
Every pattern but dense and STAR has a sparsity level (``LEVELS``, checked by ``check_level``):
the stride of STRIDED and UNION, FIXED's block width, the window's width, RANDOM's other keys.
"""

from ._config import CopyingConfig as CopyingConfig
from ._copying import LEVELS as LEVELS
from ._copying import PATTERNS as PATTERNS
from ._copying import CopyHistory as CopyHistory
from ._copying import SparseCopyTransformer as SparseCopyTransformer
from ._copying import assumption_table as assumption_table
from ._copying import check_level as check_level
from ._copying import copy_batch as copy_batch
from ._copying import copy_masks as copy_masks
from ._copying import level_range as level_range
from ._copying import random_mask as random_mask
from ._copying import sinusoidal_positions as sinusoidal_positions
from ._copying import train_copying as train_copying

__all__ = [
    "LEVELS",
    "PATTERNS",
    "CopyHistory",
    "CopyingConfig",
    "SparseCopyTransformer",
    "assumption_table",
    "check_level",
    "copy_batch",
    "copy_masks",
    "level_range",
    "random_mask",
    "sinusoidal_positions",
    "train_copying",
]
