"""The coin dictionary: which coins a sentence, a document or a query talks about.

Kept in the project (about the 50 largest coins by market value in 2025-2026 plus Hamster Kombat
and Notcoin). A coin is tagged only on evidence:

- strong evidence tags a sentence on its own: a name or alias that is no English word, in any
  case ("Solana", "makerdao", "Ethereum Classic"); a capitalised proper name ("Tron", "The Open
  Network"); a ticker written in capitals that means nothing else ("BTC", "IMX"); "$ticker".
- weak evidence is a name that is also an English word ("Immutable", "Render", "Stacks",
  "Optimism", "Maker"), written capitalised, or a capitals ticker that is also a word or an
  acronym ("LINK", "OP", "ETC", "BCH" as in BCH codes). Lower-case "render" or "stacks" is never
  evidence. A weak mention tags its sentence only when
    * the document has strong evidence for that coin somewhere (its title or any sentence), or
      its source is about the coin (the source's coins), or
    * in the sentence itself, not at the start of a line (where every word is capitalised), it
      stands next to a cue ("Polygon network", "on Avalanche") or beside strong evidence for
      another coin ("Optimism and Arbitrum", "ETH/ETC"); such a sentence confirms the coin for
      the rest of its document.
- queries: a person who types "Render" or "polygon fees" means the coin, so weak evidence counts
  in a query, and lower-case tickers that are not words ("btc") count too.

tests/data/coin_tags_labelled.tsv holds hand-labelled tagged sentences; scripts/coin_tag_precision.py
measures precision and recall on it (figures in docs/architecture.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Coin:
    slug: str
    name: str
    ticker: str
    aliases: tuple[str, ...] = ()  # any case; no English word
    proper_names: tuple[str, ...] = ()  # exact case; capitalised, they mean the coin
    word_names: tuple[str, ...] = ()  # exact case, and also English words: weak evidence
    ticker_is_word: bool = False  # the (main) ticker is also a word ("LINK", "near"): weak evidence
    ticker_is_acronym: bool = False  # in capitals it also means something else ("BCH" codes)
    needs_dollar: bool = False  # bare ticker too common even in capitals ("NOT")
    extra_tickers: tuple[str, ...] = field(default=())
    units: tuple[str, ...] = ()  # tag sentences, but are no synonym of the coin ("sats")


COINS: tuple[Coin, ...] = (
    Coin("bitcoin", "Bitcoin", "BTC", ("bitcoin", "bitcoins"), extra_tickers=("XBT",), units=("satoshis", "sats")),
    Coin("ethereum", "Ethereum", "ETH", ("ethereum", "ether")),
    Coin("tether", "Tether", "USDT", (), proper_names=("Tether",)),
    Coin("xrp", "XRP", "XRP", ("xrp ledger",), proper_names=("Ripple Labs",), word_names=("Ripple",)),
    Coin("bnb", "BNB", "BNB", ("binance coin", "bnb chain", "bnb smart chain")),
    Coin("solana", "Solana", "SOL", ("solana",)),
    Coin("usd-coin", "USD Coin", "USDC", ("usd coin", "usdc")),
    Coin("dogecoin", "Dogecoin", "DOGE", ("dogecoin", "doge")),
    Coin("tron", "TRON", "TRX", ("tron network", "tronix"), proper_names=("TRON", "Tron")),
    Coin("cardano", "Cardano", "ADA", ("cardano",)),
    Coin("lido-staked-ether", "Lido Staked Ether", "STETH", ("steth", "lido staked ether")),
    Coin("wrapped-bitcoin", "Wrapped Bitcoin", "WBTC", ("wrapped bitcoin", "wbtc")),
    Coin("chainlink", "Chainlink", "LINK", ("chainlink",), ticker_is_word=True),
    Coin("avalanche", "Avalanche", "AVAX", ("avax",), word_names=("Avalanche",)),
    Coin("sui", "Sui", "SUI", (), proper_names=("Sui",), ticker_is_word=True),
    Coin("stellar", "Stellar", "XLM", ("stellar lumens",), word_names=("Stellar",)),
    Coin("toncoin", "Toncoin", "TON", ("toncoin",), proper_names=("The Open Network",), ticker_is_word=True),
    Coin("shiba-inu", "Shiba Inu", "SHIB", ("shiba inu", "shib")),
    Coin("hedera", "Hedera", "HBAR", ("hedera", "hbar")),
    Coin("bitcoin-cash", "Bitcoin Cash", "BCH", ("bitcoin cash",), ticker_is_acronym=True),
    Coin("polkadot", "Polkadot", "DOT", ("polkadot",), ticker_is_word=True),
    Coin("litecoin", "Litecoin", "LTC", ("litecoin",)),
    Coin("leo-token", "UNUS SED LEO", "LEO", ("unus sed leo", "leo token"), ticker_is_word=True),
    Coin("hyperliquid", "Hyperliquid", "HYPE", ("hyperliquid",), ticker_is_word=True),
    Coin("monero", "Monero", "XMR", ("monero",)),
    Coin("ethena-usde", "Ethena USDe", "USDE", ("usde", "ethena")),
    Coin("dai", "Dai", "DAI", ("dai stablecoin",), proper_names=("Dai",)),
    Coin("pepe", "Pepe", "PEPE", ("pepecoin",), proper_names=("Pepe",)),
    Coin("uniswap", "Uniswap", "UNI", ("uniswap",), ticker_is_word=True),
    Coin("near", "NEAR Protocol", "NEAR", ("near protocol",), ticker_is_word=True),
    Coin("aptos", "Aptos", "APT", ("aptos",), ticker_is_word=True),
    Coin("aave", "Aave", "AAVE", ("aave",)),
    Coin("internet-computer", "Internet Computer", "ICP", ("internet computer protocol",),
         proper_names=("Internet Computer",)),
    Coin("ethereum-classic", "Ethereum Classic", "ETC", ("ethereum classic",), ticker_is_word=True),
    Coin("polygon", "Polygon", "POL", ("matic", "polygon pos"), word_names=("Polygon",), ticker_is_word=True,
         extra_tickers=("MATIC",)),
    Coin("bittensor", "Bittensor", "TAO", ("bittensor",), ticker_is_word=True),
    Coin("ondo", "Ondo", "ONDO", ("ondo finance",), proper_names=("Ondo",)),
    Coin("kaspa", "Kaspa", "KAS", ("kaspa",)),
    Coin("cronos", "Cronos", "CRO", ("cronos",), ticker_is_word=True),
    Coin("vechain", "VeChain", "VET", ("vechain",), ticker_is_word=True),
    Coin("filecoin", "Filecoin", "FIL", ("filecoin",), ticker_is_word=True),
    Coin("arbitrum", "Arbitrum", "ARB", ("arbitrum",)),
    Coin("algorand", "Algorand", "ALGO", ("algorand",)),
    Coin("cosmos", "Cosmos Hub", "ATOM", ("cosmos hub",), word_names=("Cosmos",), ticker_is_word=True),
    Coin("optimism", "Optimism", "OP", ("op mainnet",), word_names=("Optimism",), ticker_is_word=True),
    Coin("render", "Render", "RENDER", ("render network",), word_names=("Render",), ticker_is_word=True,
         extra_tickers=("RNDR",)),
    Coin("injective", "Injective", "INJ", ("injective protocol",), word_names=("Injective",)),
    Coin("stacks", "Stacks", "STX", ("stacks blockchain",), word_names=("Stacks",)),
    Coin("immutable", "Immutable", "IMX", ("immutable x", "immutable zkevm"), word_names=("Immutable",)),
    Coin("celestia", "Celestia", "TIA", ("celestia",)),
    Coin("worldcoin", "Worldcoin", "WLD", ("worldcoin",)),
    Coin("fetch-ai", "Fetch.ai", "FET", ("fetch.ai", "artificial superintelligence alliance"), ticker_is_word=True),
    Coin("sei", "Sei", "SEI", (), proper_names=("Sei",), ticker_is_word=True),
    Coin("maker", "Maker", "MKR", ("makerdao",), word_names=("Maker",)),
    Coin("tezos", "Tezos", "XTZ", ("tezos",)),
    Coin("the-graph", "The Graph", "GRT", ("the graph protocol",), word_names=("The Graph",)),
    Coin("bonk", "Bonk", "BONK", ("bonk",)),
    Coin("zcash", "Zcash", "ZEC", ("zcash",)),
    Coin("hamster-kombat", "Hamster Kombat", "HMSTR", ("hamster kombat", "hmstr")),
    Coin("notcoin", "Notcoin", "NOT", ("notcoin",), ticker_is_word=True, needs_dollar=True),
)

COIN_BY_SLUG = {coin.slug: coin for coin in COINS}

# Words that, right next to a capitalised weak name, say it names a network or its coin.
CUES_AFTER = frozenset(
    "token tokens coin coins network networks mainnet testnet chain chains blockchain ecosystem labs "
    "foundation dao validators bridge rollup rollups l2 price holders staking wallet wallets".split()
)
CUES_BEFORE = frozenset("on onto via like".split())


def _alternation(phrases) -> str:
    # Longest first so "bitcoin cash" wins over "bitcoin".
    escaped = sorted({re.escape(p) for p in phrases}, key=len, reverse=True)
    return r"(?<![\w$])(?:%s)(?!\w)" % "|".join(p.replace(r"\ ", r"\s+") for p in escaped)


class _Pattern:
    """One regular expression over phrases, each mapped to a coin."""

    def __init__(self, phrases: dict[str, str], *, ignore_case: bool):
        self.ignore_case = ignore_case
        self.slugs = {self._key(p): slug for p, slug in phrases.items()}
        self.regex = re.compile(_alternation(phrases), re.IGNORECASE if ignore_case else 0) if phrases else None

    def _key(self, text: str) -> str:
        text = " ".join(text.split())
        return text.lower() if self.ignore_case else text

    def finditer(self, text: str):
        if self.regex is None:
            return
        for match in self.regex.finditer(text):
            yield self.slugs[self._key(match.group())], match


def _build():
    strong_any, strong_exact, weak_exact, query_tickers = {}, {}, {}, {}
    for coin in COINS:
        spoken = {p.lower() for p in (*coin.proper_names, *coin.word_names)}
        for phrase in (*coin.aliases, *coin.units, coin.name):
            if phrase.lower() not in spoken:
                strong_any[phrase.lower()] = coin.slug
        for name in coin.proper_names:
            strong_exact[name] = coin.slug
        for name in coin.word_names:
            weak_exact[name] = coin.slug
        for ticker in (coin.ticker, *coin.extra_tickers):
            strong_any["$" + ticker.lower()] = coin.slug
            if coin.needs_dollar:
                continue
            if ticker == coin.ticker and (coin.ticker_is_word or coin.ticker_is_acronym):
                weak_exact[ticker] = coin.slug
            else:
                strong_exact[ticker] = coin.slug
            if not coin.ticker_is_word:
                query_tickers[ticker.lower()] = coin.slug
    return (_Pattern(strong_any, ignore_case=True), _Pattern(strong_exact, ignore_case=False),
            _Pattern(weak_exact, ignore_case=False), _Pattern(query_tickers, ignore_case=True))


_STRONG_ANY, _STRONG_EXACT, _WEAK, _QUERY_TICKERS = _build()
_WORD = re.compile(r"[A-Za-z0-9]+")


def _strong(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for pattern in (_STRONG_ANY, _STRONG_EXACT):
        for slug, match in pattern.finditer(text):
            found[slug] = min(found.get(slug, match.start()), match.start())
    return found


def _at_line_start(text: str, start: int) -> bool:
    """No letter before `start` on its line: headings, list items and sentence starts."""
    line = text[text.rfind("\n", 0, start) + 1:start]
    return not any(ch.isalpha() for ch in line)


def _has_cue(text: str, match: re.Match) -> bool:
    after = _WORD.match(text, match.end() + 1) if text[match.end():match.end() + 1] in (" ", "-") else None
    before = _WORD.findall(text[max(0, match.start() - 12):match.start()])
    return bool((after and after.group().lower() in CUES_AFTER) or (before and before[-1].lower() in CUES_BEFORE))


class _Sentence:
    def __init__(self, text: str):
        self.text = text
        self.strong = _strong(text)
        self.weak: dict[str, int] = {}  # slug -> first position
        self.confirmed: set[str] = set()  # weak mentions this sentence backs up on its own
        for slug, match in _WEAK.finditer(text):
            if slug in self.strong:
                continue
            self.weak.setdefault(slug, match.start())
            if not _at_line_start(text, match.start()) and (
                _has_cue(text, match) or any(other != slug for other in self.strong)
            ):
                self.confirmed.add(slug)

    def coins(self, evidence: set[str]) -> list[str]:
        found = dict(self.strong)
        for slug, pos in self.weak.items():
            if slug in evidence or slug in self.confirmed:
                found[slug] = pos
        return sorted(found, key=found.get)


def tag_document(sentences: Sequence[str], *, title: str = "", source_coins: Iterable[str] = ()) -> list[list[str]]:
    """The coins of each sentence of one document, weighing the whole document's evidence."""
    analysed = [_Sentence(s) for s in sentences]
    evidence = set(source_coins) | set(_strong(title))
    for sentence in analysed:
        evidence |= sentence.strong.keys() | sentence.confirmed
    return [sentence.coins(evidence) for sentence in analysed]


def detect_coins(text: str, *, query: bool = False) -> list[str]:
    """Slugs of the coins a text mentions, in order of first mention (the text is its own context)."""
    if not query:
        return tag_document([text])[0]
    found = _strong(text)
    for pattern in (_WEAK, _QUERY_TICKERS):
        for slug, match in pattern.finditer(text):
            found.setdefault(slug, match.start())
    return sorted(found, key=found.get)
