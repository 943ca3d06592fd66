"""Shared argument checks for the layers built on the exact core (no stability promise).

The numeric layer (``constructions``) and the app (CLI, report) import the exact core only
through its public API (``polyapprox``) and this module. It re-exports the argument checks
that both layers apply in the same words, so every layer refuses bad input alike. Names here
may change between releases; user code should import from ``polyapprox`` instead.

>>> from polyapprox.internal import check_int
>>> check_int("n", 3)
3
"""

from .exact._certificate import representation_data as representation_data
from .exact._certificate import write_json as write_certificate_json
from .exact._errors import DomainError as DomainError
from .exact._errors import ModelFileError as ModelFileError
from .exact._errors import NotSmoothError as NotSmoothError
from .exact._errors import PolyapproxError as PolyapproxError
from .exact._errors import ShapeError as ShapeError
from .exact._errors import SizeError as SizeError
from .exact._errors import TimeLimitExpired as TimeLimitExpired
from .exact._errors import UnknownNameError as UnknownNameError
from .exact._files import check_writable as check_writable
from .exact._files import open_append as open_append
from .exact._files import prepare_directory as prepare_directory
from .exact._files import read_file as read_file
from .exact._files import write_file as write_file
from .exact._parse import syntax_name as syntax_name
from .exact._show import digit_count as digit_count
from .exact._show import show_int as show_int
from .exact._symbols import MAX_TOKEN_VARIABLES as MAX_TOKEN_VARIABLES
from .exact._validate import MAX_ITEMS as MAX_ITEMS
from .exact._validate import check_choice as check_choice
from .exact._validate import check_int as check_int
from .exact._validate import check_nonnegative as check_nonnegative
from .exact._validate import check_seed as check_seed
from .exact._validate import check_size as check_size

__all__ = [
    "MAX_ITEMS",
    "MAX_TOKEN_VARIABLES",
    "DomainError",
    "ModelFileError",
    "NotSmoothError",
    "PolyapproxError",
    "ShapeError",
    "SizeError",
    "TimeLimitExpired",
    "UnknownNameError",
    "check_choice",
    "check_int",
    "check_nonnegative",
    "check_seed",
    "check_size",
    "check_writable",
    "digit_count",
    "open_append",
    "prepare_directory",
    "read_file",
    "representation_data",
    "show_int",
    "syntax_name",
    "write_certificate_json",
    "write_file",
]
