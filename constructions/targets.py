"""Named equivariant benchmark functions (the benchmark targets of Alberti et al. 2023 and theory/continuous).

Each :class:`Target` is a vectorised map (n, d) or (b, n, d) -> (.., n, d_out) on the
domain [0, 1]^{n x d}, with its Lipschitz constant from (max-norm) to (max-norm)
where known, so that error bounds omega_f(t) <= L t can be stated.

>>> import numpy as np
>>> from constructions import targets
>>> f = targets.get("centered")
>>> f(np.array([[0.0], [1.0]]))
array([[-0.5],
       [ 0.5]])
>>> sorted(targets.names())[:3]
['centered', 'gaussian-kernel-sum', 'max-inner']
"""

from ._targets.expression import ExpressionTarget as ExpressionTarget
from ._targets.expression import from_expression as from_expression
from ._targets.registry import FORMULAS as FORMULAS
from ._targets.registry import REGISTRY as REGISTRY
from ._targets.registry import formula as formula
from ._targets.registry import get as get
from ._targets.registry import names as names
from ._targets.resolve import from_callable as from_callable
from ._targets.resolve import resolve as resolve
from ._targets.target import Target as Target

__all__ = [
    "FORMULAS",
    "REGISTRY",
    "ExpressionTarget",
    "Target",
    "formula",
    "from_callable",
    "from_expression",
    "get",
    "names",
    "resolve",
]
