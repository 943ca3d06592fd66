"""Report files are written with the package's one safe writer (atomic, never through a symbolic link)."""

from __future__ import annotations

from pathlib import Path

from ...internal import write_file


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with :func:`polyapprox.internal.write_file` (atomic; links refused)."""
    write_file(path, data, "report file")
