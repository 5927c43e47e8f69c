"""Hits grouped by document (search/grouping.py): pure functions over hit dicts."""

from search.grouping import BEFORE_CHARS, cards, group_hits, head, tail


def hit(sid: int, doc: int, *, rank: int, before=(), after=(), best_match=False) -> dict:
    return {"id": sid, "rank": rank, "html": f"sentence {sid}", "document": {"id": doc, "title": f"doc {doc}"},
            "context_before": [{"id": i, "text": t} for i, t in before],
            "context_after": [{"id": i, "text": t} for i, t in after], "best_match": best_match}


def test_documents_in_order_of_their_best_hit_with_up_to_three_sentences_and_the_rest_folded():
    hits = [hit(10, 1, rank=1), hit(20, 2, rank=2), hit(11, 1, rank=3), hit(12, 1, rank=4), hit(30, 3, rank=5),
            hit(13, 1, rank=6), hit(21, 2, rank=7), hit(14, 1, rank=8)]
    groups = group_hits(hits)
    assert [(g["document"], g["hits"], g["folded"]) for g in groups] == [
        (1, [10, 11, 12], [13, 14]), (2, [20, 21], []), (3, [30], [])]
    # Every hit of the page is in exactly one group, shown or folded.
    assert sorted(i for g in groups for i in g["hits"] + g["folded"]) == sorted(h["id"] for h in hits)
    assert [g["hits"] for g in group_hits(hits, per_document=1)] == [[10], [20], [30]]


def test_the_lead_keeps_its_nearest_neighbours_shortened_and_never_repeats_a_sentence_of_the_card():
    long_before = "word " * 40 + "the sentence just before"
    groups = group_hits([
        hit(10, 1, rank=1, before=[(8, "Far away."), (9, long_before)], after=[(11, "Next one."), (12, "Later.")]),
        hit(11, 1, rank=2),  # the lead's next sentence is also a hit: shown once, under the card
    ])
    assert groups[0]["before"].startswith("…") and groups[0]["before"].endswith("the sentence just before")
    assert len(groups[0]["before"]) <= BEFORE_CHARS + 1 and "Far away" not in groups[0]["before"]
    assert groups[0]["after"] == ""
    assert group_hits([hit(10, 1, rank=1, after=[(11, "Next one.")])])[0]["after"] == "Next one."


def test_shortening_cuts_at_words_and_only_when_needed():
    assert tail("short text") == "short text" and head("short text") == "short text"
    cut = head("alpha beta gamma delta", limit=14)
    assert cut == "alpha beta…"
    assert tail("alpha beta gamma delta", limit=12) == "…gamma delta"


def test_best_match_styling_follows_the_first_hit_unless_the_answer_speaks_for_it():
    hits = [hit(10, 1, rank=1, best_match=True), hit(20, 2, rank=2)]
    assert [g["best_match"] for g in group_hits(hits)] == [True, False]
    assert [g["best_match"] for g in group_hits(hits, best_match=False)] == [False, False]


def test_cards_resolve_the_groups_to_hit_dicts():
    hits = [hit(10, 1, rank=1), hit(20, 2, rank=2), hit(11, 1, rank=3)]
    first = cards(group_hits(hits), hits)[0]
    assert first["lead"] is hits[0] and first["others"] == [hits[2]]
