"""Implementation of the real-text corpus of :mod:`constructions.training.text` (private; import from there).

The corpus is the English documentation that ships with Python itself, ``pydoc_data.topics.topics``
(the text of ``help("TOPIC")``, 79 topics, about 465,000 characters in Python 3.11): nothing is
downloaded. Its text changes between Python releases (3.11.2 and 3.11.7 differ by about 1,000
characters), so the loader compares a SHA-256 digest of the concatenated text with the digest
recorded for the running Python version and refuses anything else: a run never trains on silently
different data. The digests below were computed from the files of CPython 3.11.2 (Debian) and
3.11.7 (pyenv) on this project's machine.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from polyapprox.internal import PolyapproxError

#: SHA-256 of the UTF-8 text "".join(topics[k] for k in sorted(topics)), by (major, minor, micro)
CORPUS_DIGESTS: dict[tuple[int, int, int], str] = {
    (3, 11, 2): "cec54c2700dcedd6196a9a5ea13103824975d5029b93f7e09c805e9ae1838772",
    (3, 11, 7): "37d06970fc926e60c16dff401e441b84752446a36b6b64516c229fdec77e992c",
}

#: The fixed vocabulary: symbol 0 for every character outside it, then newline and printable ASCII
#: (space to tilde). 97 symbols; the 3.11 corpus maps 9 kinds of characters (curly quotes, dashes,
#: the ellipsis...: 575 of 465,000 characters) to symbol 0.
ALPHABET = "\n" + "".join(chr(c) for c in range(32, 127))
VOCAB_SIZE = len(ALPHABET) + 1
_INDEX = {ch: i + 1 for i, ch in enumerate(ALPHABET)}

#: Default shares of the validation and test blocks (the last 10% of the text, contiguous).
VALIDATION_SHARE = 0.05
TEST_SHARE = 0.05


def _version_name(version: tuple[int, int, int]) -> str:
    return ".".join(str(v) for v in version)


def corpus_digest(text: str) -> str:
    """SHA-256 (hex) of ``text`` encoded as UTF-8: what :func:`load_corpus` checks.

    Parameters
    ----------
    text : str
        The text.

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> corpus_digest("abc")[:16]
    'ba7816bf8f01cfea'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def encode(text: str) -> np.ndarray:
    """Map characters to the fixed vocabulary: newline 1, space 2 ... tilde 96, anything else 0.

    Shapes: -> (len(text),) uint8.

    Parameters
    ----------
    text : str
        The text.

    Returns
    -------
    numpy.ndarray
        One symbol per character.

    Examples
    --------
    >>> encode("a b\\n\\u2019").tolist()
    [67, 2, 68, 1, 0]
    """
    return np.fromiter((_INDEX.get(ch, 0) for ch in text), dtype=np.uint8, count=len(text))


@dataclass(frozen=True)
class TextCorpus:
    """The checked corpus: its text, the symbols of the fixed vocabulary, and where it came from.

    Parameters
    ----------
    text : str
        The topics concatenated in sorted key order.
    symbols : numpy.ndarray
        ``encode(text)``, (len(text),) uint8.
    digest : str
        SHA-256 of the text (equal to the recorded one).
    python : str
        The Python version whose ``pydoc_data`` it is, e.g. ``"3.11.7"``.

    Examples
    --------
    >>> corpus = load_corpus({"b": "yz", "a": "x"}, expected=corpus_digest("xyz"))
    >>> corpus.text, corpus.symbols.tolist()
    ('xyz', [90, 91, 92])
    """

    text: str
    symbols: np.ndarray
    digest: str
    python: str

    def split(self, validation: float = VALIDATION_SHARE, test: float = TEST_SHARE) -> dict[str, np.ndarray]:
        """Contiguous train / validation / test blocks of the symbols (in that order, no overlap).

        Shapes: symbols (N,) -> blocks (N_train,), (N_validation,), (N_test,) with the three summing to N.

        Parameters
        ----------
        validation, test : float, default 0.05
            Shares of the text in the validation and test blocks, each in (0, 0.5); the training
            block keeps the rest (the first ``1 - validation - test`` of the text).

        Returns
        -------
        dict
            ``{"train": ..., "validation": ..., "test": ...}``, views of :attr:`symbols`.

        Examples
        --------
        >>> corpus = load_corpus({"a": "0123456789" * 2}, expected=corpus_digest("0123456789" * 2))
        >>> {k: len(v) for k, v in corpus.split(0.1, 0.2).items()}
        {'train': 14, 'validation': 2, 'test': 4}
        """
        shares = {"validation": validation, "test": test}
        for name, share in shares.items():
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 0.5:
                raise PolyapproxError(f"the {name} share of the corpus must be a number in (0, 0.5); got {share!r}")
        total = len(self.symbols)
        ends = [total - round(total * (validation + test)), total - round(total * test), total]
        if min(ends[0], ends[1] - ends[0], ends[2] - ends[1]) < 1:
            raise PolyapproxError(
                f"a corpus of {total} characters cannot be split into train / validation / test blocks "
                f"of shares {1 - validation - test:g} / {validation:g} / {test:g}: a block would be empty"
            )
        return {
            "train": self.symbols[: ends[0]],
            "validation": self.symbols[ends[0] : ends[1]],
            "test": self.symbols[ends[1] :],
        }


def load_corpus(
    topics: Mapping[str, str] | None = None,
    *,
    expected: str | None = None,
    version: tuple[int, int, int] | None = None,
) -> TextCorpus:
    """The Python documentation corpus, checked against its recorded SHA-256 digest.

    Parameters
    ----------
    topics : mapping of str to str or None, default None
        The topics; None: ``pydoc_data.topics.topics`` of the running Python.
    expected : str or None, default None
        The digest the text must have; None: the one recorded for ``version`` in
        :data:`CORPUS_DIGESTS`.
    version : tuple of int or None, default None
        (major, minor, micro); None: the running Python's.

    Returns
    -------
    TextCorpus
        The text, its symbols, digest and Python version.

    Raises
    ------
    PolyapproxError
        ``pydoc_data`` is missing, no digest is recorded for this Python version, or the text's
        digest differs from the expected one (a changed corpus).

    Examples
    --------
    >>> load_corpus({"a": "planted"}, expected=corpus_digest("other text"))
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: the text corpus changed: its SHA-256 is 372eb3774802..., \
expected ed886d735b3e... (refusing to train on different data)
    """
    if version is None:
        version = (sys.version_info.major, sys.version_info.minor, sys.version_info.micro)
    name = _version_name(version)
    if expected is None:
        expected = CORPUS_DIGESTS.get(version)
        if expected is None:
            recorded = ", ".join(f"Python {_version_name(v)}: {d}" for v, d in CORPUS_DIGESTS.items())
            raise PolyapproxError(
                f"no digest of the text corpus (pydoc_data.topics) is recorded for Python {name}, so its text "
                f"cannot be checked; the experiment runs on a recorded version ({recorded})"
            )
    if topics is None:
        try:
            from pydoc_data.topics import topics as shipped
        except ImportError:
            raise PolyapproxError(
                "the text corpus is missing: this Python has no pydoc_data.topics (some distributions leave it "
                "out); install the full standard library"
            ) from None
        topics = shipped
    if not isinstance(topics, Mapping) or not all(isinstance(v, str) for v in topics.values()):
        raise PolyapproxError("the text corpus must map topic names to text (str)")
    text = "".join(topics[k] for k in sorted(topics))
    digest = corpus_digest(text)
    if digest != expected:
        raise PolyapproxError(
            f"the text corpus changed: its SHA-256 is {digest[:12]}..., expected {expected[:12]}... "
            "(refusing to train on different data)"
        )
    return TextCorpus(text, encode(text), digest, name)
