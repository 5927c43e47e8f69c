"""Queries that name a specification: "BIP32", "erc 20", "how does EIP-1559 burn fees?".

The named document is the answer people expect first. This module finds the identifiers in a
query (every spelling, search/nlp/identifiers.py), the indexed documents that own them, which of
them the query is about, and the query's terms with each identifier in its canonical index form.
The engine then adds the sentences of the documents the query is about as candidates and pins
the best of them first (RankParams.identifier_weight), ordered by their BM25 for the rest of the
question.
"""

from __future__ import annotations

from dataclasses import dataclass

from .index.engine import Index, RankParams
from .nlp import identifiers
from .nlp.analyzer import analyze


# Words of a question about a specification that say nothing about which part of it is wanted.
GENERIC_WORDS = frozenset(analyze(
    "work works working use used uses mean means meaning explain explained define definition describe "
    "purpose summary overview spec specification standard proposal improvement document "
    # a comparison ("erc721 vs erc1155", "difference between bip32 and bip44") is about each side
    "vs versus compare compared comparison difference differences differ between"
))

# Words that make a named specification the base of what is asked for, not its subject:
# "An extension of EIP-1155…", "An ERC-4337 improvement to…", "…introduced in EIP-8037".
DERIVATIVE_WORDS = frozenset(analyze(
    "extension extensions extend extends extending extended improvement improves improving "
    "introduced compatible compliant builds built"
))


@dataclass(frozen=True)
class NamedSpecs:
    docs: tuple[int, ...] = ()  # the documents the query names and is about, in the order named
    labels: tuple[str, ...] = ()  # their identifiers as shown (EIP-1559)
    terms: tuple[str, ...] = ()  # the query's terms, identifiers written canonically
    named: tuple[int, ...] = ()  # every named document, also those the query is not about


def named_specs(index: Index, query: str, params: RankParams | None = None, min_share: float = 0.0) -> NamedSpecs:
    """The specifications a query names, and which of them it is *about*.

    "how does EIP-1559 burn fees?" is about EIP-1559; "Lockable EIP-721 tokens" names ERC-721
    but asks for an extension of it. A named document counts as the subject when the rest of
    the query (without generic words like "work" or "explain") is empty, or when the named
    document contains at least `min_share` of the rest's words, weighted by their idf: a question
    about a specification uses its words; the description of an extension adds new ones, or
    says "extension" (DERIVATIVE_WORDS), and is about none of the specifications it names.
    """
    found = identifiers.mentions(query)
    if not found:
        return NamedSpecs(terms=tuple(analyze(query)))
    rest = analyze(identifiers.without_mentions(query, found))
    terms = list(rest)
    named: list[int] = []
    labels: dict[int, str] = {}
    for mention in found:
        terms.extend(analyze(mention.identifier.label))
        owners = index.docs_with_identifier(mention.identifier.key)
        if owners and owners[0] not in named:
            named.append(owners[0])
            labels[owners[0]] = mention.identifier.label
    specific = [t for t in rest if t not in GENERIC_WORDS]
    about = named
    if DERIVATIVE_WORDS.intersection(rest):
        about = []
    elif specific and named and min_share > 0:
        about = [doc for doc in named if index.term_coverage(specific, doc) >= min_share - 1e-9]
    return NamedSpecs(tuple(about), tuple(labels[d] for d in about), tuple(terms), tuple(named))
