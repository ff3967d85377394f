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
        width = activity.scrollable_content_region.width
        assert lines == "\n".join(activity_line(e, app.tz, width).plain
                                  for e in expected).splitlines()
        # too wide for the thread's column (~50 cells at 120): the values go below
        assert lines[-3].endswith("agent:ana  follower") and lines[-2:] == [
            "  —", "  → x@example.ba"]
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


def test_a_long_persian_value_wraps_before_it_is_reordered():
    from datetime import UTC, datetime

    from deskterm.domain import EventRecord
    from deskterm.widgets import display

    display.set_bidi_mode("reorder")
    # "the invoice of this month is wrong" as a new subject, at 40 cells
    event = EventRecord(1, 7, "agent:ana", datetime(2026, 12, 1, 9, 5, tzinfo=UTC), "subject",
                        None, "Račun", "فاکتور این ماه اشتباه است و مبلغ دو برابر شده")
    assert activity_line(event, UTC, 40).plain.splitlines() == [
        "2026-12-01 09:05 +00:00  agent:ana  subject",
        "  Račun",
        # the sentence's start (فاکتور این ماه...) on the upper row, drawn right to left
        "  → ود غلبم و تسا هابتشا هام نیا روتکاف",
        "    هدش ربارب",
    ]
