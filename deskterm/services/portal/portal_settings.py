"""The portal's settings from the `[portal]` section of the desk config, and the form each
queue shows customers.

```toml
[portal]
url = "https://help.example.com"  # where customers reach the portal; enables the
                                  # "follow your ticket here" link in every notification
tracking_days = 30                # how long a tracking link works
session_hours = 336               # how long a login lasts (two weeks)
registration = "link"             # link (one-time link by mail) | password (generated)
max_upload_bytes = 10485760       # per file
max_files = 5
upload_types = [".png", ".jpg", ".jpeg", ".gif", ".pdf", ".txt", ".log", ".csv", ".zip"]
priorities = ["low", "normal", "high"]   # what a customer may pick
organisation_tickets = false      # a customer also sees their organisation's tickets
secure_cookies = "auto"           # auto (when the request came over HTTPS) | always | never

[portal.forms.default]            # every queue without its own section
show = ["name", "phone", "contract_no"]
require = ["name"]

[portal.forms.billing]
show = ["name", "phone", "contract_no", "invoice"]
require = ["name", "contract_no"]
custom = [{ name = "invoice", label = "Invoice number" }]
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from deskterm.config import Config
from deskterm.domain import BadInput, Priority

#: Contact fields a queue's form may show; subject, text and e-mail are always there.
CONTACT_FIELDS = ("name", "phone", "contract_no")
_DEFAULT_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".txt", ".log", ".csv",
                  ".zip", ".doc", ".docx", ".xls", ".xlsx", ".odt", ".ods", ".eml")


@dataclass(frozen=True)
class CustomField:
    name: str
    label: str


@dataclass(frozen=True)
class QueueForm:
    """Which optional fields a queue's form shows and which of them it requires."""

    show: tuple[str, ...] = ("name", "phone", "contract_no")
    require: tuple[str, ...] = ("name",)
    custom: tuple[CustomField, ...] = ()

    def shows(self, name: str) -> bool:
        return name in self.show

    def requires(self, name: str) -> bool:
        return name in self.require


@dataclass(frozen=True)
class PortalSettings:
    url: str = ""
    tracking_days: int = 30
    session_hours: int = 336
    registration: str = "link"
    max_upload_bytes: int = 10 * 1024 * 1024
    max_files: int = 5
    upload_types: tuple[str, ...] = _DEFAULT_TYPES
    priorities: tuple[Priority, ...] = (Priority.LOW, Priority.NORMAL, Priority.HIGH)
    organisation_tickets: bool = False
    secure_cookies: str = "auto"
    forms: dict[str, QueueForm] = field(default_factory=dict)

    def form_for(self, queue_slug: str) -> QueueForm:
        """The form of a queue: its own section, else `default`, else the built-in one."""
        return self.forms.get(queue_slug) or self.forms.get("default") or QueueForm()


_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


def _form(slug: str, data: dict[str, Any]) -> QueueForm:
    where = f"config [portal.forms.{slug}]"
    unknown = set(data) - {"show", "require", "custom"}
    if unknown:
        raise BadInput(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    custom = []
    for item in data.get("custom", []):
        if not isinstance(item, dict) or not _NAME.match(str(item.get("name", ""))):
            raise BadInput(f"{where} custom: each needs a name (lower-case letters, digits, _)")
        custom.append(CustomField(item["name"], str(item.get("label") or item["name"])))
    known = set(CONTACT_FIELDS) | {c.name for c in custom}
    show = tuple(str(v) for v in data.get("show", QueueForm.show))
    require = tuple(str(v) for v in data.get("require", QueueForm.require))
    for name in (*show, *require):
        if name not in known:
            raise BadInput(f"{where}: unknown field {name!r} (known: {', '.join(sorted(known))})")
    return QueueForm(show=tuple(dict.fromkeys((*show, *require))), require=require,
                     custom=tuple(custom))


def portal_settings(config: Config) -> PortalSettings:
    """Read `[portal]` from the config; BadInput names a bad value."""
    data = dict(config.raw.get("portal", {}))
    forms = {slug: _form(slug, value) for slug, value in data.pop("forms", {}).items()}
    defaults = PortalSettings()
    values: dict[str, Any] = {}
    for name in ("tracking_days", "session_hours", "max_upload_bytes", "max_files"):
        if name in data:
            try:
                values[name] = int(data.pop(name))
            except (TypeError, ValueError):
                raise BadInput(f"config [portal] {name}: expected a number") from None
            if values[name] <= 0:
                raise BadInput(f"config [portal] {name}: expected a positive number")
    if "url" in data:
        values["url"] = str(data.pop("url")).rstrip("/")
    if "registration" in data:
        values["registration"] = str(data.pop("registration"))
        if values["registration"] not in ("link", "password"):
            raise BadInput("config [portal] registration: expected link or password")
    if "secure_cookies" in data:
        values["secure_cookies"] = str(data.pop("secure_cookies"))
        if values["secure_cookies"] not in ("auto", "always", "never"):
            raise BadInput("config [portal] secure_cookies: expected auto, always or never")
    if "upload_types" in data:
        values["upload_types"] = tuple(
            "." + str(t).lower().lstrip(".") for t in data.pop("upload_types")
        )
    if "priorities" in data:
        try:
            values["priorities"] = tuple(Priority(str(p)) for p in data.pop("priorities"))
        except ValueError:
            raise BadInput(
                "config [portal] priorities: expected low, normal, high, urgent") from None
    if "organisation_tickets" in data:
        values["organisation_tickets"] = bool(data.pop("organisation_tickets"))
    if data:
        raise BadInput(f"config [portal]: unknown key(s) {', '.join(sorted(data))}")
    return PortalSettings(**{**defaults.__dict__, **values, "forms": forms})
