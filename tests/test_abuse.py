"""Abuse: one machine posing as many voters, login guessing, and what a limited client is told."""

import time as time_module

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from evaluation import identity
from evaluation.improvement import judgments_refresh
from evaluation.judgments import as_boosts
from evaluation.services import popular_queries
from search.indexing import reindex
from search.ingest import documents_store
from search.parsing import ParsedDocument

pytestmark = pytest.mark.django_db

AGENTS = [f"Mozilla/5.0 (X11; Linux x86_64) Browser/{n}.0" for n in range(5)]


@pytest.fixture
def site(index_dir):
    cache.clear()
    documents_store([
        ParsedDocument(external_id=f"doc-{i}", title=f"Staking guide part {i}", source="guides",
                       text=f"Staking rewards are paid to validators. Part {i} explains slashing and staking risks.")
        for i in range(6)
    ])
    yield reindex()
    cache.clear()


def _vote_as(client: Client, question: str) -> None:
    body = client.get("/api/search", {"q": question}).json()
    hit = body["hits"][-1]
    response = client.post("/api/feedback", {"log_id": body["log_id"], "hit_id": hit["id"], "action": "vote",
                                             "vote": 1}, content_type="application/json")
    assert response.json()["stored"] == "created"


def _boosted(pairs) -> bool:
    return any(p.grade == 2 for p in pairs) or bool(as_boosts(pairs))


def test_one_address_with_five_user_agents_is_one_voter(site):
    for agent in AGENTS:  # five sessions (fresh cookies), five browsers, one machine
        _vote_as(Client(REMOTE_ADDR="198.51.100.20", HTTP_USER_AGENT=agent), "staking risks")
    assert not _boosted(judgments_refresh())
    assert popular_queries(min_sessions=5) == []  # and not a "popular" question either


def test_five_addresses_are_five_voters(site):
    for n, agent in enumerate(AGENTS):  # the control: the same votes from five machines count
        _vote_as(Client(REMOTE_ADDR=f"198.51.100.{30 + n}", HTTP_USER_AGENT=agent), "staking risks")
    assert _boosted(judgments_refresh())
    assert [row["query"] for row in popular_queries(min_sessions=5)] == ["staking risks"]


def test_one_ipv6_slash_64_is_one_voter(site):
    for n in range(5):
        _vote_as(Client(REMOTE_ADDR=f"2001:db8:5:7::{n + 1:x}"), "staking risks")
    assert not _boosted(judgments_refresh())


def _meta(**meta):
    return RequestFactory().get("/", **meta)


def test_client_address_is_the_ipv4_address_or_the_ipv6_slash_64(settings):
    settings.TRUST_X_FORWARDED_FOR = 0
    assert identity.client_address(_meta(REMOTE_ADDR="203.0.113.9")) == "203.0.113.9"
    assert identity.client_address(_meta(REMOTE_ADDR="2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::"
    assert identity.client_address(_meta(REMOTE_ADDR="::ffff:203.0.113.9")) == "203.0.113.9"
    a = identity.client_hash(_meta(REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="one"))
    assert a == identity.client_hash(_meta(REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="two"))
    assert a != identity.client_hash(_meta(REMOTE_ADDR="203.0.113.10", HTTP_USER_AGENT="one"))


def test_forwarded_for_is_read_from_the_right_for_the_trusted_proxies(settings):
    spoofed = _meta(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.5")
    settings.TRUST_X_FORWARDED_FOR = 0
    assert identity.client_ip(spoofed) == "10.0.0.1"
    settings.TRUST_X_FORWARDED_FOR = 1  # the proxy appended the real address; "1.2.3.4" came from the client
    assert identity.client_ip(spoofed) == "198.51.100.5"
    settings.TRUST_X_FORWARDED_FOR = 2
    assert identity.client_ip(spoofed) == "1.2.3.4"


class _Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_retry_after_is_the_real_time_left_in_the_clients_window(site, settings, monkeypatch):
    settings.RATE_LIMIT_SEARCH = "2/60"
    settings.RATE_LIMIT_EXEMPT = []
    clock = _Clock(1_800_000_000.4)  # django-ratelimit offsets each key's window from the minute's edge
    monkeypatch.setattr(time_module, "time", clock)
    cache.clear()
    for address in ("198.51.100.61", "198.51.100.62", "198.51.100.63"):
        visitor = Client(REMOTE_ADDR=address)
        clock.now = 1_800_000_000.4
        assert [visitor.get("/api/search", {"q": "staking"}).status_code for _ in range(2)] == [200, 200]
        limited = visitor.get("/api/search", {"q": "staking"})
        wait = int(limited["Retry-After"])
        assert limited.status_code == 429 and f"wait {wait} s" in limited.json()["error"]
        clock.now += wait - 1
        assert visitor.get("/api/search", {"q": "staking"}).status_code == 429, address  # told to wait: still limited
        clock.now += 1
        assert visitor.get("/api/search", {"q": "staking"}).status_code == 200, address  # and not a second longer
    cache.clear()


# --- login guessing ---------------------------------------------------------------------------


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("keeper", "keeper@example.org", "right-horse-battery-staple")


@pytest.fixture
def hashes(monkeypatch):
    """Counts password hashings: what makes a login attempt expensive (~0.3 s of CPU each)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    calls = []
    original = PBKDF2PasswordHasher.encode
    monkeypatch.setattr(PBKDF2PasswordHasher, "encode", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    return calls


def _login(address: str, username: str, password: str):
    return Client(REMOTE_ADDR=address).post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_one_address_guessing_passwords_is_locked_out_cheaply(staff, settings, hashes):
    settings.AXES_FAILURE_LIMIT = 5
    codes = [_login("198.51.100.70", f"user{n}", "wrong").status_code for n in range(5)]  # spraying usernames
    assert codes == [200] * 4 + [429] and len(hashes) == 5  # the fifth failure locks the address out
    hashes.clear()
    started = time_module.perf_counter()
    locked = _login("198.51.100.70", "keeper", "right-horse-battery-staple")  # even the right password
    assert locked.status_code == 429 and hashes == []  # refused before any password is hashed
    assert time_module.perf_counter() - started < 1.0  # loose: the machine is shared; the hash count is the proof
    assert _login("198.51.100.71", "keeper", "right-horse-battery-staple").status_code == 302  # others may log in
    from axes.models import AccessAttempt

    stored = " ".join(str(v) for row in AccessAttempt.objects.values() for v in row.values())
    assert "198.51.100.70" not in stored  # counted under a digest, never the address


def test_one_username_guessed_from_many_addresses_is_locked_out(staff, settings, hashes):
    settings.AXES_FAILURE_LIMIT = 5
    assert [_login(f"203.0.113.{n}", "keeper", "wrong").status_code for n in range(5)] == [200] * 4 + [429]
    hashes.clear()
    assert _login("203.0.113.99", "keeper", "right-horse-battery-staple").status_code == 429 and hashes == []


def test_staff_unlock_a_locked_out_account_in_the_admin(staff, settings, admin_client):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 3
    for n in range(3):
        _login(f"203.0.113.{n}", "keeper", "wrong")
    assert _login("203.0.113.50", "keeper", "right-horse-battery-staple").status_code == 429
    listing = admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "keeper" in listing.content.decode()
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    admin_client.post("/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert not AccessAttempt.objects.exists()
    assert _login("203.0.113.50", "keeper", "right-horse-battery-staple").status_code == 302


def test_a_locked_out_staff_member_is_let_back_in_from_the_command_line(staff, settings):
    from django.core.management import call_command

    settings.AXES_FAILURE_LIMIT = 3
    for n in range(3):
        _login(f"203.0.113.{n}", "keeper", "wrong")
    assert _login("203.0.113.60", "keeper", "right-horse-battery-staple").status_code == 429
    call_command("axes_reset_username", "keeper")
    assert _login("203.0.113.60", "keeper", "right-horse-battery-staple").status_code == 302
