"""Queue orders computed by hand for the paging tests: Python sorts (value, id) of the
raw rows, both in the sort's direction, whatever the listing's SQL does."""

from __future__ import annotations

from deskterm.services.finding import listing
from deskterm.store.db import db

#: Every sort key the console and `ticket list` offer.
SORTS = ["updated", "created", "priority", "status", "id", "subject", "due"]
#: The column (or expression) each sort key orders by.
COLUMN = {
    "updated": "updated_at",
    "created": "created_at",
    "priority": "priority_rank",
    "status": "status",
    "id": "id",
    "subject": "subject",
    "due": f"COALESCE(first_response_due, resolution_due, '{listing.NO_DUE}')",
}


def by_hand(sort: str, where: str = "1 = 1") -> list[int]:
    """Ticket ids matching `where` in `sort`'s order ("-" first: descending)."""
    name = sort.lstrip("-")
    rows = db.execute_sql(f"SELECT {COLUMN[name]}, id FROM ticket WHERE {where}").fetchall()
    return [i for _, i in sorted(rows, reverse=sort.startswith("-"))]
