"""Rankers: named, versioned parameter sets on top of BM25, and which one serves.

A ranker's parameters:
- k1, b: BM25 saturation and length normalisation;
- title_weight: weight of the query's BM25 against the sentence's document title;
- alias_weight: coin-alias expansion (BTC <-> bitcoin, ETH <-> ether/ethereum) at this weight;
- expansions: learned expansions {term: {other term: weight}};
- spelling: unknown query words also search for their correction (the page offers "did you
  mean" either way, and a query that finds nothing is re-run corrected);
- min_terms: sentences with fewer index terms (headings, one-word table cells) are not hits;
  BM25's length normalisation otherwise favours them for any word they contain;
- whole-document evidence (search/index/fusion.py gives the formula): role_weight multiplies
  the scores of headings and reference lines (not answers by themselves), section_weight lends a
  matching heading's score to its section, doc_weight adds the query's BM25 against the whole
  document, authority_weight the document's citation-graph authority, identifier_weight puts the
  document whose identifier the query names (EIP-1559, BIP32) first; collapse_duplicates shows
  near-identical sentences of several documents once; signal_weights weighs named document
  rankings computed outside the engine (providers registered in search/doc_signals.py);
- feedback_boost and boosts: per query, documents that visitors' behaviour judged relevant
  get their sentences' scores multiplied by (1 + feedback_boost x grade). The boosts are a
  snapshot taken when the ranker was made, so a ranker never changes after it served.

The Ranker table (search.models) stores them; exactly one is the incumbent. Each process reads
the incumbent and challenger at most every RANKER_CHECK_SECONDS (search/serving_state.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace

from django.db import IntegrityError, transaction
from django.utils import timezone

from .index.bm25 import B, K1
from .index.engine import RankParams
from .nlp.analyzer import analyze
from .nlp.coins import COINS


@dataclass(frozen=True)
class RankerConfig:
    name: str
    k1: float = K1
    b: float = B
    title_weight: float = 0.0
    alias_weight: float = 0.0
    spelling: bool = False
    feedback_boost: float = 0.0
    min_terms: int = 0
    role_weight: float = 1.0
    section_weight: float = 0.0
    doc_weight: float = 0.0
    doc_k1: float = 0.0  # 0: the sentences' k1 and b
    doc_b: float = 0.0
    authority_weight: float = 0.0
    identifier_weight: float = 0.0
    identifier_min_share: float = 1.0  # see query_identifiers.named_specs
    collapse_duplicates: bool = False
    semantic_weight: float = 0.0  # the "semantic" document signal (search/semantic/signal.py)
    settled_weight: float = 0.0  # the "settled" document signal: not a draft (search/doc_status.py)
    signal_weights: dict = field(default_factory=dict, hash=False, compare=False)  # signal name -> weight
    expansions: dict = field(default_factory=dict, hash=False, compare=False)
    boosts: dict = field(default_factory=dict, hash=False, compare=False)  # query -> {doc slug: grade}

    @property
    def rank_params(self) -> RankParams:
        return RankParams(
            k1=self.k1, b=self.b, title_weight=self.title_weight, min_terms=self.min_terms,
            role_weight=self.role_weight, section_weight=self.section_weight, doc_weight=self.doc_weight,
            doc_k1=self.doc_k1, doc_b=self.doc_b,
            authority_weight=self.authority_weight, identifier_weight=self.identifier_weight,
            collapse_duplicates=self.collapse_duplicates,
            signal_weights=tuple(sorted((str(k), float(v)) for k, v in self.document_signal_weights.items())),
        )

    @property
    def document_signal_weights(self) -> dict[str, float]:
        """Weight of each named document signal: signal_weights, with semantic_weight as "semantic"
        and settled_weight as "settled" (scalar fields, so the tuner can search them)."""
        weights = dict(self.signal_weights)
        if self.semantic_weight:
            weights["semantic"] = self.semantic_weight
        if self.settled_weight:
            weights["settled"] = self.settled_weight
        return weights

    def params_json(self) -> dict:
        data = asdict(self)
        data.pop("name")
        return data

    @classmethod
    def from_params(cls, name: str, params: dict) -> RankerConfig:
        known = {f for f in cls.__dataclass_fields__ if f != "name"}
        return cls(name=name, **{k: v for k, v in params.items() if k in known})

    def with_changes(self, **changes) -> RankerConfig:
        return replace(self, **changes)

    def describe(self) -> str:
        parts = [f"k1={self.k1:g}", f"b={self.b:g}", f"title={self.title_weight:g}"]
        if self.alias_weight:
            parts.append(f"aliases={self.alias_weight:g}")
        if self.spelling:
            parts.append("spelling")
        if self.min_terms:
            parts.append(f"min_terms={self.min_terms}")
        for name in ("role_weight", "section_weight", "doc_weight", "doc_k1", "doc_b", "authority_weight",
                     "identifier_weight"):
            value, default = getattr(self, name), self.__dataclass_fields__[name].default
            if value != default:
                parts.append(f"{name.removesuffix('_weight')}={value:g}")
        if self.collapse_duplicates:
            parts.append("collapse")
        for name, weight in sorted(self.document_signal_weights.items()):
            parts.append(f"{name}={weight:g}")
        if self.feedback_boost and self.boosts:
            parts.append(f"feedback={self.feedback_boost:g}x{len(self.boosts)}q")
        if self.expansions:
            parts.append(f"expansions={len(self.expansions)}")
        return " ".join(parts)

    def fingerprint(self) -> str:
        """Stable identity of the parameters (two rankers with equal fingerprints rank alike)."""
        return json.dumps(self.params_json(), sort_keys=True)


# The rank-bm25 reference configuration: where the self-improvement simulation starts.
BASELINE = RankerConfig(name="bm25-baseline")
# What a fresh site serves until tuning promotes something better: the parameters the tuner
# found from simulated visitors on half of the known-item set (k1, b, title weight; see
# docs/quality.md), plus coin aliases, spelling, feedback boosts and no heading-only hits.
PREVIOUS_DEFAULT = RankerConfig(
    name="bm25-tuned-v1", k1=0.9, b=0.5, title_weight=0.5, alias_weight=0.5, spelling=True, feedback_boost=0.25,
    min_terms=3,
)
# The same, plus identifiers named in the query, sentence roles, duplicate collapsing,
# whole-document evidence, the semantic document signal and settled documents before drafts
# (weights chosen on the known-item dev set and the question set's dev half: docs/quality.md).
DEFAULT = PREVIOUS_DEFAULT.with_changes(
    name="bm25-answers-v3", identifier_weight=1000.0, role_weight=0.5, section_weight=0.1, doc_weight=1.0,
    doc_k1=3.0, doc_b=0.75, authority_weight=0.5, collapse_duplicates=True, semantic_weight=12.0,
    settled_weight=4.0,
)


def _alias_table() -> dict[str, dict[str, float]]:
    """term -> the other terms of the same coin (names, aliases, tickers)."""
    table: dict[str, dict[str, float]] = {}
    for coin in COINS:
        terms = set()
        for phrase in (coin.name, coin.ticker, *coin.aliases, *coin.word_names, *coin.extra_tickers):  # not units
            analyzed = analyze(phrase)
            if len(analyzed) == 1:
                terms.add(analyzed[0])
        for term in terms:
            table.setdefault(term, {}).update({other: 1.0 for other in terms if other != term})
    return table


ALIASES = _alias_table()


def expansion_terms(config: RankerConfig, terms: list[str]) -> dict[str, float]:
    """Extra weighted terms for a query: coin aliases and learned expansions."""
    extra: dict[str, float] = {}
    present = set(terms)
    for term in present:
        if config.alias_weight:
            for other in ALIASES.get(term, {}):
                extra[other] = max(extra.get(other, 0.0), config.alias_weight)
        for other, weight in config.expansions.get(term, {}).items():
            extra[other] = max(extra.get(other, 0.0), float(weight))
    return {t: w for t, w in extra.items() if t not in present}


# --- which ranker serves ----------------------------------------------------------------------


def _to_config(row) -> RankerConfig:
    return RankerConfig.from_params(row.name, row.params)


def ranker_save(config: RankerConfig, *, origin: str) -> RankerConfig:
    """Store a ranker (its name must be new); returns it unchanged."""
    from .models import Ranker

    Ranker.objects.create(name=config.name, params=config.params_json(), origin=origin[:200])
    return config


def ranker_promote(name: str) -> None:
    """Make `name` the incumbent (also the way to roll back to an earlier ranker)."""
    from .models import Ranker

    with transaction.atomic():
        Ranker.objects.filter(is_incumbent=True).update(is_incumbent=False)
        Ranker.objects.filter(name=name).update(is_incumbent=True, is_challenger=False, promoted_at=timezone.now())
    _serving_rankers_changed()
    _store_weights_for(name)


def _store_weights_for(name: str) -> None:
    """The index stores BM25 weights for one (k1, b): the incumbent's when it was built. A ranker
    promoted with other values serves at once (the engine then re-weights each query's postings,
    which is slow on millions of sentences), and a rebuild is queued to store its weights."""
    from .models import IndexBuild, Ranker
    from .tasks import index_rebuild_request

    active, row = IndexBuild.objects.active().first(), Ranker.objects.filter(name=name).first()
    if active is None or row is None:
        return
    config = _to_config(row)
    if (active.parameters.get("k1"), active.parameters.get("b")) != (config.k1, config.b):
        index_rebuild_request(reason=f"ranker {name} needs BM25 weights for k1={config.k1:g}, b={config.b:g}",
                              force=True)


def ranker_set_challenger(name: str | None) -> None:
    from .models import Ranker

    with transaction.atomic():
        Ranker.objects.filter(is_challenger=True).update(is_challenger=False)
        if name:
            Ranker.objects.filter(name=name, is_incumbent=False).update(is_challenger=True)
    _serving_rankers_changed()


def rankers_read() -> tuple[RankerConfig, RankerConfig | None]:
    """The incumbent (DEFAULT when there is none) and the challenger, as the database has them now."""
    from .models import Ranker

    rows = list(Ranker.objects.filter(is_incumbent=True) | Ranker.objects.filter(is_challenger=True))
    incumbent = next((r for r in rows if r.is_incumbent), None)
    challenger = next((r for r in rows if r.is_challenger), None)
    return (_to_config(incumbent) if incumbent else DEFAULT), (_to_config(challenger) if challenger else None)


def _serving_rankers_changed() -> None:
    from .serving_state import state  # which ranker serves is read there; it imports this module

    state.rankers_changed()


def ensure_default_incumbent() -> None:
    """A fresh site serves DEFAULT. A site still served by an earlier shipped default (origin
    "default", never a tuned or staff ranker) moves on to this release's default."""
    from .models import Ranker

    incumbent = Ranker.objects.filter(is_incumbent=True).first()
    if incumbent is not None and (incumbent.origin != "default" or incumbent.name == DEFAULT.name):
        return
    try:
        with transaction.atomic():
            if not Ranker.objects.filter(name=DEFAULT.name).exists():
                Ranker.objects.create(name=DEFAULT.name, params=DEFAULT.params_json(), origin="default")
            Ranker.objects.filter(is_incumbent=True).exclude(name=DEFAULT.name).update(is_incumbent=False)
            Ranker.objects.filter(name=DEFAULT.name).update(is_incumbent=True, promoted_at=timezone.now())
    except IntegrityError:
        pass  # another process did it first
