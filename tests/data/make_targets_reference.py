"""Regenerate ``targets_reference.npz``: the registered targets' numpy values, frozen.

The table was computed ONCE from the implementation of the targets before they were rewritten
over the shared evaluator (commit 8b06950); re-running this script against later code would only
test the code against itself, so the file is committed and this script is kept to say how the
inputs were drawn (it imports that commit's module paths: run it in a checkout of 8b06950). Keys: ``"{name}|n|d|kind"`` with kind ``unit`` (uniform [0, 1]) or ``wide``
(uniform [-2, 3]); the input is stored under ``X|n|d|kind``. Interval enclosures of the
same targets on the boxes [X, X + W] (W stored under ``W|n|d|kind``) are stored under
``{name}|n|d|kind|lo`` and ``|hi``.
"""

from pathlib import Path

import numpy as np

from constructions import targets


def inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20261205)
    out = {}
    for n in (1, 2, 3, 5):
        for d in (1, 2, 3, 4):
            out[f"X|{n}|{d}|unit"] = rng.uniform(0, 1, size=(6, n, d))
            out[f"X|{n}|{d}|wide"] = rng.uniform(-2, 3, size=(6, n, d))
            out[f"W|{n}|{d}|unit"] = rng.uniform(0, 0.1, size=(6, n, d))
            out[f"W|{n}|{d}|wide"] = rng.uniform(0, 0.5, size=(6, n, d))
    return out


def main() -> None:
    from constructions._interval import Interval

    table = inputs()
    for key in [k for k in table if k.startswith("X|")]:
        _, n, d, kind = key.split("|")
        for name in targets.names():
            t = targets.get(name)
            if t.dims is not None and int(d) not in t.dims:
                continue
            table[f"{name}|{n}|{d}|{kind}"] = t(table[key])
            X = table[key]
            box = t.interval(Interval(X, X + table[f"W|{n}|{d}|{kind}"]))
            table[f"{name}|{n}|{d}|{kind}|lo"], table[f"{name}|{n}|{d}|{kind}|hi"] = box.lo, box.hi
    np.savez_compressed(Path(__file__).with_name("targets_reference.npz"), **table)


if __name__ == "__main__":
    main()
