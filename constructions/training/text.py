"""Character-level language modelling on real English with sparse causal attention (Yun et al. 2020's
language-modelling comparison, at CPU scale).

The corpus is the English documentation shipped with Python (``pydoc_data.topics.topics``: the text
of ``help("TOPIC")``, about 465,000 characters in Python 3.11), never downloaded: the topics are
concatenated in sorted key order and the text's SHA-256 must equal the digest recorded for the
running Python version (:data:`CORPUS_DIGESTS`; a missing or changed corpus raises a one-line
``PolyapproxError``). Characters map to a fixed vocabulary of 97 symbols (newline, printable ASCII,
0 for anything else); the last 10% of the text forms the validation and test blocks (contiguous,
no overlap with the training block).

The model is a small causal Transformer whose block t attends with mask t of a pattern of
:mod:`constructions.sparse.patterns` (dense, STAR, STRIDED, FIXED, sliding window, RANDOM, UNION)
intersected with the causal mask (key <= query), at a sparsity level: the width w of STRIDED,
FIXED, the window and UNION, or the number of earlier keys r of RANDOM. STAR (relay token n - 1)
under the causal mask keeps only {k - 1, k} for every query but the last: it is reported as what
it becomes. Results are bits per character on the held-out blocks.
"""

from ._config import TextConfig as TextConfig
from ._corpus import ALPHABET as ALPHABET
from ._corpus import CORPUS_DIGESTS as CORPUS_DIGESTS
from ._corpus import VOCAB_SIZE as VOCAB_SIZE
from ._corpus import TextCorpus as TextCorpus
from ._corpus import corpus_digest as corpus_digest
from ._corpus import encode as encode
from ._corpus import load_corpus as load_corpus
from ._text import LEVELLED as LEVELLED
from ._text import CharTransformer as CharTransformer
from ._text import TextHistory as TextHistory
from ._text import causal_random_mask as causal_random_mask
from ._text import check_level as check_level
from ._text import text_masks as text_masks
from ._text import train_text as train_text

__all__ = [
    "ALPHABET",
    "CORPUS_DIGESTS",
    "LEVELLED",
    "VOCAB_SIZE",
    "CharTransformer",
    "TextConfig",
    "TextCorpus",
    "TextHistory",
    "causal_random_mask",
    "check_level",
    "corpus_digest",
    "encode",
    "load_corpus",
    "text_masks",
    "train_text",
]
