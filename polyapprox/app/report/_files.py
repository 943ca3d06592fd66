"""Report files are written atomically and never through an existing symbolic link."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ...internal import PolyapproxError


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``.

    A reader never sees a half-written file, and an existing symlink at ``path`` is refused
    (writing through it could overwrite a file outside the report folder).
    """
    if path.is_symlink():
        raise PolyapproxError(f"refusing to write {str(path)!r}: it is a symbolic link")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
