"""The SQL-aggregated report equals the old ticket-by-ticket computation.

`report_reference` is the pre-issue-13 code: every ticket loaded, SLA compliance from
`sla.compute_clocks` on each history. Both run on the demo desk (both backends) and on a
generated desk whose SLA state the product computed (`sla.backfill` after the generator's
own made-up breach log is cleared), over several periods, per queue and desk-wide.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import pytest
from report_reference import reference_backlog_by_day, reference_figures

from bench import generate
from deskterm import clock
from deskterm.services.automation import sla
from deskterm.services.reporting import dashboard, reports
from deskterm.store.db import db, open_db

PERIODS = {  # name: (days back to start, days back to end)
    "30d": (30, 0),
    "7d": (7, 0),
    "90d": (90, 0),
    "past-window": (20, 9),
    "three-years": (3 * 366, 0),
}


def _compare(start, end, queue=None) -> reports.Report:
    report = reports.build_report(start, end, queue)
    expected = reference_figures(start, end, queue)
    got = {key: getattr(report, key) for key in expected}
    for key in expected:
        assert got[key] == expected[key], f"{key}: {got[key]} != {expected[key]}"
    assert dashboard.backlog_by_day(start, end, queue) == reference_backlog_by_day(
        start, end, queue)
    for counts in (report.created_by_queue, report.created_by_channel):
        assert list(counts.values()) == sorted(counts.values(), reverse=True)
    return report


def _check_desk(queues: list[str]) -> list[reports.Report]:
    """Every period now, and the last month again 3 days later with no sweep in between
    (clocks ran out that the breach log does not hold yet)."""
    now = clock.now()
    made = []
    with clock.frozen_at(now):
        for back, ahead in PERIODS.values():
            start, end = now - timedelta(days=back), now - timedelta(days=ahead)
            made.append(_compare(start, end))
            for queue in queues:
                _compare(start, end, queue)
    later = now + timedelta(days=3)
    with clock.frozen_at(later):
        made.append(_compare(later - timedelta(days=30), later))
    return made


def test_sql_report_equals_reference_on_the_demo(demo_db):
    made = _check_desk(["billing", "technical"])
    full = made[list(PERIODS).index("three-years")]
    assert full.created > 100 and full.resolved > 50
    assert 0 < full.sla_met < full.sla_tickets, "both met and missed targets are compared"
    assert made[-1].sla_met < made[0].sla_met, "3 days later, unswept clocks ran out"
    assert full.first_response.count > 50 and full.resolution.median is not None
    assert sum(a.resolved for a in full.agents) > 10 and sum(a.replies for a in full.agents) > 50


@pytest.mark.sqlite_only  # the generator writes a SQLite file
def test_sql_report_equals_reference_on_a_generated_desk(tmp_path):
    path = tmp_path / "generated.db"
    generate.generate(path, tickets=600, per_ticket=3, seed=11)
    open_db(path)
    db.execute_sql('DELETE FROM "sla_breach"')  # the generator's log is made up, not computed
    sla.backfill()
    made = _check_desk(["technical", "orders"])
    month = asdict(made[0])
    assert month["created"] > 10 and month["backlog_by_status"]["open"] > 50
    full = made[list(PERIODS).index("three-years")]
    assert 0 < full.sla_met < full.sla_tickets
