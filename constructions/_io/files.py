"""Reading and writing model files: size-capped regular-file reads, atomic writes, strict JSON."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from typing import Any

from polyapprox.internal import PolyapproxError, SizeError

MAX_BYTES = 256 * 2**20  # default cap on a model file's size (raise with max_bytes=)


class ModelFileError(PolyapproxError):
    """A model file is unreadable, corrupted, tampered with or inconsistent."""


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path`` (one-line errors)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise PolyapproxError(f"cannot write {path!r}: it is a directory")
    if not os.path.isdir(folder):
        raise PolyapproxError(f"cannot write {path!r}: the directory {folder!r} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".polyapprox-", suffix=".tmp")
    except OSError as exc:
        raise PolyapproxError(f"cannot write {path!r}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        os.unlink(tmp) if os.path.exists(tmp) else None
        raise PolyapproxError(f"cannot write {path!r}: {exc.strerror}") from None


def read_bytes(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (symlinks, FIFOs and devices refused)."""
    path = os.fspath(path)
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise ModelFileError(f"cannot read {path!r}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise ModelFileError(
            f"{path!r} is a symbolic link; model files are read only as regular files (pass the real path)"
        )
    if not stat.S_ISREG(info.st_mode):
        raise ModelFileError(f"{path!r} is not a regular file (a directory, FIFO, socket or device)")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ModelFileError(f"cannot read {path!r}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ModelFileError(f"{path!r} is not a regular file")
        if info.st_size > max_bytes:
            raise SizeError(
                f"{path!r} has {info.st_size:,} bytes, more than the limit of {max_bytes:,} "
                "(raise it with max_bytes= / --max-bytes)"
            )
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SizeError(f"{path!r} has more than {max_bytes:,} bytes (raise the limit with max_bytes= / --max-bytes)")
    return data


def _json(text: bytes | str, path: str, what: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(f"{path!r} is corrupted: {what} is invalid JSON or not UTF-8 ({str(exc)[:80]})") from None
    except RecursionError:
        raise ModelFileError(f"{path!r} is corrupted: {what} is nested too deeply") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")
