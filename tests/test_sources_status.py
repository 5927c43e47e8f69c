"""Freshness on the pages: the home page says what is being fetched and when it will be searchable;
a specification's page shows its identifier, description, requires and when it was last updated;
results can be sorted and filtered by the documents' dates."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from search.indexing import reindex
from search.ingest import documents_store
from search.models import Document, Source
from search.parsing import ParsedDocument
from search.source_status import sources_status

pytestmark = pytest.mark.django_db


def _spec(number: int, created: date, text: str) -> ParsedDocument:
    return ParsedDocument(
        external_id=f"eip-{number}", title=f"Fee rule {number}", source="ethereum-eips", text=text,
        url=f"https://eips.ethereum.org/EIPS/eip-{number}", published=created, status="Final",
        meta={"identifier": f"EIP-{number}", "description": f"A short description of rule {number}",
              "requires": [2718, 2930], "number": number},
    )


@pytest.fixture
def indexed(index_dir):
    documents_store([
        _spec(1559, date(2019, 4, 13), "The base fee is burned by the protocol. Priority fees go to validators."),
        _spec(4844, date(2022, 2, 25), "Blob transactions carry data that is burned after weeks. The blob base fee is burned too."),
    ])
    return reindex()


def test_no_live_sources_panel_when_nothing_is_enabled(client, indexed):
    Source.objects.filter(name="ethereum-eips").update(enabled=False)
    assert sources_status() is None
    assert "Live sources" not in client.get("/").content.decode()


def test_home_page_says_what_is_fetched_and_when_it_is_searchable(client, indexed):
    Source.objects.create(name="bitcoin-bips", label="Bitcoin BIPs", kind=Source.Kind.ARCHIVE,
                          location="https://codeload.github.com/bitcoin/bips/tar.gz/refs/heads/master")
    page = client.get("/").content.decode()
    assert "Live sources" in page and "Bitcoin BIPs" in page and "first fetch queued" in page
    assert "Everything fetched so far is searchable" not in page
    # a crawl brought a document the active index does not hold yet
    Source.objects.filter(name="bitcoin-bips").update(last_crawled_at=timezone.now(), last_crawl_status="ok")
    documents_store([ParsedDocument(external_id="bip-0032", title="HD wallets", source="bitcoin-bips",
                                    text="Hierarchical deterministic wallets derive keys from one seed.")])
    status = sources_status()
    assert status.waiting_documents == 1 and status.searchable_in is not None
    page = client.get("/").content.decode()
    assert "1 new or updated document waiting for the next index build: searchable in about" in page
    assert "next check" in page
    reindex()
    assert sources_status().message == "Everything fetched so far is searchable."


def test_a_fetch_in_progress_is_shown(indexed):
    Source.objects.filter(name="ethereum-eips").update(
        location="https://example.org/eips.tar.gz", crawl_lease_until=timezone.now() + timedelta(hours=1))
    status = sources_status()
    assert [row.state for row in status.sources] == ["fetching"] and status.fetching


def test_specification_page_shows_identifier_description_requires_and_update_time(client, indexed):
    doc = Document.objects.get(external_id="eip-1559")
    page = client.get(f"/doc/{doc.pk}/").content.decode()
    assert "EIP-1559" in page and "A short description of rule 1559" in page
    assert 'href="/search/?q=EIP-2718"' in page and 'href="/search/?q=EIP-2930"' in page
    assert "Updated here" in page and doc.updated_at.strftime("%Y-%m-%d") in page
    assert "13 April 2019" in page  # the created date is the document's date


def test_results_sort_and_filter_by_document_date(client, indexed):
    newest_first = client.get("/api/search", {"q": "base fee burned", "sort": "date"}).json()
    dates = [hit["document"]["date"] for hit in newest_first["hits"]]
    assert dates[0] == "2022-02-25" and dates == sorted(dates, reverse=True)
    only_2019 = client.get("/api/search", {"q": "base fee burned", "to": "2020-01-01"}).json()
    assert {hit["document"]["date"] for hit in only_2019["hits"]} == {"2019-04-13"}
