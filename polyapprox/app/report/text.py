"""Report section "text": sparse causal attention at several sparsity levels on real English.

Runs ``polyapprox train sparse-text --quick`` (3 seeds; about a minute of CPU) by default and the
full settings with ``polyapprox reproduce --full-training``. The corpus is the documentation
shipped with Python (``pydoc_data.topics``), checked against its recorded SHA-256 digest.
Needs PyTorch, and the corpus recorded for the running Python; without either the section is
skipped, saying why.
"""

from __future__ import annotations

import math

import numpy as np

from ._model import Outcome, ReportContext, SectionSpec


def _corpus_unavailable() -> str | None:
    """Why the corpus cannot be used on this Python (no digest recorded, missing or changed text), or None."""
    from constructions.training import load_corpus
    from polyapprox.internal import PolyapproxError

    try:
        load_corpus()
    except PolyapproxError as error:
        return str(error)
    return None


SECTION = SectionSpec(
    "text",
    "Training: sparse attention patterns on real text (character-level language modelling)",
    order=71,
    requires="torch",
    unavailable=_corpus_unavailable,
    theory="theory/training",
    tolerances={"close_share": 0.05, "unigram_margin": 0.5},
)

#: The windowed patterns at the smallest level, which the claim below says reach close to dense.
WINDOWED = ("sliding_window", "strided", "union")


def unigram_bits(train: np.ndarray, test: np.ndarray, vocab: int) -> float:
    """Cross-entropy in bits per character of the train block's character frequencies (add-one) on the test block."""
    counts = np.bincount(train, minlength=vocab) + 1.0
    p = counts / counts.sum()
    return float(-np.mean(np.log2(p[test])))


@SECTION.data
def _data(ctx: ReportContext) -> dict:
    from constructions.training import load_corpus, run_text
    from constructions.training.text import CORPUS_DIGESTS, VOCAB_SIZE
    from polyapprox.app import experiments

    corpus = load_corpus()
    blocks = corpus.split()
    config = experiments.ExperimentConfig.from_first_seed(ctx.seed, not ctx.full_training, map=ctx.map)
    result = experiments.sparse_text(config)
    tiny = {"pattern": "strided", "level": 4, "context": 8, "width": 8, "heads": 2, "steps": 3, "eval_windows": 4}
    again = [run_text({**tiny, "seed": ctx.seed})["train_bits"] for _ in range(2)]
    return {
        "corpus": {
            "python": corpus.python,
            "digest": corpus.digest,
            "recorded": next((d for v, d in CORPUS_DIGESTS.items() if ".".join(map(str, v)) == corpus.python), None),
            "characters": len(corpus.text),
            "blocks": {k: len(v) for k, v in blocks.items()},
        },
        "unigram_bits": unigram_bits(blocks["train"], blocks["test"], VOCAB_SIZE),
        "table": result.table.to_dict(),
        "intervals": {k: v for k, v in result.extra["intervals"].items()},
        "notes": result.notes,
        "_result": result,
        "_rerun": again,
    }


@SECTION.claim(
    "TX-corpus", "the corpus text has the SHA-256 digest recorded for this Python version; its blocks tile it"
)
def _corpus(ctx: ReportContext, data: dict) -> Outcome:
    c = data["corpus"]
    passed = c["digest"] == c["recorded"] and sum(c["blocks"].values()) == c["characters"]
    return Outcome(passed, {"digest": c["digest"], "blocks": c["blocks"]}, {"digest": c["recorded"]})


@SECTION.claim(
    "TX-dense",
    "the dense model learns from context: its test bits per character (whole 95% interval) are at least 0.5 below "
    "the cross-entropy of the training block's character frequencies",
)
def _dense(ctx: ReportContext, data: dict) -> Outcome:
    dense = data["intervals"]["dense None"]
    limit = data["unigram_bits"] - ctx.tol("unigram_margin")
    return Outcome(dense["high"] < limit, dense["high"], f"< {limit:.4g}")


@SECTION.claim(
    "TX-close",
    "as Yun et al. 2020 report, the windowed patterns (sliding window, STRIDED, UNION at the smallest level) reach "
    "close to dense: the 95% interval of their relative gap in test bits per character lies below 5%",
)
def _close(ctx: ReportContext, data: dict) -> Outcome:
    levels = [int(k.split()[1]) for k in data["intervals"] if k.startswith("sliding_window ")]
    smallest = min(levels)
    highs = {p: data["intervals"][f"{p} {smallest}"]["gap"]["high"] for p in WINDOWED}
    limit = ctx.tol("close_share")
    return Outcome(all(h < limit for h in highs.values()), highs, f"< {limit}")


@SECTION.claim("TX-bitwise", "a re-run of a language-modelling run with the same seed gives bitwise-equal losses")
def _bitwise(ctx: ReportContext, data: dict) -> Outcome:
    first, second = data["_rerun"]
    return Outcome(first == second and all(math.isfinite(v) for v in first), len(first), "equal")


@SECTION.render
def _render(ctx: ReportContext, data: dict) -> tuple[str, list[str]]:
    result, c = data["_result"], data["corpus"]
    parts = [
        f"Corpus: Python {c['python']}'s `pydoc_data.topics` ({c['characters']:,} characters, SHA-256 "
        f"`{c['digest'][:16]}...`), blocks train / validation / test {c['blocks']['train']:,} / "
        f"{c['blocks']['validation']:,} / {c['blocks']['test']:,} characters (contiguous, in that order). "
        f"Character frequencies of the training block alone give {data['unigram_bits']:.3f} bits per character on "
        "the test block.",
        f"### {result.table.title}",
        result.table.to_markdown(),
        *[f"- {n}" for n in result.notes],
    ]
    return "\n\n".join(parts), [ctx.savefig(result.figure, "training_sparse-text")]
