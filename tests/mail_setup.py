"""The mail settings mail tests share (importable from any test module)."""

from __future__ import annotations

SECRET = "test-secret"


def mail_config(**changes):
    """The mail settings the mail tests use (the desk's own addresses, a fixed secret)."""
    from deskterm.config import Config, MailSettings

    settings = dict(
        address="support@desk.example", domain="desk.example", secret=SECRET,
        routes={"billing@deskterm.example": "billing"},
    )
    settings.update(changes)
    return Config(desk_name="Desk Support", mail=MailSettings(**settings))
