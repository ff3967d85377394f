"""How an SLA clock reads on screen: time left, how late, missed. No database.

Split from `sla` so that the console's first rows (the SLA column) load neither the SLA
engine nor dateutil; `sla` re-exports these names.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from deskterm import clock
from deskterm.domain import Status
from deskterm.services.automation.business_time import format_duration

#: Statuses in which no SLA clock runs.
STOPPED = (Status.RESOLVED.value, Status.CLOSED.value)

#: Below this much time left a clock is shown as a warning.
WARN_WITHIN = timedelta(hours=1)


def describe_clock(ticket: object, now: datetime | None = None) -> tuple[str, str]:
    """Text and level for a TicketRow or TicketDetail's nearest SLA due time.

    Levels: "none" (no clock), "ok", "warning" (due within an hour), "breached" (past
    due). A ticket that missed a target earlier but is on time now gets a leading "!".
    """
    now = clock.to_utc(now or clock.now())
    dues = [
        clock.to_utc(d)
        for d in (
            getattr(ticket, "first_response_due", None),
            getattr(ticket, "resolution_due", None),
        )
        if d is not None
    ]
    status = str(getattr(ticket, "status", ""))
    missed = bool(getattr(ticket, "sla_breached", False))
    if not dues or status in STOPPED:
        return ("missed" if missed else "", "breached" if missed else "none")
    left = min(dues) - now
    if left < timedelta(0):
        return (f"-{format_duration(-left)}", "breached")
    mark = "!" if missed else ""
    return (f"{mark}{format_duration(left)}", "warning" if left <= WARN_WITHIN or missed else "ok")
