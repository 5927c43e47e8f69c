"""Identifier queries: does naming a specification put it first?

    python bench/identifier_queries.py [--rebuild] [--baseline]

For every document of the shared corpus that has an identifier (EIP-n, ERC-n, BIP-n, BOLT n),
two kinds of query are run through the site's ranking (evaluation.offline.document_ranking):
- bare identifiers, in three spellings: the label ("ERC-20"), compact lower case ("erc20") and
  spaced ("erc 20");
- short questions containing it: "what is ERC-20?" and "how does erc20 work", the second one
  in the compact spelling.
Prints the share of queries that put the document at rank 1 (target >= 99 %), per kind and
overall, and lists the misses. --baseline runs the shipped ranker of the previous release.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.shared_index import shared_index  # noqa: E402
from evaluation.offline import document_ranking  # noqa: E402
from search.rankers import DEFAULT, PREVIOUS_DEFAULT  # noqa: E402


def spellings(label: str) -> tuple[str, str]:
    prefix, number = label.replace("-", " ").split()
    return f"{prefix.lower()}{number}", f"{prefix.lower()} {number}"


def queries_for(label: str) -> dict[str, list[str]]:
    compact, spaced = spellings(label)
    return {"bare": [label, compact, spaced], "question": [f"what is {label}?", f"how does {compact} work"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--baseline", action="store_true", help="the previous shipped ranker")
    args = parser.parse_args()
    index = shared_index(rebuild=args.rebuild)
    ranker = PREVIOUS_DEFAULT if args.baseline else DEFAULT
    index.spelling.ready(wait=True)
    results: dict[str, list[bool]] = {"bare": [], "question": []}
    misses = []
    documents = 0
    for doc in range(index.document_count):
        labels = index.identifiers_of(doc)
        if not labels:
            continue
        documents += 1
        slug = index.doc_slug[doc]
        for kind, queries in queries_for(labels[0]).items():
            for query in queries:
                ranked = document_ranking(index, query, ranker)
                first = bool(ranked) and ranked[0] == slug
                results[kind].append(first)
                if not first:
                    misses.append((query, slug, ranked[:3]))
    print(f"ranker {ranker.name} ({ranker.describe()}), index {index.version}")
    print(f"{documents} documents with an identifier")
    print("| queries | count | document at rank 1 |")
    print("| --- | --- | --- |")
    everything = []
    for kind, found in results.items():
        everything.extend(found)
        print(f"| {kind} | {len(found)} | {sum(found) / len(found):.2%} |")
    print(f"| all | {len(everything)} | {sum(everything) / len(everything):.2%} |")
    for query, slug, ranked in misses[:30]:
        print(f"miss: {query!r} -> {ranked} (wanted {slug})")
    if len(misses) > 30:
        print(f"... {len(misses) - 30} more misses")


if __name__ == "__main__":
    main()
