"""Files of judged queries, in two formats told apart by their header line.

- Known-item TSV: `query<TAB>doc_id[<TAB>grade]`, one judged document per line (grade defaults to 1),
  e.g. ../shared/eval/known-item-dev.tsv.
- Question set: `id<TAB>split<TAB>question<TAB>judgments`, one question per line, judgments written
  `doc:grade` separated by spaces (`erc-20:2 erc-2612:1`; 2 = the document that answers it, 1 = useful),
  split `dev` (for tuning) or `test` (for reporting only). The repository's set is QUESTION_SET.

Both load to qrels, {query: {doc_id: grade}}, grouped by split ("all" for a known-item file).
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

QUESTION_SET = Path(__file__).resolve().parent / "questions" / "questions.tsv"
QUESTION_HEADER = ["id", "split", "question", "judgments"]
KNOWN_ITEM_HEADER = ["query", "doc_id"]
SPLITS = ("dev", "test")
ALL = "all"  # the one group of a file without splits

Qrels = dict[str, dict[str, int]]


class QrelsError(ValueError):
    pass


@dataclass(frozen=True)
class Question:
    id: str
    split: str
    text: str
    judgments: dict[str, int]


def parse_judgments(field: str, where: str) -> dict[str, int]:
    """`doc:grade doc:grade ...` -> {doc: grade}; grades 1 or 2, at least one document."""
    judged: dict[str, int] = {}
    for item in field.split():
        doc, sep, grade = item.rpartition(":")
        if not sep or not doc or grade not in ("1", "2"):
            raise QrelsError(f"{where}: judgment {item!r} is not doc_id:1 or doc_id:2")
        if doc in judged:
            raise QrelsError(f"{where}: {doc} is judged twice")
        judged[doc] = int(grade)
    if not judged:
        raise QrelsError(f"{where}: no judged documents")
    return judged


def _rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = [h.strip().lower() for h in next(reader, [])]
            return header, [(number, row) for number, row in enumerate(reader, start=2) if row and row[0].strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise QrelsError(f"cannot read {path}: {exc}") from exc


def read_questions(path: Path = QUESTION_SET) -> list[Question]:
    header, rows = _rows(path)
    if header[:4] != QUESTION_HEADER:
        raise QrelsError(f"{path}: the first line must be the header '{'<TAB>'.join(QUESTION_HEADER)}'")
    questions, seen = [], set()
    for number, row in rows:
        where = f"{path}:{number}"
        if len(row) < 4:
            raise QrelsError(f"{where}: expected id<TAB>split<TAB>question<TAB>judgments")
        qid, split, text = row[0].strip(), row[1].strip(), " ".join(row[2].split())
        if split not in SPLITS:
            raise QrelsError(f"{where}: split must be one of {', '.join(SPLITS)}, not {split!r}")
        if not text:
            raise QrelsError(f"{where}: empty question")
        if qid in seen:
            raise QrelsError(f"{where}: duplicate id {qid}")
        seen.add(qid)
        questions.append(Question(qid, split, text, parse_judgments(row[3], where)))
    return questions


def read_known_items(path: Path) -> list[tuple[str, str, int]]:
    """(query, doc_id, grade) of each line of a known-item file, in file order (a query may repeat)."""
    header, rows = _rows(path)
    return _known_items(path, header, rows)


def _known_items(path: Path, header: list[str], rows: list[tuple[int, list[str]]]) -> list[tuple[str, str, int]]:
    if header[:2] != KNOWN_ITEM_HEADER:
        raise QrelsError(
            f"{path}: the first line must be the header 'query<TAB>doc_id' (known items) "
            f"or '{'<TAB>'.join(QUESTION_HEADER)}' (a question set)"
        )
    items = []
    for number, row in rows:
        if len(row) < 2:
            raise QrelsError(f"{path}:{number}: expected query<TAB>doc_id")
        grade = int(row[2]) if len(row) > 2 and row[2].strip().isdigit() else 1
        items.append((row[0].strip(), row[1].strip(), grade))
    return items


def load_judged_sets(path: Path, splits: Iterable[str] | None = None) -> dict[str, Qrels]:
    """{split: qrels} of a question set (only `splits` when given), or {"all": qrels} of a known-item file."""
    header, rows = _rows(path)
    if header[:4] != QUESTION_HEADER:
        qrels: Qrels = {}
        for query, doc, grade in _known_items(path, header, rows):
            qrels.setdefault(query, {})[doc] = grade
        return {ALL: qrels}
    wanted = tuple(splits) if splits else SPLITS
    sets: dict[str, Qrels] = {split: {} for split in wanted}
    for question in read_questions(path):
        if question.split in sets:
            sets[question.split][question.text] = dict(question.judgments)
    return sets


def load_qrels(path: Path, splits: Iterable[str] | None = None) -> Qrels:
    """All judged queries of a file as one qrels (of the given splits only, for a question set)."""
    merged: Qrels = {}
    for qrels in load_judged_sets(path, splits).values():
        merged.update(qrels)
    return merged


# --- dev/test split -----------------------------------------------------------------------------


def doc_family(doc_id: str) -> str:
    """The collection a document id belongs to, from its spelling: the stratum of a question."""
    for prefix, family in (("eip-", "eips"), ("erc-", "ercs"), ("bip-", "bips"), ("bolt-", "bolts"),
                           ("mastering-bitcoin-", "mastering-bitcoin"), ("mastering-ethereum-", "mastering-ethereum"),
                           ("cryptosights-guides:", "starter")):
        if doc_id.startswith(prefix):
            return family
    return "other"


def question_stratum(question: Question) -> str:
    """The family of the question's first grade-2 document (its first judged document if none)."""
    best = next((doc for doc, grade in question.judgments.items() if grade == 2), next(iter(question.judgments)))
    return doc_family(best)


def assign_splits(questions: list[Question]) -> dict[str, str]:
    """Deterministic split stratified by family: within each family, questions ordered by a hash of
    their id alternate dev/test, each family starting on the half that is behind overall."""
    by_family: dict[str, list[Question]] = defaultdict(list)
    for question in questions:
        by_family[question_stratum(question)].append(question)
    counts = {split: 0 for split in SPLITS}
    assigned = {}
    for family in sorted(by_family):
        members = sorted(by_family[family], key=lambda q: hashlib.sha256(q.id.encode()).hexdigest())
        first = 0 if counts[SPLITS[0]] <= counts[SPLITS[1]] else 1
        for i, question in enumerate(members):
            split = SPLITS[(first + i) % 2]
            assigned[question.id] = split
            counts[split] += 1
    return assigned


def rewrite_splits(path: Path = QUESTION_SET) -> dict[str, int]:
    """Set every question's split column to assign_splits()'s choice; returns the count per split."""
    questions = read_questions(path)
    assigned = assign_splits(questions)
    lines = ["\t".join(QUESTION_HEADER)]
    for q in questions:
        judgments = " ".join(f"{doc}:{grade}" for doc, grade in q.judgments.items())
        lines.append("\t".join([q.id, assigned[q.id], q.text, judgments]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {split: sum(1 for s in assigned.values() if s == split) for split in SPLITS}


if __name__ == "__main__":  # python -m evaluation.qrels: re-split the question set after editing it
    print(rewrite_splits())
