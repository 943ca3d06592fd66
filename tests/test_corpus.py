"""The real-text corpus: Python's own documentation, checked by digest, split into contiguous blocks (no torch)."""

from __future__ import annotations

import hashlib
import sys

import numpy as np
import pytest

from constructions.training import load_corpus
from constructions.training._corpus import ALPHABET, CORPUS_DIGESTS, VOCAB_SIZE, corpus_digest, encode
from polyapprox.internal import PolyapproxError

RUNNING = (sys.version_info.major, sys.version_info.minor, sys.version_info.micro)
recorded = pytest.mark.skipif(RUNNING not in CORPUS_DIGESTS, reason="no corpus digest recorded for this Python")


def test_digest_is_sha256_of_the_utf8_text():
    text = "caf\u00e9 \u2019quoted\u2019"
    assert corpus_digest(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()


@recorded
def test_loader_is_deterministic_and_matches_the_topics_in_sorted_order():
    from pydoc_data.topics import topics

    first, second = load_corpus(), load_corpus()
    assert first.text == second.text and np.array_equal(first.symbols, second.symbols)
    assert first.text == "".join(topics[k] for k in sorted(topics))  # sorted key order, nothing else
    assert first.digest == CORPUS_DIGESTS[RUNNING] == hashlib.sha256(first.text.encode()).hexdigest()
    assert first.python == ".".join(map(str, RUNNING))
    assert len(first.text) > 400_000  # about 465,000 characters in 3.11


@recorded
def test_splits_are_contiguous_blocks_without_overlap():
    corpus = load_corpus()
    blocks = corpus.split(0.05, 0.05)
    assert list(blocks) == ["train", "validation", "test"]
    joined = np.concatenate([blocks["train"], blocks["validation"], blocks["test"]])
    assert np.array_equal(joined, corpus.symbols)  # they tile the text in order: no overlap, no gap
    total = len(corpus.symbols)
    assert len(blocks["test"]) == round(total * 0.05) and abs(len(blocks["validation"]) - total * 0.05) <= 1
    again = corpus.split(0.05, 0.05)
    assert all(np.array_equal(blocks[k], again[k]) for k in blocks)


def test_split_of_a_small_text_by_hand():
    text = "abcdefghij"
    blocks = load_corpus({"t": text}, expected=corpus_digest(text)).split(0.2, 0.1)
    assert [len(blocks[k]) for k in ("train", "validation", "test")] == [7, 2, 1]
    assert blocks["test"].tolist() == encode("j").tolist() and blocks["validation"].tolist() == encode("hi").tolist()


@pytest.mark.parametrize("shares", [(0, 0.1), (0.1, -0.1), (0.5, 0.1), (0.1, 2), (True, 0.1), ("0.1", 0.1)])
def test_bad_split_shares_are_refused(shares):
    corpus = load_corpus({"t": "abcdefghij"}, expected=corpus_digest("abcdefghij"))
    with pytest.raises(PolyapproxError, match="share of the corpus"):
        corpus.split(*shares)


def test_a_split_with_an_empty_block_is_refused():
    corpus = load_corpus({"t": "abc"}, expected=corpus_digest("abc"))
    with pytest.raises(PolyapproxError, match="a block would be empty"):
        corpus.split(0.1, 0.1)


def test_a_changed_corpus_is_refused():
    topics = {"a": "original text", "b": "more"}
    expected = corpus_digest("original textmore")
    assert load_corpus(topics, expected=expected).text == "original textmore"
    planted = {**topics, "b": "more!"}  # one character changed
    with pytest.raises(PolyapproxError, match="the text corpus changed"):
        load_corpus(planted, expected=expected)


@recorded
def test_a_changed_shipped_corpus_is_refused(monkeypatch):
    import pydoc_data.topics

    changed = dict(pydoc_data.topics.topics)
    key = sorted(changed)[0]
    changed[key] = changed[key] + " "
    monkeypatch.setattr(pydoc_data.topics, "topics", changed)
    with pytest.raises(PolyapproxError, match="changed"):
        load_corpus()


def test_an_unrecorded_python_version_is_refused_naming_the_recorded_digests():
    with pytest.raises(PolyapproxError, match=r"Python 3\.99\.0") as info:
        load_corpus(version=(3, 99, 0))
    assert all(digest in str(info.value) for digest in CORPUS_DIGESTS.values())


def test_a_missing_corpus_is_refused(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydoc_data.topics", None)  # import fails
    with pytest.raises(PolyapproxError, match="the text corpus is missing"):
        load_corpus(version=next(iter(CORPUS_DIGESTS)))


def test_fixed_vocabulary():
    assert VOCAB_SIZE == 97 and ALPHABET[0] == "\n" and ALPHABET[1] == " " and ALPHABET[-1] == "~"
    assert encode("\n ~\t\u2019").tolist() == [1, 2, 96, 0, 0]
    assert [ALPHABET[i - 1] for i in encode("Hello, world")] == list("Hello, world")


def test_the_report_section_is_skipped_with_the_reason_on_an_unrecorded_python(monkeypatch, tmp_path):
    """Another Python's pydoc text is not recorded: the text section says so and is skipped, the report runs."""
    import importlib.util

    from constructions.training import _corpus
    from polyapprox.app.report import section_specs

    monkeypatch.setattr(_corpus, "CORPUS_DIGESTS", {})
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object())  # as if torch were installed
    monkeypatch.setattr(section_specs()["text"], "_data", lambda ctx: pytest.fail("the section computed"))
    from polyapprox.app.report._model import ReportContext

    spec = section_specs()["text"]
    section = spec.run(ReportContext.__new__(ReportContext))
    assert section.claims == [] and "no digest of the text corpus" in section.numbers["skipped"]
    assert section.markdown.startswith("**Skipped**: no digest of the text corpus")
