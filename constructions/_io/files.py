"""Reading and writing model files: size-capped regular-file reads, atomic writes, strict JSON."""

from __future__ import annotations

import json
import os
import stat
from typing import Any

from polyapprox.internal import ModelFileError, SizeError, write_file

MAX_BYTES = 256 * 2**20  # default cap on a model file's size (raise with max_bytes=)


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` atomically with the package's one safe writer (symlinks and non-regular files refused)."""
    write_file(path, data, "model file")


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
        # read(k) allocates k bytes at once: ask for the file's size (+1 to see growth), never max_bytes
        data = handle.read(min(max_bytes, info.st_size) + 1)
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
