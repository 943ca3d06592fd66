"""Options and checks shared by subcommands: targets, memory budget, JSON inputs, big integers."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ...internal import PolyapproxError, SizeError, check_writable, show_int
from ...internal import digit_count as digit_count  # re-exported: the subcommands and tests import it from here

TARGET_HELP = (
    "a registered target (see 'polyapprox targets'), a target expression such as "
    '"sum_j(exp(-norm2(x_i - x_j)))", or module:function / file.py:function '
    "(imports and RUNS your Python code)"
)
_UNITS = {
    "": 1,
    "b": 1,
    "k": 2**10,
    "kb": 2**10,
    "m": 2**20,
    "mb": 2**20,
    "g": 2**30,
    "gb": 2**30,
    "t": 2**40,
    "tb": 2**40,
}
#: A fit or build estimated to take longer than this prints its estimate on stderr and draws a bar.
NOTICE_SECONDS = 3.0


def defer(parser: argparse.ArgumentParser, complete: Callable[[], None]) -> None:
    """Run ``complete()`` (which adds options or subcommands to ``parser``) only when ``parser`` is used:
    when its command is chosen on the command line, or when ``build_parser()`` builds every parser."""
    parser.__dict__.setdefault("_deferred", []).append(complete)


def complete_deferred(parser: argparse.ArgumentParser) -> None:
    """Run the deferred completions of ``parser`` (once)."""
    deferred = parser.__dict__.pop("_deferred", [])
    for complete in deferred:
        complete()


def add_target(p: argparse.ArgumentParser, *, required: bool = True, extra: str = "") -> None:
    p.add_argument("--target", required=required, metavar="TARGET", help=TARGET_HELP + extra)


def resolve_target(spec: str):
    """The Target for a --target value (module:function imports the user's code, as documented)."""
    from constructions import targets

    return targets.resolve(spec, allow_import=True)


def target_label(target) -> str:
    return str(getattr(target, "name", target))


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the complete result (inputs included) as JSON")


def machine_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 2**30


def default_max_memory() -> int:
    """Half of the machine's memory."""
    return machine_memory() // 2


def parse_bytes(text: str) -> int:
    """'512M', '2G', '1.5GB', '1000000' -> bytes."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(text))
    if not match or match.group(2).lower() not in _UNITS:
        raise argparse.ArgumentTypeError(f"expected a size such as 512M or 2G; got {text!r}")
    value = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if not 0 < value < 2**60:
        raise argparse.ArgumentTypeError(f"size must be positive; got {text!r}")
    return int(value)


def add_max_memory(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-memory",
        type=parse_bytes,
        default=None,
        metavar="SIZE",
        help=f"refuse work estimated to need more memory than SIZE (e.g. 4G; default half of this "
        f"machine's memory, {human_bytes(default_max_memory())})",
    )


def check_memory(estimate: float, args: argparse.Namespace, what: str) -> None:
    """Refuse (SizeError, before computing) when ``estimate`` bytes exceed --max-memory."""
    budget = args.max_memory if getattr(args, "max_memory", None) is not None else default_max_memory()
    if estimate > budget:
        raise SizeError(
            f"{what} needs an estimated {human_bytes(estimate)}, more than the budget of "
            f"{human_bytes(budget)}; reduce the sizes or raise --max-memory"
        )


def human_bytes(value: float) -> str:
    for unit, size in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if value >= size:
            return f"{value / size:.3g} {unit}"
    return f"{value:.0f} B"


def json_int(value: int) -> int | str:
    """An int for JSON: itself when it prints (<= 4000 digits), else its show_int text."""
    return int(value) if abs(int(value)).bit_length() < 13_000 else show_int(value)


def inputs(args: argparse.Namespace) -> dict[str, Any]:
    """The user's inputs, for --json output (everything parsed except internals)."""
    hidden = {"run", "json", "network_kind", "_applies_only"}
    return {k: v for k, v in vars(args).items() if k not in hidden and not callable(v)}


class _Default:
    """Wraps an option's default so that a given value can be told from the default (see applies_only)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:  # --help shows the plain default
        return repr(self.value)

    def __str__(self) -> str:
        return str(self.value)


def applies_only(
    p: argparse.ArgumentParser, option: str, when: Callable[[argparse.Namespace], bool], needs: str
) -> None:
    """Declare that ``option`` applies only when ``when(args)`` holds (``needs`` says when, e.g. "with
    --certify"); giving it otherwise is a one-line error (exit 2), checked in one place by
    :func:`check_applies_only` before the command runs."""
    action = next(a for a in p._actions if option in a.option_strings)
    action.default = _Default(action.default)
    table = list(p.get_default("_applies_only") or [])
    table.append((option, action.dest, when, needs))
    p.set_defaults(_applies_only=table)


def check_applies_only(args: argparse.Namespace) -> None:
    """Put back the defaults of options not given, then refuse every given option that does not apply."""
    table = getattr(args, "_applies_only", None) or []
    given = []
    for option, dest, when, needs in table:
        value = getattr(args, dest, None)
        if isinstance(value, _Default):
            setattr(args, dest, value.value)
        else:
            given.append((option, when, needs))
    problems = [f"{option} applies only {needs}" for option, when, needs in given if not when(args)]
    if problems:
        raise PolyapproxError("; ".join(problems))


def check_applies(args: argparse.Namespace, option: str, dest: str, condition: bool, reason: str) -> None:
    """Refuse an option that was given but does not apply (its default is None)."""
    if getattr(args, dest, None) is not None and not condition:
        raise PolyapproxError(f"{option} does not apply {reason}")


def add_executor(p: argparse.ArgumentParser, what: str = "sweeps") -> None:
    """--jobs and --scheduler, one definition for every command whose work is a sweep (reproduce, sweep, train)."""
    p.add_argument("--jobs", type=int, default=1, help=f"local worker processes for the {what} (default 1)")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS|local-dask",
        help=f"run the {what} on a Dask cluster (needs the 'distributed' extra)",
    )


@contextmanager
def long_integers() -> Iterator[None]:
    """Lift Python's 4,300-digit limit of int-to-text conversion while printing exact results (their sizes
    are bounded by the inputs' own limits); parsing keeps the limit."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(limit)


def add_progress(p: argparse.ArgumentParser) -> None:
    """The --no-progress option (one definition for every command that reports progress on stderr)."""
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="nothing on stderr while it runs: no time estimate line, no progress bar or progress lines",
    )


def human_seconds(seconds: float) -> str:
    """'0.8 s', '40 s', '3.5 min', '2.1 h'."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


@contextmanager
def progress_bar(
    args: argparse.Namespace, seconds: float, memory: float, what: str, bar: bool = True
) -> Iterator[Callable[[int, int], None] | None]:
    """When ``seconds`` (estimated) exceeds NOTICE_SECONDS and --no-progress is not given: print one line
    with the time and memory estimate on stderr and (``bar``) yield a ``progress(done, total)`` callback
    that draws a bar on stderr; otherwise yield None. stdout is never written (--json output stays pure)."""
    if getattr(args, "no_progress", False) or seconds <= NOTICE_SECONDS:
        yield None
        return
    from tqdm.auto import tqdm

    command = " ".join(str(v) for v in (args.command, getattr(args, "kind", None)) if v)
    print(
        f"polyapprox {command}: estimated {human_seconds(seconds)}, {human_bytes(memory)} for {what} "
        "(--no-progress hides this and the bar)",
        file=sys.stderr,
        flush=True,
    )
    if not bar:
        yield None
        return
    meter = tqdm(total=100, file=sys.stderr, unit="%", bar_format="{l_bar}{bar}| {elapsed}<{remaining}", leave=False)

    def progress(done: int, total: int) -> None:
        percent = 100 * done // total if total > 0 else 100
        if percent > meter.n:
            meter.update(percent - meter.n)

    try:
        yield progress
    finally:
        meter.close()


def check_output(path: str | None, option: str = "--save") -> None:
    """Refuse a model-file path that cannot be written (a ``.json`` name: model files are safetensors;
    a symlink, a directory, a FIFO, a missing or read-only folder), before any work is done (one-line error)."""
    if path is None:
        return
    root, suffix = os.path.splitext(path)
    if suffix.lower() == ".json":  # constructions.save refuses it too; here before any work is done
        raise PolyapproxError(
            f"{option} {path!r}: model files are safetensors, not JSON; name it {os.path.basename(root)}.safetensors"
        )
    check_writable(path, f"{option} file")
