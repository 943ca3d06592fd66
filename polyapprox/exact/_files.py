"""Safe file writing, shared by every writer (CLI, report, model files, training outputs).

One rule for every file polyapprox writes: never through a symbolic link (at the final path or
at the temporary path, dangling links included), only into regular files (FIFOs, devices and
directories are refused before anything is opened, so nothing blocks), atomically (a temporary
file beside the target, then a rename) and with the permissions a new file gets from the user's
umask (``0o666 & ~umask``), as ``open(path, "w")`` would.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from typing import IO

from ._errors import PolyapproxError

#: Permission bits asked for when creating a file; the process umask is applied by the kernel.
FILE_MODE = 0o666
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _existing(path: str, what: str) -> os.stat_result | None:
    """lstat ``path``; refuse a symlink or anything but a regular file; None when it does not exist."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PolyapproxError(f"cannot write {what} {path!r}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise PolyapproxError(f"refusing to write {what} {path!r}: it is a symbolic link (give the real path)")
    if stat.S_ISDIR(info.st_mode):
        raise PolyapproxError(f"cannot write {what} {path!r}: it is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise PolyapproxError(f"refusing to write {what} {path!r}: it is not a regular file (a FIFO, socket or device)")
    return info


def _folder(path: str, what: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise PolyapproxError(f"cannot write {what} {path!r}: the directory {folder!r} does not exist")
    return folder


def check_writable(path: str | os.PathLike, what: str = "file") -> None:
    """Refuse, before any work, a path :func:`write_file` would refuse (symlink, non-regular file, no folder).

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> check_writable(os.path.join(folder, "new.txt"))
    >>> os.symlink("elsewhere", os.path.join(folder, "link"))
    >>> check_writable(os.path.join(folder, "link"))
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: refusing to write file '...link': it is a symbolic link (give the real path)
    """
    path = os.fspath(path)
    _existing(path, what)
    folder = _folder(path, what)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PolyapproxError(f"cannot write {what} {path!r}: the directory {folder!r} is not writable")


def write_file(path: str | os.PathLike, data: bytes | str, what: str = "file") -> None:
    """Write ``data`` (str is UTF-8 encoded) to ``path`` atomically, never through a symbolic link.

    A temporary file is created beside ``path`` with ``O_CREAT | O_EXCL | O_NOFOLLOW`` (so a link
    or file planted at the temporary name is never followed or reused), written, flushed to disk
    and renamed over ``path``. An existing symlink, directory, FIFO or device at ``path`` is
    refused. The new file has mode ``0o666 & ~umask``.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> write_file(path, "hello\\n")
    >>> open(path).read()
    'hello\\n'
    """
    path = os.fspath(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    _existing(path, what)
    folder = _folder(path, what)
    name = os.path.basename(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temporary = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(temporary, flags, FILE_MODE)
            break
        except FileExistsError:  # a file or link already there: never reused, try another name
            continue
        except OSError as exc:
            raise PolyapproxError(f"cannot write {what} {path!r}: {exc.strerror}") from None
    else:  # pragma: no cover - 100 random collisions
        raise PolyapproxError(f"cannot write {what} {path!r}: no free temporary name in {folder!r}")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        _existing(path, what)  # still not a link (checked again just before the rename)
        os.replace(temporary, path)  # replaces the directory entry; never follows a link at path
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise PolyapproxError(f"cannot write {what} {path!r}: {exc.strerror or exc}") from None
        raise


def open_append(path: str | os.PathLike, what: str = "file") -> IO[str]:
    """Open a regular file for appending text (created with mode ``0o666 & ~umask`` if missing).

    Symbolic links (dangling ones included) and non-regular files are refused without blocking
    (a FIFO is never opened for writing).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "log.jsonl")
    >>> with open_append(path) as fh:
    ...     _ = fh.write("a\\n")
    >>> open(path).read()
    'a\\n'
    """
    path = os.fspath(path)
    _existing(path, what)
    _folder(path, what)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, FILE_MODE)
    except OSError as exc:
        raise PolyapproxError(f"cannot write {what} {path!r}: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise PolyapproxError(f"refusing to write {what} {path!r}: it is not a regular file")
    if _NONBLOCK:
        os.set_blocking(fd, True)
    return os.fdopen(fd, "a", encoding="utf-8")


def read_file(path: str | os.PathLike, max_bytes: int, what: str = "file") -> bytes | None:
    """The bytes of a regular file of at most ``max_bytes``; None if it does not exist.

    Symbolic links and non-regular files (FIFOs, devices: they could block) are refused.

    >>> import os, tempfile
    >>> read_file(os.path.join(tempfile.mkdtemp(), "missing"), 100) is None
    True
    """
    path = os.fspath(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PolyapproxError(f"cannot read {what} {path!r}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise PolyapproxError(f"refusing to read {what} {path!r}: it is a symbolic link (give the real path)")
    if not stat.S_ISREG(info.st_mode):
        raise PolyapproxError(f"refusing to read {what} {path!r}: it is not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError as exc:
        raise PolyapproxError(f"cannot read {what} {path!r}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise PolyapproxError(f"{what} {path!r} has {size:,} bytes, more than the limit of {max_bytes:,}")
        data = handle.read(size + 1)  # read(k) allocates k bytes at once: never ask for max_bytes
        if len(data) > max_bytes:
            raise PolyapproxError(f"{what} {path!r} grew past the limit of {max_bytes:,} bytes while being read")
        return data


def prepare_directory(path: str | os.PathLike, what: str = "output directory") -> str:
    """Create the directory ``path`` (and parents) or refuse it: empty, a symlink, a file, not writable.

    >>> import os, tempfile
    >>> folder = os.path.join(tempfile.mkdtemp(), "a", "b")
    >>> prepare_directory(folder) == folder
    True
    """
    path = os.fspath(path)
    if not path.strip():
        raise PolyapproxError(f"the {what} must be a non-empty path")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise PolyapproxError(f"cannot use {what} {path!r}: {exc.strerror}") from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise PolyapproxError(f"refusing {what} {path!r}: it is a symbolic link (give the real path)")
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise PolyapproxError(f"{what} {path!r} exists and is not a directory")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise PolyapproxError(f"cannot create {what} {path!r}: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise PolyapproxError(f"{what} {path!r} is not writable")
    return path
