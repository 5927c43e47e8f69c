"""Punkt, trained on the corpus, splits crypto prose without breaking at abbreviations or decimals."""

from search.nlp.sentences import MAX_SENTENCE_CHARS, SentenceSplitter, params_from_json, params_to_json, train_punkt

from .conftest import starter_records

TEXT = (
    "Fees are approx. 1.5 gwei on average, e.g. during quiet hours. "
    "The U.S. SEC approved spot bitcoin ETFs in January 2024. "
    "A block reward of 3.125 BTC follows the 2024 halving! Is that the last one? No."
)


def trained_splitter() -> SentenceSplitter:
    return SentenceSplitter(train_punkt(r.text for r in starter_records()))


def test_abbreviations_and_decimals_do_not_end_sentences():
    sentences = trained_splitter().split(TEXT)
    assert sentences == [
        "Fees are approx. 1.5 gwei on average, e.g. during quiet hours.",
        "The U.S. SEC approved spot bitcoin ETFs in January 2024.",
        "A block reward of 3.125 BTC follows the 2024 halving!",
        "Is that the last one?",
        "No.",
    ]


def test_lines_are_never_joined_into_one_sentence():
    text = "Abstract\n\n- first item without a period\n- second item\nA paragraph. Another one."
    assert SentenceSplitter().split(text) == [
        "Abstract", "- first item without a period", "- second item", "A paragraph.", "Another one.",
    ]


def test_parameters_survive_a_json_round_trip():
    params = train_punkt(r.text for r in starter_records())
    restored = params_from_json(params_to_json(params))
    assert restored.abbrev_types == params.abbrev_types
    assert restored.collocations == params.collocations
    assert restored.sent_starters == params.sent_starters
    assert dict(restored.ortho_context) == dict(params.ortho_context)
    assert SentenceSplitter(restored).split(TEXT) == SentenceSplitter(params).split(TEXT)


def test_training_learns_abbreviations_of_the_corpus():
    # Real prose with a domain abbreviation sprinkled in: Punkt must learn "Tab." by itself.
    texts = [r.text.replace(". ", ". The figures in Tab. 2 agree. ", 3) for r in starter_records()]
    params = train_punkt(texts)
    assert "tab" in params.abbrev_types
    assert not {"here", "fees", "bitcoin", "agree"} & params.abbrev_types
    assert SentenceSplitter(params).split("See Tab. 2 for fees. Then stop.") == ["See Tab. 2 for fees.", "Then stop."]


def test_a_tiny_corpus_gets_the_seed_abbreviations_only():
    params = train_punkt(["Fees are high here. Fees are low here. Fees are rising here."])
    assert "here" not in params.abbrev_types and "e.g" in params.abbrev_types
    assert len(SentenceSplitter(params).split("Fees are high here. Fees are low here.")) == 2


def test_run_on_lines_are_cut_into_readable_pieces():
    pieces = SentenceSplitter().split("word " * 1000)
    assert len(pieces) > 1 and all(len(p) <= MAX_SENTENCE_CHARS for p in pieces)
    assert " ".join(pieces).split() == ["word"] * 1000
