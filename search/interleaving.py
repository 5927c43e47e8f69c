"""Team-draft interleaving (Radlinski et al., 2008): one result page drawn from two rankings.

In each round a coin toss decides which ranker picks first; each then adds its best result not
yet on the page. A click on a result is credited to the team (ranker) that picked it, so the
ranker whose picks get more clicks wins that impression, free of position bias.
"""

from __future__ import annotations

import random


def team_draft(a: list[int], b: list[int], *, length: int, rng: random.Random) -> tuple[list[int], dict[int, str]]:
    """(merged ids, team of each id: "a" or "b")."""
    rankings = {"a": a, "b": b}
    merged: list[int] = []
    teams: dict[int, str] = {}
    picks = {"a": 0, "b": 0}

    def next_unused(team: str) -> int | None:
        return next((item for item in rankings[team] if item not in teams), None)

    while len(merged) < length:
        if picks["a"] != picks["b"]:
            team = "a" if picks["a"] < picks["b"] else "b"  # the team behind picks next
        else:
            team = "a" if rng.random() < 0.5 else "b"  # a new round: a coin toss picks first
        item = next_unused(team)
        if item is None:  # that ranking is used up: the other one fills the page
            team = "b" if team == "a" else "a"
            item = next_unused(team)
            if item is None:
                break
        merged.append(item)
        teams[item] = team
        picks[team] += 1
    return merged, teams
