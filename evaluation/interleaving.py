"""Judging an interleaved comparison: credit clicks to teams, then a sign test over impressions.

Each interleaved page is one impression; the ranker whose picks got more of its clicks wins it,
equal counts (including no clicks) are ties and carry no information. Under the null
hypothesis both rankers are equally good, so wins are Binomial(n, 1/2); the winner is declared
only when the two-sided p-value is below ALPHA with at least MIN_DECISIVE impressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

ALPHA = 0.05
MIN_DECISIVE = 20


def impression_winner(teams: dict[str, str], clicked_ids: list[int]) -> str | None:
    """"a", "b" or None (a tie) for one interleaved page."""
    a = sum(1 for sid in clicked_ids if teams.get(str(sid)) == "a")
    b = sum(1 for sid in clicked_ids if teams.get(str(sid)) == "b")
    return "a" if a > b else "b" if b > a else None


def sign_test(wins_a: int, wins_b: int) -> float:
    """Two-sided exact binomial p-value of wins_a vs wins_b under p = 1/2."""
    n = wins_a + wins_b
    if n == 0:
        return 1.0
    k = min(wins_a, wins_b)
    tail = sum(comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


@dataclass
class InterleavingOutcome:
    wins_a: int
    wins_b: int
    ties: int
    p_value: float
    winner: str | None  # "a", "b" or None (no significant difference yet)


def interleaving_outcome(impressions: list[tuple[dict[str, str], list[int]]]) -> InterleavingOutcome:
    wins = {"a": 0, "b": 0}
    ties = 0
    for teams, clicked in impressions:
        winner = impression_winner(teams, clicked)
        if winner:
            wins[winner] += 1
        else:
            ties += 1
    p = sign_test(wins["a"], wins["b"])
    decided = wins["a"] + wins["b"] >= MIN_DECISIVE and p < ALPHA
    winner = ("a" if wins["a"] > wins["b"] else "b") if decided else None
    return InterleavingOutcome(wins["a"], wins["b"], ties, p, winner)
