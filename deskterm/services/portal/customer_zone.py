"""Which time zone a customer's portal pages show times in: their own, else the desk's.

A customer's own zone is their portal account's (Settings); contacts carry no zone of their
own. A visitor who has none (no account, or not logged in and no link naming one) reads the
desk's zone: `[desk] timezone` in the config, else the zone of the desk's business calendars
when they all share one (the demo's Europe/Sarajevo), else UTC.
"""

from __future__ import annotations

from deskterm.config import Config
from deskterm.store.models import BusinessCalendar, CustomerAccount


def desk_zone(config: Config) -> str:
    """The desk's own zone name (see the module's docstring)."""
    if config.timezone:
        return config.timezone
    zones = {zone for (zone,) in BusinessCalendar.select(BusinessCalendar.timezone)
             .distinct().tuples()}
    return zones.pop() if len(zones) == 1 else "UTC"


def customer_zone(contact_id: int, config: Config) -> str:
    """The zone to show `contact_id` times in: their account's, else the desk's."""
    row = (CustomerAccount.select(CustomerAccount.timezone)
           .where(CustomerAccount.contact == contact_id).tuples().first())
    return row[0] if row else desk_zone(config)
