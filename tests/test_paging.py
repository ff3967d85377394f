"""Keyset pages, the last page, cached counts and the search plans at any size.

A generated desk (bench.generate, a few hundred tickets) is paged every way the console
and `ticket list` page it; every order is checked against Python sorting the raw rows.
"""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from sort_orders import SORTS, by_hand
from typer.testing import CliRunner

from bench import generate
from deskterm.cli import app
from deskterm.services import directory, tickets
from deskterm.services.finding import listing
from deskterm.store import search
from deskterm.store.db import db, open_db


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("gen") / "desk.db"
    generate.generate(path, tickets=400, per_ticket=3, seed=5)
    return path


@pytest.fixture
def desk400(generated, tmp_path):
    target = tmp_path / "desk.db"
    target.write_bytes(generated.read_bytes())
    open_db(target)
    return target


def _admin():
    """The generated desk's admin (the OS user who ran the generator)."""
    return directory.actor_for(next(a.username for a in directory.list_agents()
                                    if a.role == "admin"))


@pytest.mark.parametrize("sort", SORTS + ["-" + s for s in SORTS])
def test_keyset_pages_walk_the_whole_order(desk400, sort):
    pager = listing.Pager(f"sort:{sort}")
    total = pager.count()
    seen = []
    while len(seen) < total:
        page = pager.page(len(seen), 37)
        assert page, "a page before the end is never empty"
        seen += [r.id for r in page]
    assert seen == by_hand(sort)
    assert pager.page(total, 37) == []


def test_last_page_is_read_backwards_and_matches(desk400):
    pager = listing.Pager("status:open,pending sort:-priority")
    total = pager.count()
    order = by_hand("-priority", "status IN ('open', 'pending')")
    assert total == len(order) > 50
    last = (total - 1) // 50 * 50
    assert [r.id for r in pager.page(last, 50)] == order[last:]


def test_ticket_list_after_a_ref_continues_the_order(desk400, monkeypatch):
    monkeypatch.delenv("DESKTERM_AGENT", raising=False)  # the generator made the OS user admin
    runner = CliRunner()
    order = by_hand("-updated", "status = 'open'")
    first = runner.invoke(app, ["--db", str(desk400), "ticket", "list", "--status", "open",
                                "--limit", "20", "--json"])
    assert first.exit_code == 0, first.output
    page1 = [t["id"] for t in json.loads(first.stdout)]
    nxt = runner.invoke(app, ["--db", str(desk400), "ticket", "list", "--status", "open",
                              "--limit", "20", "--after", f"#{page1[-1]}", "--ids"])
    assert nxt.exit_code == 0, nxt.output
    assert page1 + [int(x.lstrip("#")) for x in nxt.stdout.split()] == order[:40]
    bad = runner.invoke(app, ["--db", str(desk400), "ticket", "list", "--after", "#999999"])
    assert bad.exit_code == 1 and "no ticket #999999" in bad.output


def test_counts_are_cached_until_the_data_changes(desk400):
    before = listing.count_tickets("status:open")
    assert before == len(by_hand("id", "status = 'open'"))
    victim = by_hand("id", "status = 'open'")[0]
    admin = _admin()
    tickets.set_status(admin, victim, "pending")
    assert listing.count_tickets("status:open") == before - 1


def _words(text: str) -> set[str]:
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )
    return set(re.findall(r"\w+", folded))


def _by_hand(word: str) -> set[int]:
    found = {tid for tid, subject in db.execute_sql("SELECT id, subject FROM ticket")
             if word in _words(subject)}
    for tid, body in db.execute_sql("SELECT ticket_id, body FROM entry WHERE kind != 'system'"):
        if word in _words(body):
            found.add(tid)
    return found


#: (RARE_HITS, PROBE_COST, MIDDLE_CHUNK) that force each search plan on the small desk.
PLANS = {
    "probe": (1, 0, 1000),  # every term "common", probing never loses
    "middle": (1, 10**9, 7),  # the hit set always wins; the order walked 7, 28, 112... at a time
    "rare": (10**6, 0, 1000),  # every term "rare"
}


def _plan(monkeypatch, name: str) -> None:
    for attr, value in zip(("RARE_HITS", "PROBE_COST", "MIDDLE_CHUNK"), PLANS[name],
                           strict=True):
        monkeypatch.setattr(listing, attr, value)
    if name == "middle":  # also where the backend would not choose it (PostgreSQL)
        monkeypatch.setattr(search, "cheap_hits", lambda: True)


@pytest.mark.parametrize("word", ["racun", "vpn", "договору", "قرارداد"])
def test_rare_middle_and_common_plans_find_the_same_tickets_in_order(desk400, word, monkeypatch):
    wanted = _by_hand(word)
    assert wanted, f"the generated desk says {word!r} somewhere"
    in_order = [i for i in by_hand("-updated") if i in wanted]
    for plan in PLANS:
        _plan(monkeypatch, plan)
        assert [r.id for r in listing.list_tickets(word, limit=500)] == in_order
        assert [r.id for r in listing.list_tickets(f"{word} status:open", limit=500)] == [
            i for i in by_hand("-updated", "status = 'open'") if i in wanted
        ]
    assert listing.count_tickets(word) == len(wanted)
    assert listing.count_tickets(f"-{word}") == 400 - len(wanted)


def test_index_follows_replies_merges_and_matches_a_rebuild(desk400):
    admin = _admin()
    a, b = by_hand("id", "status = 'open'")[:2]
    tickets.reply(admin, a, "Zamijenili smo kvarni ruter XJ9000 novim.")
    assert [r.id for r in listing.list_tickets("xj9000")] == [a]
    tickets.merge(admin, a, b)
    assert [r.id for r in listing.list_tickets("xj9000")] == [b]
    terms = ['"xj9000"', '"racun"', '"vpn"', '"ruter"']
    incremental = {t: sorted(search.first_hits(t, 10**6)) for t in terms}
    search.rebuild()
    assert {t: sorted(search.first_hits(t, 10**6)) for t in terms} == incremental


@pytest.mark.parametrize("plan", list(PLANS))
def test_search_pages_by_keyset_under_every_plan(desk400, plan, monkeypatch):
    _plan(monkeypatch, plan)
    wanted = _by_hand("racun")
    order = [i for i in by_hand("-priority") if i in wanted]
    pager = listing.Pager("racun sort:-priority")
    assert pager.count() == len(order)
    seen = []
    while len(seen) < len(order):
        seen += [r.id for r in pager.page(len(seen), 7)]
    assert seen == order
    last = (len(order) - 1) // 7 * 7
    assert [r.id for r in listing.Pager("racun sort:-priority").page(0, 7)] == order[:7]
    fresh = listing.Pager("racun sort:-priority")
    fresh.count()
    assert [r.id for r in fresh.page(last, 7)] == order[last:]


def test_the_middle_plan_is_chosen_between_rare_and_common(desk400, monkeypatch):
    """Which plan runs follows the cost model: share of tickets, page size, desk size."""
    monkeypatch.setattr(listing, "RARE_HITS", 10)
    hits = sorted(search.first_hits('"racun"', 10**6))
    assert len(hits) > 10
    assert listing._middle_wins(hits[:10], 50)  # 400 tickets: collecting is always cheap
    monkeypatch.setattr(listing, "PROBE_COST", 0.01)
    assert not listing._middle_wins(hits[:10], 50)


def test_a_common_word_is_probed_where_collecting_hits_is_dear(desk400, monkeypatch):
    """Where each hit costs a read of its document (PostgreSQL), a common word's page walks
    the sort order and probes: its hits are never all collected."""
    monkeypatch.setattr(listing, "RARE_HITS", 10)
    monkeypatch.setattr(search, "cheap_hits", lambda: False)
    asked, collect = [], search.first_hits
    monkeypatch.setattr(search, "first_hits",
                        lambda text, limit: asked.append(limit) or collect(text, limit))
    wanted = _by_hand("racun")
    assert len(wanted) > 10
    in_order = [i for i in by_hand("-updated") if i in wanted]
    assert [r.id for r in listing.list_tickets("racun", limit=500)] == in_order
    # only the looks that tell a rare word from a common one (up to 10 hits each)
    assert asked and set(asked) == {10}
