"""The Activity tab of the ticket screen: the ticket's audit trail, data never markup."""

from __future__ import annotations

from test_app_console import SIZE, open_first, settle

from deskterm.app import make_app
from deskterm.services import directory, tickets
from deskterm.services.trust import audit
from deskterm.widgets.activity import ActivityView, activity_line


async def test_e_switches_between_thread_and_activity(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        tickets.add_tags(directory.actor_for("ana"), ticket_id, ["vip"])
        tickets.add_follower(directory.actor_for("ana"), ticket_id, "x@example.ba", "[/link]")
        screen = pilot.app.screen
        await pilot.press("e")
        await settle(pilot)
        activity, thread = screen.query_one(ActivityView), screen.query_one("#thread")
        assert (activity.display, thread.display) == (True, False)
        expected = audit.events_for(ticket_id)
        assert [e.id for e in activity.shown] == [e.id for e in expected]
        lines = str(activity.query_one("#activity-lines").render()).splitlines()
        assert lines == [activity_line(e, app.tz).plain for e in expected]
        assert lines[-1].endswith("follower  — → x@example.ba")
        assert any(line.endswith(" → vip") or ",vip" in line for line in lines)
        await pilot.press("e")
        assert (activity.display, thread.display) == (False, True)


def test_an_activity_line_keeps_markup_like_text_as_data():
    from datetime import UTC, datetime

    from deskterm.domain import EventRecord

    event = EventRecord(1, 7, "agent:ana", datetime(2026, 12, 1, 9, 5, tzinfo=UTC), "created",
                        None, None, "[/link] [bold]help", via="boss")
    assert activity_line(event, UTC).plain == (
        "2026-12-01 09:05 +00:00  admin boss as agent:ana  created  — → [/link] [bold]help"
    )
