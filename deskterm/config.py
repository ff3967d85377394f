"""Settings from the TOML config file (`paths.config_path()`), with environment overrides.

```toml
[desk]
name = "Example Support"
language = "en"                 # templates/<kind>.<language>.txt, falling back to English
timezone = "Europe/Sarajevo"    # the desk's zone: portal times for visitors who have none
                                # (default: the business calendars' zone if they share one)

[mail]
address = "support@example.com" # From: of outgoing mail and the default Reply-To
domain = "example.com"          # right-hand side of deskterm Message-IDs
secret = ""                     # HMAC key for Message-IDs/tokens; empty: kept in the database
auto_cap = 10                   # automatic mails (confirmations...) per address ...
auto_cap_hours = 3              # ... per this many hours
max_bytes = 26214400            # larger inbound messages are quarantined
outbox_dir = ""                 # Maildir for outgoing mail when no SMTP host (default: data dir)

[mail.routes]                   # To/Cc address -> queue slug
"billing@example.com" = "billing"

[mail.smtp]
host = "smtp.example.com"
port = 587
security = "starttls"           # starttls | ssl | none
user = "support@example.com"
password = ""                   # or DESKTERM_SMTP_PASSWORD

[mail.imap]
host = "imap.example.com"
port = 993
security = "ssl"                # ssl | starttls | none
user = "support@example.com"
password = ""                   # or DESKTERM_IMAP_PASSWORD
folder = "INBOX"
processed = "move"              # move | flag
move_to = "Processed"
```
Environment: DESKTERM_SMTP_HOST/PORT/SECURITY/USER/PASSWORD, DESKTERM_IMAP_HOST/PORT/
SECURITY/USER/PASSWORD/FOLDER, DESKTERM_MAIL_ADDRESS, DESKTERM_MAIL_SECRET.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deskterm import paths
from deskterm.console_settings import ConsoleSettings, console_settings  # noqa: F401 - re-exported
from deskterm.domain import BadInput


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 587
    security: str = "starttls"
    user: str = ""
    password: str = ""
    timeout: float = 30.0
    ca_file: str = ""  # trust this CA (an internal or self-signed server certificate)


@dataclass(frozen=True)
class ImapSettings:
    host: str = ""
    port: int = 993
    security: str = "ssl"
    user: str = ""
    password: str = ""
    folder: str = "INBOX"
    processed: str = "move"
    move_to: str = "Processed"
    timeout: float = 60.0
    ca_file: str = ""  # trust this CA (an internal or self-signed server certificate)


@dataclass(frozen=True)
class MailSettings:
    address: str = "support@deskterm.example"
    domain: str = "deskterm.example"
    secret: str = ""
    auto_cap: int = 10
    auto_cap_hours: float = 3.0
    max_bytes: int = 25 * 1024 * 1024
    outbox_dir: str = ""
    routes: dict[str, str] = field(default_factory=dict)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    imap: ImapSettings = field(default_factory=ImapSettings)


@dataclass(frozen=True)
class SmsSettings:
    """SMS notifications: a generic HTTP gateway (most providers' REST APIs) or files.

    `body` is filled with `{to}` and `{text}` (JSON-escaped when `content_type` is JSON,
    form-encoded otherwise); `auth_header` is one header line, e.g. `Authorization: Bearer x`.
    Without a `url` (gateway "file", the demo) messages are written under `folder`, by
    default `<desk>-mail/sms/`.
    """

    gateway: str = "file"  # http | file
    url: str = ""
    method: str = "POST"
    auth_header: str = ""
    content_type: str = "application/json"
    body: str = '{"to": "{to}", "text": "{text}"}'
    timeout: float = 10.0
    folder: str = ""


@dataclass(frozen=True)
class Config:
    desk_name: str = "deskterm support"
    language: str = "en"
    timezone: str = ""  # [desk] timezone, an IANA name; "" when not set
    mail: MailSettings = field(default_factory=MailSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)
    raw: dict[str, Any] = field(default_factory=dict)  # the whole file, for other sections


_SECURITY = {"starttls", "ssl", "none"}


def _section(cls: type, values: dict[str, Any], env_prefix: str | None, where: str) -> Any:
    known = {f for f in cls.__dataclass_fields__}
    unknown = set(values) - known
    if unknown:
        raise BadInput(f"config [{where}]: unknown key(s) {', '.join(sorted(unknown))}")
    merged = dict(values)
    for name in known if env_prefix else ():
        env = os.environ.get(f"{env_prefix}{name.upper()}")
        if env is not None:
            merged[name] = env
    for name, spec in cls.__dataclass_fields__.items():
        if name in merged and spec.type in ("int", "float"):
            try:
                merged[name] = int(merged[name]) if spec.type == "int" else float(merged[name])
            except (TypeError, ValueError):
                raise BadInput(f"config [{where}] {name}: expected a number") from None
    if "security" in merged and merged["security"] not in _SECURITY:
        raise BadInput(f"config [{where}] security: expected starttls, ssl or none")
    return cls(**merged)


def _desk_zone(value: Any) -> str:
    """`[desk] timezone` checked: an IANA zone name, or "" when not set."""
    if value in ("", None):
        return ""
    import zoneinfo

    if str(value) not in zoneinfo.available_timezones() | {"UTC"}:
        raise BadInput(f"config [desk] timezone: {str(value)!r} is not a time zone "
                       "(an IANA name such as Europe/Zagreb)")
    return str(value)


def load_config(path: Path | None = None) -> Config:
    """Read the config file (missing file: defaults); BadInput names a bad value."""
    path = path or paths.config_path()
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise BadInput(f"config {path}: {error}") from None
    desk = data.get("desk", {})
    mail = dict(data.get("mail", {}))
    smtp = _section(SmtpSettings, mail.pop("smtp", {}), "DESKTERM_SMTP_", "mail.smtp")
    imap = _section(ImapSettings, mail.pop("imap", {}), "DESKTERM_IMAP_", "mail.imap")
    routes = {k.strip().lower(): str(v) for k, v in mail.pop("routes", {}).items()}
    for key, env in (("address", "DESKTERM_MAIL_ADDRESS"), ("secret", "DESKTERM_MAIL_SECRET")):
        if os.environ.get(env):
            mail[key] = os.environ[env]
    if "address" in mail and "domain" not in mail and "@" in str(mail["address"]):
        mail["domain"] = str(mail["address"]).rsplit("@", 1)[1]
    settings = _section(MailSettings, mail, None, "mail")
    settings = MailSettings(**{**settings.__dict__, "routes": routes, "smtp": smtp, "imap": imap})
    if settings.imap.processed not in ("move", "flag"):
        raise BadInput("config [mail.imap] processed: expected move or flag")
    sms = _section(SmsSettings, dict(data.get("sms", {})), "DESKTERM_SMS_", "sms")
    if sms.gateway not in ("http", "file") or (sms.gateway == "http" and not sms.url):
        raise BadInput("config [sms] gateway: expected http (with a url) or file")
    return Config(
        desk_name=str(desk.get("name", Config.desk_name)),
        language=str(desk.get("language", "en")),
        timezone=_desk_zone(desk.get("timezone", "")),
        mail=settings,
        sms=sms,
        raw=data,
    )
