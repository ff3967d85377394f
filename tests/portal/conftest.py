"""Portal fixtures: a real desk file, the real app through Starlette's TestClient, and a
helper that fills forms the way a browser does (CSRF token from the page it was on)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from portal_helpers import PORTAL_CONFIG, Browser

from deskterm.config import load_config
from deskterm.services.messaging import notifications
from deskterm.services.portal import customers


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    """argon2id with tiny costs: the same code path, a fraction of the time (a test in
    test_portal_services checks the real parameters)."""
    monkeypatch.setattr(customers, "HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(customers, "_dummy_hash", None)


@pytest.fixture
def portal_config(desk, tmp_path, monkeypatch):
    path = tmp_path / "home" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PORTAL_CONFIG, encoding="utf-8")
    monkeypatch.setenv("DESKTERM_CONFIG", str(path))
    config = load_config(path)
    notifications.use_config(config)
    return config


@pytest.fixture
def client(portal_config):
    from starlette.testclient import TestClient

    from deskterm.portal.app import make_app

    with TestClient(make_app(portal_config), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def browser(client) -> Browser:
    return Browser(client)


@pytest.fixture
def other_browser(portal_config) -> Browser:
    from starlette.testclient import TestClient

    from deskterm.portal.app import make_app

    return Browser(TestClient(make_app(portal_config)))
