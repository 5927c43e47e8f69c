"""Service tests skip on a machine without PostgreSQL or Redis, and fail instead under REQUIRE_SERVICES=1."""

import pytest

from . import services


@pytest.fixture
def redis_away(monkeypatch):
    monkeypatch.setattr(services, "DEFAULT_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    monkeypatch.delenv("REDIS_URL", raising=False)


def test_a_missing_service_skips_with_its_address(redis_away, monkeypatch):
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"needs redis at redis://127\.0\.0\.1:1/0"):
        services.need("redis")


def test_require_services_turns_the_skip_into_a_failure(redis_away, monkeypatch):
    monkeypatch.setenv("REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_SERVICES is set"):
        services.need("redis")
