"""Settled documents before drafts: the status flag stored per document and its document signal."""

import numpy as np
import pytest

from search import doc_status
from search.doc_signals import extra_documents, signals_for
from search.index.build import DocRecord
from search.query_ranking import rank_request
from search.rankers import DEFAULT, PREVIOUS_DEFAULT
from search.search_request import SearchRequest

from .conftest import built_index

SAME = "The maximum contract code size is limited so that nodes cannot be forced to load huge code."


def test_draft_statuses_are_not_settled_and_anything_else_is():
    for status in ("Draft", "review", "Last  Call", "Stagnant", "Withdrawn"):
        assert not doc_status.is_settled(status)
    for status in ("Final", "Living", "Deployed", "Complete", "Active", "", None):
        assert doc_status.is_settled(status)  # no status (books, articles): settled
    assert doc_status.settled_flags(["Final", "Draft", ""]).tolist() == [1.0, 0.0, 1.0]


@pytest.fixture(scope="module")
def status_index(tmp_path_factory):
    directory = tmp_path_factory.mktemp("status-index")
    docs = [
        DocRecord(1, "eip-9170", "Contract code size limit", "", "tests", None, SAME, status="Final"),
        DocRecord(2, "eip-9999", "Contract code size limit", "", "tests", None,
                  "In this draft the maximum contract code size is limited.", status="Draft"),
        DocRecord(3, "eip-9998", "Storage rent", "", "tests", None,
                  "Accounts pay rent for the storage they occupy, every block.", status="Final"),
    ]
    return built_index(docs, directory)


def slugs(index, query, ranker):
    ranking = rank_request(index, SearchRequest(q=query), ranker, limit=10, page_size=10).ranking
    return [index.doc_slug[int(index.sent_doc[s])] for s in ranking.sentence_ids]


def test_the_build_stores_one_flag_per_document(status_index):
    flags = np.load(status_index.path / "doc_settled.npy")
    assert [status_index.doc_slug[d] for d in np.flatnonzero(flags == 0)] == ["eip-9999"]
    assert doc_status.settled_scores(status_index, "anything").tolist() == flags.tolist()


def test_the_settled_document_ranks_before_the_draft_saying_the_same(status_index):
    ranker = DEFAULT.with_changes(name="settled-only", semantic_weight=0.0)
    assert slugs(status_index, "maximum contract code size", ranker)[0] == "eip-9170"
    # Without the flag the draft's shorter sentence wins on its words.
    assert slugs(status_index, "maximum contract code size", ranker.with_changes(name="off", settled_weight=0.0))[0] == "eip-9999"


def test_a_prior_never_adds_candidates_of_its_own(status_index):
    ranker = PREVIOUS_DEFAULT.with_changes(name="prior", settled_weight=3.0)
    signals = signals_for(status_index, "maximum contract code size", ranker)
    assert sorted(signals["settled"].tolist()) == [0.0, 1.0, 1.0]
    assert extra_documents(signals) == ()  # the storage-rent EIP is settled but no answer to this
    assert "eip-9998" not in slugs(status_index, "maximum contract code size", ranker)


def test_a_version_built_without_flags_has_no_settled_signal(status_index, tmp_path):
    class Older:
        path = tmp_path
        document_count = status_index.document_count

    assert doc_status.settled_scores(Older(), "q") is None
