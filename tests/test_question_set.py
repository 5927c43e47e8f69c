"""The repository's question set: well-formed, judged documents that exist, deterministic stratified splits;
and the evaluate command on it over the starter index."""

import csv
import gzip
import json
import re
from collections import Counter

import pytest
from django.core.management import call_command

from evaluation.models import MetricSnapshot
from evaluation.qrels import (
    QUESTION_SET, SPLITS, QrelsError, assign_splits, doc_family, load_judged_sets, load_qrels, question_stratum,
    read_questions,
)

from .conftest import SHARED_CORPUS, STARTER_CORPUS

STARTER_SOURCE = "cryptosights-guides"
FAMILIES = {"eips", "ercs", "bips", "bolts", "mastering-bitcoin", "mastering-ethereum", "starter"}
IDENTIFIER = re.compile(r"\b(eip|erc|bip|bolt)[\s#-]*\d+", re.IGNORECASE)


@pytest.fixture(scope="module")
def questions():
    return read_questions()


def test_the_set_is_large_and_has_no_duplicates(questions):
    assert len(questions) >= 200
    assert len({q.id for q in questions}) == len(questions)
    normalized = Counter(" ".join(re.findall(r"\w+", q.text.lower())) for q in questions)
    assert [text for text, n in normalized.items() if n > 1] == []


def test_every_question_has_an_answering_document_and_few_name_an_identifier(questions):
    assert all(any(grade == 2 for grade in q.judgments.values()) for q in questions)
    assert all(set(q.judgments.values()) <= {1, 2} for q in questions)
    named = [q.text for q in questions if IDENTIFIER.search(q.text)]
    assert 0 < len(named) <= len(questions) // 10  # a few, not most


def test_judged_documents_exist(questions):
    starter = {f"{STARTER_SOURCE}:{path.stem}" for path in STARTER_CORPUS.glob("*.md")}
    judged = {doc for q in questions for doc in q.judgments}
    assert {doc for doc in judged if doc.startswith(f"{STARTER_SOURCE}:")} <= starter
    assert all(doc_family(doc) in FAMILIES for doc in judged)
    if SHARED_CORPUS.exists():
        with gzip.open(SHARED_CORPUS, "rt", encoding="utf-8") as handle:
            corpus = {json.loads(line)["id"] for line in handle}
        assert sorted(judged - corpus - starter) == []


def test_splits_are_deterministic_stratified_and_balanced(questions):
    assigned = assign_splits(questions)
    assert {q.id: q.split for q in questions} == assigned, "run `python -m evaluation.qrels` after editing"
    sizes = Counter(q.split for q in questions)
    assert set(sizes) == set(SPLITS) and abs(sizes["dev"] - sizes["test"]) <= 1
    per_family = Counter((question_stratum(q), q.split) for q in questions)
    assert {family for family, _ in per_family} == FAMILIES
    for family in FAMILIES:
        assert abs(per_family[family, "dev"] - per_family[family, "test"]) <= 1
    # the order of the file does not matter, only the ids
    assert assign_splits(list(reversed(questions))) == assigned


def test_loading_by_split(questions):
    sets = load_judged_sets(QUESTION_SET)
    assert set(sets) == set(SPLITS)
    assert sum(len(s) for s in sets.values()) == len(questions)
    dev_only = load_qrels(QUESTION_SET, splits=["dev"])
    assert dev_only == sets["dev"] and not set(dev_only) & set(sets["test"])


@pytest.mark.parametrize("row, message", [
    ("q1\tdev\twhat is gas\terc-20:3", "not doc_id:1 or doc_id:2"),
    ("q1\tdev\twhat is gas\terc-20", "not doc_id:1 or doc_id:2"),
    ("q1\tdev\twhat is gas\t", "no judged documents"),
    ("q1\ttrain\twhat is gas\terc-20:2", "split must be one of"),
    ("q1\tdev\twhat is gas\terc-20:2 erc-20:1", "judged twice"),
    ("q1\tdev\t \terc-20:2", "empty question"),
    ("q1\tdev\twhat is gas", "expected id"),
])
def test_malformed_rows_are_refused_with_their_line(tmp_path, row, message):
    path = tmp_path / "questions.tsv"
    path.write_text("id\tsplit\tquestion\tjudgments\n" + row + "\n")
    with pytest.raises(QrelsError, match=message) as info:
        read_questions(path)
    assert f"{path}:2" in str(info.value)


def test_duplicate_ids_are_refused(tmp_path):
    path = tmp_path / "questions.tsv"
    path.write_text("id\tsplit\tquestion\tjudgments\nq1\tdev\ta\terc-20:2\nq1\ttest\tb\terc-20:2\n")
    with pytest.raises(QrelsError, match="duplicate id q1"):
        read_questions(path)


@pytest.fixture
def starter_site(index_dir):
    from search.indexing import reindex
    from search.ingest import paths_ingest

    paths_ingest([STARTER_CORPUS], source=STARTER_SOURCE)
    return reindex()


@pytest.mark.django_db
def test_evaluate_reports_each_split_of_the_question_set_on_the_starter_index(starter_site, questions, tmp_path, capsys):
    out = tmp_path / "per-query.tsv"
    call_command("evaluate", "--out", str(out))  # the repository's question set by default
    printed = capsys.readouterr().out
    sizes = Counter(q.split for q in questions)
    for split in SPLITS:
        assert f"{split}: {sizes[split]} queries" in printed
    assert printed.count("| grade 2") == 2
    assert re.search(r"note: \d+ judged documents are not in this index, e.g. (bip|bolt|eip|erc|mastering)-", printed)
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == len(questions) and Counter(row["split"] for row in rows) == sizes
    # only the starter articles are indexed: their questions find them, the others cannot
    by_text = {q.text: q for q in questions}
    starter_rows = [row for row in rows if question_stratum(by_text[row["query"]]) == "starter"]
    found = [row for row in starter_rows if row["first_grade2_rank"]]
    assert len(found) >= 0.8 * len(starter_rows)
    assert all(row["top10"].split(",")[0].startswith(f"{STARTER_SOURCE}:") for row in found)
    snapshots = {s.metrics["split"]: s for s in MetricSnapshot.objects.filter(kind="offline")}
    assert set(snapshots) == set(SPLITS)
    assert snapshots["dev"].metrics["queries"] == sizes["dev"] and snapshots["dev"].metrics["qrels"] == "questions.tsv"
    assert 0 < snapshots["test"].metrics["hit10"] < 1


@pytest.mark.django_db
def test_evaluate_one_split_only(starter_site, tmp_path, capsys):
    call_command("evaluate", "--split", "test", "--out", str(tmp_path / "out.tsv"))
    printed = capsys.readouterr().out
    assert "test:" in printed and "dev:" not in printed
    assert [s.metrics["split"] for s in MetricSnapshot.objects.filter(kind="offline")] == ["test"]


@pytest.mark.django_db
def test_import_judgments_takes_only_the_dev_half(questions, capsys):
    from evaluation.models import Judgment
    from search.search_request import normalize_query

    call_command("import_judgments", str(QUESTION_SET))
    dev = [q for q in questions if q.split == "dev"]
    assert Judgment.objects.count() == sum(len(q.judgments) for q in dev)
    stored = set(Judgment.objects.values_list("query", flat=True))
    assert stored == {normalize_query(q.text) for q in dev}
    assert not stored & {normalize_query(q.text) for q in questions if q.split == "test"}
