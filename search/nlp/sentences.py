"""Sentence splitting with NLTK Punkt, trained on the corpus itself.

NLTK's pretrained Punkt models need a download, so each index build trains a PunktTrainer on
an evenly spread sample of the corpus (it learns this domain's abbreviations) and stores the
learned parameters in the index artifact as JSON. NLTK's own save_punkt_params refuses any
directory outside NLTK's data sandbox (NLTK >= 3.9 "pathsec"), and pickles execute code when
loaded, hence the small JSON form here.

Texts are split into lines first: the corpus keeps one paragraph, heading, list item or table
row per line, so a sentence never spans a line break.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer, PunktTrainer

# Abbreviations every model knows, whatever the sample taught it (lower case, no final period).
SEED_ABBREVIATIONS = frozenset(
    "e.g i.e etc approx vs cf al fig figs eq eqs no nos vol ch sec sect ref refs dr mr mrs ms "
    "prof inc ltd corp co jr sr st u.s u.k u.n e.u a.k.a jan feb mar apr jun jul aug sep sept "
    "oct nov dec est min max avg approx. resp".split()
)
TRAINING_SAMPLE_CHARS = 2_000_000
# Below this, Punkt's statistics mislead (a word always seen before a period looks like an
# abbreviation), so a small corpus gets the seed abbreviations only.
MIN_TRAINING_CHARS = 50_000
MAX_SENTENCE_CHARS = 1_000


def train_punkt(texts: Iterable[str], *, total_chars: int | None = None) -> PunktParameters:
    """Learn Punkt parameters from about TRAINING_SAMPLE_CHARS of text spread over `texts`."""
    texts = list(texts)
    total = total_chars if total_chars is not None else sum(len(t) for t in texts)
    stride = max(1, round(total / TRAINING_SAMPLE_CHARS))
    trainer = PunktTrainer()
    sample, size = [], 0
    for i, text in enumerate(texts):
        if i % stride == 0:
            sample.append(text)
            size += len(text)
            if size >= TRAINING_SAMPLE_CHARS:
                break
    if size < MIN_TRAINING_CHARS:
        params = PunktParameters()
    else:
        trainer.train("\n\n".join(sample), finalize=True)
        params = trainer.get_params()
    params.abbrev_types |= SEED_ABBREVIATIONS
    return params


def params_to_json(params: PunktParameters) -> str:
    return json.dumps(
        {
            "abbrev_types": sorted(params.abbrev_types),
            "collocations": sorted(list(pair) for pair in params.collocations),
            "sent_starters": sorted(params.sent_starters),
            "ortho_context": dict(sorted(params.ortho_context.items())),
        },
        ensure_ascii=False,
    )


def params_from_json(text: str) -> PunktParameters:
    data = json.loads(text)
    params = PunktParameters()
    params.abbrev_types = set(data["abbrev_types"])
    params.collocations = {tuple(pair) for pair in data["collocations"]}
    params.sent_starters = set(data["sent_starters"])
    for word, flags in data["ortho_context"].items():
        params.ortho_context[word] = int(flags)
    return params


class SentenceSplitter:
    def __init__(self, params: PunktParameters | None = None):
        if params is None:
            params = PunktParameters()
            params.abbrev_types = set(SEED_ABBREVIATIONS)
        self._punkt = PunktSentenceTokenizer(params)

    def split(self, text: str) -> list[str]:
        return list(self.iter_split(text))

    def iter_split(self, text: str) -> Iterator[str]:
        for _line, sentences in self.iter_lines(text):
            yield from sentences

    def iter_lines(self, text: str) -> Iterator[tuple[str, list[str]]]:
        """(line, its sentences) for every non-empty line: a sentence's role depends on its line."""
        for line in text.split("\n"):
            line = " ".join(line.split())
            if not line:
                continue
            yield line, [piece for sentence in self._punkt.tokenize(line) for piece in _cap_length(sentence)]


def _cap_length(sentence: str) -> Iterator[str]:
    """Very long 'sentences' (tables, run-on lists) are cut at spaces so each hit stays readable."""
    while len(sentence) > MAX_SENTENCE_CHARS:
        cut = sentence.rfind(" ", 0, MAX_SENTENCE_CHARS)
        if cut <= 0:
            cut = MAX_SENTENCE_CHARS
        yield sentence[:cut].strip()
        sentence = sentence[cut:].strip()
    if sentence:
        yield sentence
