"""The coin dictionary: which coins a sentence, a document or a query talks about.

Kept in the project (about the 50 largest coins by market value in 2025-2026 plus Hamster Kombat
and Notcoin). Names and aliases match in any case. Bare tickers match in documents only when
written in capitals ("LINK", not "link"), and in queries also in lower case unless the ticker is
an ordinary English word ("dot", "near", "not"); "$ticker" always matches. Names that are also
ordinary words ("Optimism", "Polygon", "Near") match only as capitalised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Coin:
    slug: str
    name: str
    ticker: str
    aliases: tuple[str, ...] = ()  # any case
    proper_names: tuple[str, ...] = ()  # exact case: names that are also ordinary words
    ticker_is_word: bool = False  # bare lower-case ticker in a query is an English word
    needs_dollar: bool = False  # bare ticker too common even in capitals ("NOT")
    extra_tickers: tuple[str, ...] = field(default=())
    units: tuple[str, ...] = ()  # tag sentences, but are no synonym of the coin ("sats")


COINS: tuple[Coin, ...] = (
    Coin("bitcoin", "Bitcoin", "BTC", ("bitcoin", "bitcoins"), extra_tickers=("XBT",), units=("satoshis", "sats")),
    Coin("ethereum", "Ethereum", "ETH", ("ethereum", "ether")),
    Coin("tether", "Tether", "USDT", ("tether",)),
    Coin("xrp", "XRP", "XRP", ("xrp ledger", "ripple")),
    Coin("bnb", "BNB", "BNB", ("binance coin", "bnb chain", "bnb smart chain")),
    Coin("solana", "Solana", "SOL", ("solana",)),
    Coin("usd-coin", "USD Coin", "USDC", ("usd coin", "usdc")),
    Coin("dogecoin", "Dogecoin", "DOGE", ("dogecoin", "doge")),
    Coin("tron", "TRON", "TRX", ("tron network", "tronix"), proper_names=("TRON", "Tron")),
    Coin("cardano", "Cardano", "ADA", ("cardano",)),
    Coin("lido-staked-ether", "Lido Staked Ether", "STETH", ("steth", "lido staked ether")),
    Coin("wrapped-bitcoin", "Wrapped Bitcoin", "WBTC", ("wrapped bitcoin", "wbtc")),
    Coin("chainlink", "Chainlink", "LINK", ("chainlink",), ticker_is_word=True),
    Coin("avalanche", "Avalanche", "AVAX", ("avax",), proper_names=("Avalanche",)),
    Coin("sui", "Sui", "SUI", (), proper_names=("Sui",), ticker_is_word=True),
    Coin("stellar", "Stellar", "XLM", ("stellar lumens", "lumens"), proper_names=("Stellar",)),
    Coin("toncoin", "Toncoin", "TON", ("toncoin", "the open network"), ticker_is_word=True),
    Coin("shiba-inu", "Shiba Inu", "SHIB", ("shiba inu", "shib")),
    Coin("hedera", "Hedera", "HBAR", ("hedera", "hbar")),
    Coin("bitcoin-cash", "Bitcoin Cash", "BCH", ("bitcoin cash",)),
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
    Coin("internet-computer", "Internet Computer", "ICP", ("internet computer",)),
    Coin("ethereum-classic", "Ethereum Classic", "ETC", ("ethereum classic",), ticker_is_word=True),
    Coin("polygon", "Polygon", "POL", ("matic", "polygon pos"), proper_names=("Polygon",), ticker_is_word=True,
         extra_tickers=("MATIC",)),
    Coin("bittensor", "Bittensor", "TAO", ("bittensor",), ticker_is_word=True),
    Coin("ondo", "Ondo", "ONDO", ("ondo finance",), proper_names=("Ondo",)),
    Coin("kaspa", "Kaspa", "KAS", ("kaspa",)),
    Coin("cronos", "Cronos", "CRO", ("cronos",), ticker_is_word=True),
    Coin("vechain", "VeChain", "VET", ("vechain",), ticker_is_word=True),
    Coin("filecoin", "Filecoin", "FIL", ("filecoin",), ticker_is_word=True),
    Coin("arbitrum", "Arbitrum", "ARB", ("arbitrum",)),
    Coin("algorand", "Algorand", "ALGO", ("algorand",)),
    Coin("cosmos", "Cosmos Hub", "ATOM", ("cosmos hub",), proper_names=("Cosmos",), ticker_is_word=True),
    Coin("optimism", "Optimism", "OP", ("op mainnet",), proper_names=("Optimism",), ticker_is_word=True),
    Coin("render", "Render", "RENDER", ("render network",), ticker_is_word=True, extra_tickers=("RNDR",)),
    Coin("injective", "Injective", "INJ", ("injective",)),
    Coin("stacks", "Stacks", "STX", ("stacks blockchain",)),
    Coin("immutable", "Immutable", "IMX", ("immutable x",)),
    Coin("celestia", "Celestia", "TIA", ("celestia",)),
    Coin("worldcoin", "Worldcoin", "WLD", ("worldcoin",)),
    Coin("fetch-ai", "Fetch.ai", "FET", ("fetch.ai", "artificial superintelligence alliance"), ticker_is_word=True),
    Coin("sei", "Sei", "SEI", (), proper_names=("Sei",), ticker_is_word=True),
    Coin("maker", "Maker", "MKR", ("makerdao",)),
    Coin("tezos", "Tezos", "XTZ", ("tezos",)),
    Coin("the-graph", "The Graph", "GRT", ("the graph protocol",), proper_names=("The Graph",)),
    Coin("bonk", "Bonk", "BONK", ("bonk",)),
    Coin("zcash", "Zcash", "ZEC", ("zcash",)),
    Coin("hamster-kombat", "Hamster Kombat", "HMSTR", ("hamster kombat", "hmstr")),
    Coin("notcoin", "Notcoin", "NOT", ("notcoin",), ticker_is_word=True, needs_dollar=True),
)

COIN_BY_SLUG = {coin.slug: coin for coin in COINS}


def _alternation(phrases) -> str:
    # Longest first so "bitcoin cash" wins over "bitcoin".
    escaped = sorted({re.escape(p) for p in phrases}, key=len, reverse=True)
    return r"(?<![\w$])(?:%s)(?!\w)" % "|".join(p.replace(r"\ ", r"\s+") for p in escaped)


def _build():
    any_case, exact, query_tickers = {}, {}, {}
    for coin in COINS:
        tickers = (coin.ticker, *coin.extra_tickers)
        for phrase in (*coin.aliases, *coin.units, coin.name.lower()):
            if phrase.lower() == coin.name.lower() and coin.proper_names:
                continue  # the name is an ordinary word; matched by proper_names only
            any_case[phrase.lower()] = coin.slug
        for name in coin.proper_names:
            exact[name] = coin.slug
        for ticker in tickers:
            any_case["$" + ticker.lower()] = coin.slug
            if not coin.needs_dollar:
                exact[ticker] = coin.slug
                if not coin.ticker_is_word:
                    query_tickers[ticker.lower()] = coin.slug
    any_case_re = re.compile(_alternation(any_case), re.IGNORECASE)
    exact_re = re.compile(_alternation(exact))
    query_re = re.compile(_alternation(query_tickers), re.IGNORECASE)
    return any_case, any_case_re, exact, exact_re, query_tickers, query_re


_ANY_CASE, _ANY_CASE_RE, _EXACT, _EXACT_RE, _QUERY_TICKERS, _QUERY_RE = _build()


def _key(match: str) -> str:
    return " ".join(match.lower().split())


def detect_coins(text: str, *, query: bool = False) -> list[str]:
    """Slugs of the coins a text mentions, in order of first mention."""
    found: dict[str, int] = {}
    for match in _ANY_CASE_RE.finditer(text):
        found.setdefault(_ANY_CASE[_key(match.group())], match.start())
    for match in _EXACT_RE.finditer(text):
        found.setdefault(_EXACT[" ".join(match.group().split())], match.start())
    if query:
        for match in _QUERY_RE.finditer(text):
            found.setdefault(_QUERY_TICKERS[match.group().lower()], match.start())
    return sorted(found, key=found.get)
