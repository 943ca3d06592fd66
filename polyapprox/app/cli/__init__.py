"""The ``polyapprox`` command line (also ``python -m polyapprox``).

One module per subcommand in this package; each has ``register(subparsers)``,
which adds its parser and sets ``run=`` to a function ``args -> exit code``.
User mistakes (any ``PolyapproxError``) print one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Sequence

from ...internal import PolyapproxError

#: Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES = [
    "latent_dim",
    "represent",
    "build",
    "verify",
    "targets",
    "sparse",
    "train",
    "reproduce",
    "sweep",
]


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr (exit code 2), like every other error;
    subcommand parsers inherit it."""

    def error(self, message: str):  # type: ignore[override]  # argparse's error() never returns
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = OneLineErrorParser(
        prog="polyapprox",
        description="Proof companion for universal approximation by efficient Transformers.",
    )
    from ... import __version__

    parser.add_argument(
        "--version", action="version", version=f"polyapprox {__version__}", help="print the version and exit"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def _tolerate_undecodable_paths() -> None:
    """A file name that is not valid UTF-8 reaches Python as lone surrogates (PEP 383); writing it back to a
    strict UTF-8 stdout would raise UnicodeEncodeError. Write such names back as their original bytes."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", None) == "strict":
            with contextlib.suppress(ValueError, OSError):  # a stream that cannot change keeps its errors
                reconfigure(errors="surrogateescape")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 a claim/check failed, 2 bad input)."""
    _tolerate_undecodable_paths()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from ._common import check_applies_only

        check_applies_only(args)
        return int(args.run(args) or 0)
    except PolyapproxError as exc:
        print(f"polyapprox {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        return 0
    except MemoryError:  # a last resort: sizes are checked before work; an estimate that fell short ends here
        print(
            f"polyapprox {args.command}: error: out of memory (the sizes given need more memory than this "
            "machine has; reduce them)",
            file=sys.stderr,
        )
        return 2
    except OSError as exc:  # a file the user named cannot be read or written
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        print(f"polyapprox {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
