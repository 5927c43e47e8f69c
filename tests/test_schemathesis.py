"""Schemathesis generates requests from /api/openapi.json: none may end in a server error,
and every answer must match the documented response schema."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings as hsettings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from search.indexing import reindex
from search.ingest import documents_store
from search.parsing import ParsedDocument

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture
def site(index_dir, db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.RATE_LIMIT_EXEMPT = []
    settings.RATE_LIMIT_SEARCH = settings.RATE_LIMIT_SUGGEST = settings.RATE_LIMIT_FEEDBACK = "100000/60"
    documents_store([ParsedDocument(external_id="pos", title="Proof of stake", source="guides",
                                    text="Validators stake ether. Slashing punishes cheating validators.")])
    reindex()


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@hsettings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_fails_and_matches_its_schema(site, case):
    response = case.call()
    case.validate_response(response, checks=(not_a_server_error,))
    if response.status_code < 400 or response.headers.get("Content-Type", "").startswith("application/json"):
        case.validate_response(response, checks=(response_schema_conformance,))
