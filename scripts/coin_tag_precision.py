"""Precision and recall of coin tagging on the hand-labelled sample.

    .venv/bin/python scripts/coin_tag_precision.py

The sample (tests/data/coin_tags_labelled.tsv) is every (sentence, coin) pair the previous
tagger (a dictionary match with no evidence rule) assigned to 378 sentences drawn from the shared
corpus and the starter articles: the previous tagger's tagged sentences were put in strata by
their first coin other than Bitcoin and Ethereum (else Bitcoin or Ethereum), and up to 10
sentences per stratum (40 for Bitcoin and for Ethereum) were drawn at random. Each pair was
labelled by hand: 1 when the sentence speaks of that coin, its network or its project, 0 when
the word means something else ("immutable functions", "render the NFT", "BCH codes").

Figures:
- before: the previous tagger predicted every pair of the sample, so its precision is the share
  labelled 1 and its recall is 1 by construction (pooled recall: the true pairs either tagger found).
- after: the current tagger (search.nlp.coins.tag_document) run on each sampled sentence with its
  whole document as context (the document text is read from the corpus).
- weighted: each stratum weighted by how many tagged sentences it has in the whole corpus
  (tests/data/coin_tags_strata.tsv), an estimate for the corpus rather than for the sample.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.nlp.coins import tag_document  # noqa: E402
from search.nlp.sentences import SentenceSplitter, train_punkt  # noqa: E402
from search.parsing import markdown_to_text  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "coin_tags_labelled.tsv"
STRATA = ROOT / "tests" / "data" / "coin_tags_strata.tsv"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus" / "crypto-docs.jsonl.gz"
STARTER = ROOT / "search" / "starter_corpus"


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append({"n": "\n", "t": "\t", "\\": "\\"}.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def load_sample(path: Path = SAMPLE) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    for row in rows:
        row["sentence"] = _unescape(row["sentence"])
        row["label"] = int(row["label"])
    return rows


def load_documents(doc_ids: set[str], corpus: Path = SHARED_CORPUS) -> dict[str, tuple[str, str]]:
    """doc id -> (title, text), from the starter articles and the shared corpus."""
    docs = {}
    for path in sorted(STARTER.glob("*.md")):
        if path.stem in doc_ids:
            docs[path.stem] = markdown_to_text(path.read_text(encoding="utf-8"))
    if doc_ids - docs.keys():
        with gzip.open(corpus, "rt", encoding="utf-8") as handle:
            for line in handle:
                d = json.loads(line)
                if d["id"] in doc_ids:
                    docs[d["id"]] = (d["title"], d["text"])
    return docs


def tags_in_context(rows: list[dict], docs: dict[str, tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """(doc id, sentence) -> coins the current tagger gives the sentence within its document."""
    splitter = SentenceSplitter(train_punkt(text for _, text in docs.values()))
    by_doc = defaultdict(set)
    for row in rows:
        by_doc[row["doc_id"]].add(row["sentence"])
    tags = {}
    for doc_id, sentences in by_doc.items():
        title, text = docs[doc_id]
        sampled = sorted(sentences)
        # The sampled sentences go last, so a different sentence split cannot lose them; the
        # document's evidence is a union over its sentences, which they are part of anyway.
        tagged = tag_document([*splitter.split(text), *sampled], title=title)
        for sentence, coins in zip(sampled, tagged[-len(sampled):]):
            tags[(doc_id, sentence)] = set(coins)
    return tags


def measure(rows: list[dict], tags: dict, strata_sizes: dict[str, int] | None = None) -> dict:
    """Precision and recall before (every pair predicted) and after (the current tagger)."""
    sampled_sentences = defaultdict(set)
    for row in rows:
        sampled_sentences[row["stratum"]].add((row["doc_id"], row["sentence"]))

    def weight(stratum):
        if not strata_sizes:
            return 1.0
        return strata_sizes[stratum] / len(sampled_sentences[stratum])

    totals = defaultdict(float)
    for row in rows:
        w = weight(row["stratum"])
        predicted_after = row["coin"] in tags[(row["doc_id"], row["sentence"])]
        totals["true"] += w * row["label"]
        totals["before_predicted"] += w
        totals["after_predicted"] += w * predicted_after
        totals["after_true_positive"] += w * (predicted_after and row["label"])
    return {
        "pairs": len(rows),
        "sentences": len({(r["doc_id"], r["sentence"]) for r in rows}),
        "before_precision": totals["true"] / totals["before_predicted"],
        "before_recall": 1.0,
        "after_precision": totals["after_true_positive"] / max(totals["after_predicted"], 1e-9),
        "after_recall": totals["after_true_positive"] / max(totals["true"], 1e-9),
    }


def unlabelled_tags(rows: list[dict], tags: dict) -> list[tuple[str, str, str]]:
    """Tags the current tagger gives that the sample has no label for (should be none)."""
    labelled = {(r["doc_id"], r["sentence"], r["coin"]) for r in rows}
    return sorted((d, c, s) for (d, s), coins in tags.items() for c in coins if (d, s, c) not in labelled)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED_CORPUS)
    parser.add_argument("--errors", action="store_true", help="list the current tagger's mistakes")
    args = parser.parse_args(argv)
    rows = load_sample()
    docs = load_documents({r["doc_id"] for r in rows}, args.corpus)
    missing = {r["doc_id"] for r in rows} - docs.keys()
    if missing:
        print(f"documents not found (is {args.corpus} there?): {', '.join(sorted(missing)[:5])}", file=sys.stderr)
        return 2
    tags = tags_in_context(rows, docs)
    with open(STRATA, encoding="utf-8") as handle:
        sizes = {r["stratum"]: int(r["sentences"]) for r in csv.DictReader(handle, delimiter="\t")}
    sample, weighted = measure(rows, tags), measure(rows, tags, sizes)
    print(f"labelled sample: {sample['sentences']} sentences, {sample['pairs']} (sentence, coin) pairs")
    print("| | precision | recall (pooled) |\n| --- | --- | --- |")
    for name, m in (("sample", sample), ("corpus-weighted", weighted)):
        print(f"| before, {name} | {m['before_precision']:.3f} | {m['before_recall']:.3f} |")
        print(f"| after, {name} | {m['after_precision']:.3f} | {m['after_recall']:.3f} |")
    extra = unlabelled_tags(rows, tags)
    if extra:
        print(f"{len(extra)} tags without a label:", *extra[:10], sep="\n  ")
    if args.errors:
        for r in rows:
            got = r["coin"] in tags[(r["doc_id"], r["sentence"])]
            if got != bool(r["label"]):
                kind = "false positive" if got else "missed"
                print(f"{kind}: {r['coin']} in {r['doc_id']}: {r['sentence'][:160]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
