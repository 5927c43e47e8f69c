"""The analyzer: text -> index terms. The same code runs at index time and at query time.

Tokens come from NLTK's RegexpTokenizer with a pattern that keeps crypto tokens whole:
spec ids (ERC-20, erc20 and "ERC 20" all become `erc20`; BIP-0032 becomes `bip32`), hex
strings (0x…), $tickers (`$BTC` -> `btc`), numbers with their decimals, thousands separators,
powers and units (`1.5`, `21,000` -> `21000`, `2^256`, `10gwei`, `0.5%`), and hyphenated
compounds (`proof-of-stake` is kept as one term *and* as its parts, so "proof of stake" finds
it too; a two-part one's whole term is the closed-up word, so "re-entrancy" and "reentrancy"
meet). Every token is NFKC-normalised and lower-cased; words lose stop words and are stemmed
with NLTK's Snowball stemmer. Results are memoised per raw token, which makes analysis of a
large corpus mostly dictionary look-ups.

Change ANALYZER_VERSION whenever the output for some input changes: an index built with
another version is rebuilt rather than queried with mismatched terms.
"""

from __future__ import annotations

import re
import unicodedata

from nltk.stem.snowball import EnglishStemmer
from nltk.tokenize import RegexpTokenizer

from .stopwords import STOP_WORDS

ANALYZER_VERSION = "3"  # 2: "every" is a stop word; 3: two-part compounds closed up

SPEC_PREFIXES = ("eip", "erc", "bip", "bolt", "slip", "caip")

TOKEN_PATTERN = r"""
      0x[0-9a-f]+(?![^\W_])                             # hex: addresses, hashes, opcodes
    | (?:%(specs)s)[-_\ ]?\d+(?![^\W_])                 # spec ids: ERC-20, EIP 1559, BIP0032
    | \$[a-z][a-z0-9]{1,9}(?![^\W_])                    # $tickers
    | \d+(?:[.,]\d+)*(?:\^\d+)?[^\W_]*%%?              # numbers, decimals, 2^256, units, 0.5%%
    | [a-z](?:\.[a-z])+\.?(?![^\W_])                    # dotted abbreviations: U.S., e.g.
    | [^\W_]+(?:['’\-][^\W_]+)*                         # words, inner hyphens and apostrophes
""" % {"specs": "|".join(SPEC_PREFIXES)}

_tokenizer = RegexpTokenizer(TOKEN_PATTERN, flags=re.IGNORECASE | re.VERBOSE | re.UNICODE)
_stemmer = EnglishStemmer()
_SPEC_RE = re.compile(r"^(%s)[-_ ]?0*(\d+)$" % "|".join(SPEC_PREFIXES))
_THOUSANDS_RE = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?%?$")
_cache: dict[str, tuple[str, ...]] = {}
_CACHE_LIMIT = 1_000_000


def _stem_word(word: str) -> str:
    return _stemmer.stem(word) if word.isalpha() else word


def _terms_of(raw: str) -> tuple[str, ...]:
    """The index terms of one raw token (uncached)."""
    token = unicodedata.normalize("NFKC", raw).lower().replace("’", "'")
    if token.startswith("0x"):
        return (token,)
    spec = _SPEC_RE.match(token)
    if spec:
        return (spec.group(1) + (spec.group(2) or "0"),)
    if token.startswith("$"):
        return (token[1:],)
    if token[0].isdigit():
        if _THOUSANDS_RE.match(token):
            token = token.replace(",", "")
        return (token,)
    if "." in token:  # dotted abbreviation: "u.s." -> "u.s"; "e.g." is a stop word
        token = token.rstrip(".")
        return () if token in STOP_WORDS else (token,)
    if token.endswith("'s"):
        token = token[:-2]
    parts = [part for part in token.split("-") if part]
    if len(parts) == 1:
        word = parts[0]
        return () if word in STOP_WORDS else (_stem_word(word),)
    stems = [_stem_word(part) for part in parts]
    # A two-part compound is as often written closed ("re-entrancy"/"reentrancy", "multi-sig"/"multisig"):
    # its compound term is the closed word, so both spellings meet. Longer ones keep their hyphens.
    compound = _stem_word("".join(parts)) if len(parts) == 2 else "-".join(stems)
    return (compound, *(stem for part, stem in zip(parts, stems) if part not in STOP_WORDS))


def token_terms(raw: str) -> tuple[str, ...]:
    """Memoised _terms_of: the same raw token always gives the same terms."""
    terms = _cache.get(raw)
    if terms is None:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        terms = _cache[raw] = _terms_of(raw)
    return terms


def analyze(text: str) -> list[str]:
    """Index terms of a text, in order, with repeats (term frequency matters to BM25)."""
    terms: list[str] = []
    for raw in _tokenizer.tokenize(text):
        terms.extend(token_terms(raw))
    return terms


def analyze_with_words(text: str) -> tuple[list[str], list[str]]:
    """analyze(text), plus the lower-cased alphabetic words as written (for spelling and completion)."""
    terms: list[str] = []
    words: list[str] = []
    for raw in _tokenizer.tokenize(text):
        terms.extend(token_terms(raw))
        if raw.isalpha():
            words.append(raw.lower())
    return terms, words


def analyze_spans(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, end, terms) for every token of the text, for highlighting query terms."""
    return [(start, end, token_terms(text[start:end])) for start, end in _tokenizer.span_tokenize(text)]
