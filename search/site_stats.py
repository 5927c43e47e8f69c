"""Read-only figures the pages and the API show, derived from one loaded index version.

- `corpus_stats`: documents, sentences, sources and coins of the index (home page, /api/stats).
- `summarize`: coins, sentiment and sources of a list of hits or sentences (the search page's
  insight panel, a document's summary).
- `surface_forms` (and `_words_for_term`, which search/completion.py uses): index terms are
  Snowball stems ("valid" for "validators"), so a term is shown as a word the corpus actually
  contains, read from a few of the sentences that hold it (a document's key terms, suggestions).

Whatever depends only on the index version is computed once per loaded Index and dropped with it
(search/index_memo.py).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .index.engine import Index
from .index_memo import index_memo
from .nlp.analyzer import analyze_spans
from .nlp.coins import COIN_BY_SLUG

# --- corpus figures ---------------------------------------------------------------------------


def coin_counts(index: Index) -> list[dict]:
    """Coins with at least one indexed sentence, most sentences first."""
    counts = index.coin_sentence_counts()
    rows = [
        {"slug": slug, "name": COIN_BY_SLUG[slug].name if slug in COIN_BY_SLUG else slug, "sentences": n}
        for slug, n in counts.items() if n
    ]
    return sorted(rows, key=lambda row: (-row["sentences"], row["name"]))


def corpus_stats(index: Index) -> dict:
    """Sizes of the index: documents, sentences, terms, and documents and sentences per source."""

    def compute() -> dict:
        sources = np.asarray(index.doc_source, dtype=np.int64)
        docs_per_source = np.bincount(sources, minlength=len(index.sources))
        sentences_per_source = np.bincount(sources[np.asarray(index.sent_doc)], minlength=len(index.sources))
        return {
            "documents": index.document_count,
            "sentences": index.sentence_count,
            "terms": len(index.terms),
            "sources": sorted(
                (
                    {"name": name, "documents": int(docs_per_source[i]), "sentences": int(sentences_per_source[i])}
                    for i, name in enumerate(index.sources)
                ),
                key=lambda row: (-row["documents"], row["name"]),
            ),
            "coins": coin_counts(index),
        }

    return index_memo(index, "corpus", compute)


# --- summaries of hits and sentences ----------------------------------------------------------


def summarize(items: list[dict], *, top: int = 5) -> dict:
    """Coins mentioned, sentiment and sources of hits (or of sentences, which have no source).

    Each item has "coins" (slugs) and "sentiment" {"score", "label"}, as hits and
    `sentence_info` give them; hits also have "document" {"source"}.
    """
    coins = Counter(slug for item in items for slug in item["coins"])
    # Tone is tallied only where it means something (search/nlp/tone.py): a page of specification
    # sentences has no tone to summarise, and says so by an empty tally (average None).
    toned = [item for item in items if item["sentiment"].get("shown", True)]
    labels = Counter(item["sentiment"]["label"] for item in toned)
    sources = Counter(item["document"]["source"] for item in items if "document" in item)
    scores = [item["sentiment"]["score"] for item in toned]
    return {
        "count": len(items),
        "coins": [
            {"slug": slug, "name": COIN_BY_SLUG[slug].name if slug in COIN_BY_SLUG else slug, "count": n}
            for slug, n in sorted(coins.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        ],
        "sentiment": {
            "positive": labels["positive"], "neutral": labels["neutral"], "negative": labels["negative"],
            "average": round(sum(scores) / len(scores), 3) if scores else None,
        },
        "sources": [{"name": name, "count": n} for name, n in sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))[:top]],
    }


# --- words for terms --------------------------------------------------------------------------

def _display(word: str) -> str:
    """A corpus word as a suggestion: lower case, except acronyms and ids (BTC, EIP-1559)."""
    return word if any(c.isupper() for c in word[1:]) else word.lower()


def _words_for_term(index: Index, term_id: int, term: str, *, sentences: int) -> Counter:
    """Surface words of the first sentences holding a term that the analyzer maps to it.

    Memoised per loaded index: suggestions ask for the same terms on every keystroke, and the
    answer only changes with the index version.
    """
    return index_memo(index, f"words:{term_id}:{sentences}", lambda: _read_words_for_term(index, term_id, term, sentences))


def _read_words_for_term(index: Index, term_id: int, term: str, sentences: int) -> Counter:
    start = int(index.post_ptr[term_id])
    end = min(int(index.post_ptr[term_id + 1]), start + sentences)
    words: Counter = Counter()
    for sid in index.post_sent[start:end]:
        text = index.sentences[int(sid)]
        for a, b, terms in analyze_spans(text):
            if term in terms:
                words[_display(text[a:b])] += 1
    return words


def surface_forms(index: Index, terms: list[str], sentence_ids) -> dict[str, str]:
    """For each term, the first word of these sentences that the analyzer maps to it alone.

    A compound ("proof-of-stake" also gives "stake") is used only when no word has the term alone.
    """
    wanted, forms, compounds = set(terms), {}, {}
    for sid in sentence_ids:
        text = index.sentences[int(sid)]
        for a, b, token_terms in analyze_spans(text):
            if len(token_terms) == 1 and token_terms[0] in wanted:
                forms[token_terms[0]] = _display(text[a:b])
                wanted.discard(token_terms[0])
            else:
                for term in wanted.intersection(token_terms):
                    compounds.setdefault(term, _display(text[a:b]))
        if not wanted:
            break
    return {term: forms.get(term) or compounds.get(term) or term for term in terms}
