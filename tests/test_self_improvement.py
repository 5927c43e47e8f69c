"""Judgments from behaviour, tuning, interleaving, and the simulated-visitor loop."""

import random

import pytest

from evaluation.interleaving import impression_winner, interleaving_outcome, sign_test
from evaluation.judgments import (
    MIN_CLIENTS, MIN_SESSIONS, Impression, Interaction, as_boosts, as_qrels, judgments_from_behaviour,
)
from evaluation.tuning import paired_bootstrap, split_queries, tune
from search.interleaving import team_draft
from search.rankers import BASELINE, RankerConfig, expansion_terms

from .conftest import SHARED

DOCS = ("d1", "d2", "d3", "d4", "d5")


def _visits(n, *, query="q", clicked="d3", clients=None, vote=0):
    imps, acts = [], []
    for i in range(n):
        client = clients[i] if clients else f"c{i}"
        imps.append(Impression(i, query, f"s{i}", client, DOCS))
        if clicked:
            acts.append(Interaction(i, clicked, "click"))
            if vote:
                acts.append(Interaction(i, clicked, "vote", vote, float(i)))
    return imps, acts


def test_clicks_beyond_what_the_position_explains_become_a_judgment():
    pairs = judgments_from_behaviour(*_visits(MIN_SESSIONS + 3, clicked="d3"))
    assert as_qrels(pairs)["q"]["d3"] >= 1
    assert "d1" not in as_qrels(pairs)["q"] or as_qrels(pairs)["q"]["d1"] == 0  # top, never clicked


def test_too_few_sessions_or_clients_make_no_judgment():
    assert judgments_from_behaviour(*_visits(MIN_SESSIONS - 1)) == []
    one_client = ["same"] * (MIN_SESSIONS + 5)
    assert judgments_from_behaviour(*_visits(MIN_SESSIONS + 5, clients=one_client)) == []
    assert len({f"c{i}" for i in range(MIN_CLIENTS)}) == MIN_CLIENTS


def test_one_voice_per_session_however_often_it_votes():
    imps, acts = _visits(MIN_SESSIONS + 1, clicked=None)
    acts += [Interaction(0, "d5", "vote", 1, float(t)) for t in range(10_000)]
    assert as_boosts(judgments_from_behaviour(imps, acts)) == {}


def test_many_sessions_of_one_client_are_one_voice():
    imps, acts = _visits(MIN_SESSIONS + 1, clicked=None)  # organic visitors saw the page
    attacker = [Impression(100 + s, "q", f"attack-{s}", "attacker", DOCS) for s in range(5)]
    votes = [Interaction(100 + s, "d5", "vote", 1, float(v)) for s in range(5) for v in range(2000)]
    pairs = judgments_from_behaviour(imps + attacker, acts + votes)
    assert as_boosts(pairs) == {}
    assert all(pair.votes_up <= 1 for pair in pairs)


def test_votes_from_enough_visitors_boost_and_the_latest_vote_counts():
    imps, acts = _visits(MIN_SESSIONS + 1, clicked="d4", vote=1)
    assert as_boosts(judgments_from_behaviour(imps, acts)) == {"q": {"d4": 2}}
    changed = acts + [Interaction(i, "d4", "vote", -1, 1e9) for i in range(MIN_SESSIONS + 1)]
    assert as_qrels(judgments_from_behaviour(imps, changed))["q"]["d4"] == 0


def test_feedback_for_documents_that_were_not_shown_is_ignored():
    imps, _ = _visits(MIN_SESSIONS + 2, clicked=None)
    acts = [Interaction(i, "never-shown", "vote", 1, 0.0) for i in range(MIN_SESSIONS + 2)]
    assert "never-shown" not in {pair.document for pair in judgments_from_behaviour(imps, acts)}


def test_team_draft_interleaving_is_fair_and_complete():
    a, b = [1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]
    merged, teams = team_draft(a, b, length=6, rng=random.Random(3))
    assert sorted(merged) == [1, 2, 3, 4, 5, 6] and set(teams) == set(merged)
    assert abs(sum(t == "a" for t in teams.values()) - 3) <= 1
    picked_a = [i for i in merged if teams[i] == "a"]
    assert picked_a == sorted(picked_a, key=a.index)  # each team adds its own best remaining result
    assert team_draft([1, 2], [], length=5, rng=random.Random(0))[0] == [1, 2]


def test_sign_test_and_interleaving_outcome():
    assert sign_test(10, 10) == 1.0
    assert sign_test(0, 10) == pytest.approx(2 / 1024)
    assert sign_test(15, 5) == pytest.approx(0.0414, abs=1e-3)
    assert impression_winner({"1": "a", "2": "b"}, [2]) == "b"
    assert impression_winner({"1": "a", "2": "b"}, []) is None
    wins_b = [({"1": "a", "2": "b"}, [2])] * 25 + [({"1": "a", "2": "b"}, [1])] * 5
    assert interleaving_outcome(wins_b).winner == "b"
    assert interleaving_outcome(wins_b[:10]).winner is None  # too few to decide


def test_tuning_promotes_a_real_improvement_and_not_noise():
    qrels = {f"query {i}": {"d": 1} for i in range(200)}
    selection, test = split_queries(qrels)
    assert len(selection) + len(test) == 200 and selection and test

    def better_with_title(config, judged):
        return {q: (0.9 if config.title_weight >= 1 else 0.6) for q in judged}

    decision = tune(BASELINE, qrels, better_with_title)
    assert decision.promoted is not None and decision.promoted.title_weight >= 1 and decision.p_value < 0.05

    def noise(config, judged):  # every (ranker, query) gets an unrelated random score
        return {q: random.Random(f"{config.fingerprint()}|{q}").choice([0.0, 0.5, 1.0]) for q in judged}

    promoted = [tune(BASELINE.with_changes(name=f"start-{s}", k1=1.5 + s / 100), qrels, noise).promoted for s in range(10)]
    assert promoted.count(None) >= 9
    assert paired_bootstrap([0.1] * 30) < 0.01 and paired_bootstrap([0.0] * 30) == 1.0


def test_coin_alias_expansion():
    config = RankerConfig(name="x", alias_weight=0.5)
    assert expansion_terms(config, ["btc", "fee"]) == {"bitcoin": 0.5, "xbt": 0.5}
    assert expansion_terms(BASELINE, ["btc"]) == {}


@pytest.mark.skipif(not (SHARED / "eval" / "known-item-dev.tsv").exists(), reason="needs ../shared")
def test_simulated_visitors_improve_held_out_quality_safely(tmp_path):
    """A seeded, smaller version of `manage.py simulate_users` on part of the shared corpus."""
    from evaluation.qrels import read_known_items
    from evaluation.simulation import run_simulation
    from search.index.build import build_index
    from search.index.engine import Index

    from .conftest import shared_records

    rows = [(query, doc) for query, doc, _ in read_known_items(SHARED / "eval" / "known-item-dev.tsv")]
    version, _ = build_index(shared_records(), tmp_path, workers=2)
    index = Index(tmp_path / version)
    report = run_simulation(index, rows, start=BASELINE, visitors=6, seed=11, poison_votes=2000)
    print(report.line(), report.decision and report.decision.reason)
    assert report.promoted is not None
    assert report.heldout_after >= 1.10 * report.heldout_before
    assert report.typo_recovery >= 0.80
    assert report.control_promoted is None
    for attack in report.poisoning:
        assert not attack.junk_in_top3 and attack.others_unchanged


def test_the_faq_states_the_thresholds_the_code_uses():
    from evaluation.judgments import MAX_JUDGED_PER_QUERY
    from evaluation.tuning import ALPHA, MIN_RELATIVE_GAIN
    from search.rankers import DEFAULT

    from .conftest import ROOT

    faq = (ROOT / "templates" / "pages" / "faq.html").read_text()
    assert f"at least {MIN_SESSIONS} sessions from at least {MIN_CLIENTS} different networks" in faq
    assert f"at most <strong>{MAX_JUDGED_PER_QUERY} judged documents" in faq
    assert f"{MIN_SESSIONS} or more different visitors voted helpful" in faq
    assert f"by at most {DEFAULT.feedback_boost:.0%} per grade" in faq
    assert f"at least {MIN_RELATIVE_GAIN:.0%}" in faq and f"less than a {ALPHA:.0%} chance" in faq
