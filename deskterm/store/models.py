"""peewee models for every noun in DESIGN.md.

The live schema is made by the numbered migrations in `store/migrations/`, never by
`create_tables`: when you add a field here, add a migration that adds the column.
Datetimes are stored as naive UTC (see `deskterm.clock.to_db`).
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from deskterm.store.db import db


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False

    @classmethod
    def upsert(cls, **values: object) -> None:
        """Insert a row, or update the one with the same primary key (both backends)."""
        key = cls._meta.primary_key
        others = [cls._meta.fields[name] for name in values if name != key.name]
        query = cls.insert(**values).on_conflict(conflict_target=[key], preserve=others)
        query.execute()


class Organisation(BaseModel):
    id = AutoField()
    name = CharField(unique=True)


class Contact(BaseModel):
    """A customer: a requester or follower of tickets."""

    id = AutoField()
    name = CharField(default="")
    email = CharField(unique=True)  # stored lower-cased
    phone = CharField(null=True)
    organisation = ForeignKeyField(
        Organisation, null=True, backref="contacts", on_delete="SET NULL"
    )
    contract_no = CharField(null=True)
    created_at = DateTimeField()
    language = CharField(null=True)  # m0007: notifications are written in it
    sms_opt_in = BooleanField(default=False)  # m0007: also notify `phone` by SMS


class Agent(BaseModel):
    id = AutoField()
    username = CharField(unique=True)
    name = CharField()
    email = CharField(default="")
    role = CharField(default="agent")
    timezone = CharField(default="UTC")
    active = BooleanField(default=True)  # available for assignment
    os_user = CharField(null=True, unique=True)  # m0006: the OS account that is this agent
    enabled = BooleanField(default=True)  # m0006: a disabled agent can do nothing


class BusinessCalendar(BaseModel):
    """Weekly hours, a time zone and holidays; `hours` and `holidays` are JSON text."""

    id = AutoField()
    name = CharField(unique=True)
    timezone = CharField(default="UTC")
    hours = TextField(default="{}")  # {"mon": [["08:00", "19:00"]], ...}
    holidays = TextField(default="[]")  # ["2026-12-25", "RRULE:FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1"]


class Team(BaseModel):
    id = AutoField()
    slug = CharField(unique=True)
    name = CharField()
    calendar = ForeignKeyField(BusinessCalendar, null=True, on_delete="SET NULL")


class TeamMember(BaseModel):
    id = AutoField()
    team = ForeignKeyField(Team, backref="members", on_delete="CASCADE")
    agent = ForeignKeyField(Agent, backref="memberships", on_delete="CASCADE")
    is_lead = BooleanField(default=False)

    class Meta:
        indexes = ((("team", "agent"), True),)


class SlaPolicy(BaseModel):
    """Targets per priority (JSON text), counted on a business calendar."""

    id = AutoField()
    name = CharField(unique=True)
    calendar = ForeignKeyField(BusinessCalendar, null=True, on_delete="SET NULL")
    targets = TextField(default="{}")


class Queue(BaseModel):
    id = AutoField()
    slug = CharField(unique=True)
    name = CharField()
    email = CharField(null=True)
    team = ForeignKeyField(Team, null=True, on_delete="SET NULL")
    sla_policy = ForeignKeyField(SlaPolicy, null=True, on_delete="SET NULL")
    outsiders = CharField(default="read")  # m0006: agents outside its team: read | hidden
    language = CharField(null=True)  # m0007: notifications for its tickets, unless the contact's


class Ticket(BaseModel):
    id = AutoField()  # the ref: AUTOINCREMENT semantics via sqlite_sequence, never reused
    subject = CharField()
    status = CharField(default="new", index=True)
    priority = CharField(default="normal")
    priority_rank = IntegerField(default=1)  # low=0 .. urgent=3, for sorting
    queue = ForeignKeyField(Queue, backref="tickets")
    requester = ForeignKeyField(Contact, backref="tickets")
    assignee = ForeignKeyField(Agent, null=True, backref="tickets", on_delete="SET NULL")
    team = ForeignKeyField(Team, null=True, on_delete="SET NULL")
    channel = CharField(default="agent")  # email | web | agent | phone
    language = CharField(null=True)
    created_at = DateTimeField(index=True)
    updated_at = DateTimeField(index=True)
    first_response_at = DateTimeField(null=True)
    resolved_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    snoozed_until = DateTimeField(null=True)
    merged_into = ForeignKeyField("self", null=True, backref="merged_from", on_delete="SET NULL")
    linked_to = ForeignKeyField("self", null=True, backref="links", on_delete="SET NULL")
    first_response_due = DateTimeField(null=True)
    resolution_due = DateTimeField(null=True)
    sla_breached = BooleanField(default=False)
    status_changed_at = DateTimeField(null=True)  # m0004: when the status last changed
    next_response_due = DateTimeField(null=True)  # m0004: running next-response clock
    csat_rating = IntegerField(null=True)
    csat_comment = TextField(null=True)
    version = IntegerField(default=1)


class Follower(BaseModel):
    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="followers", on_delete="CASCADE")
    contact = ForeignKeyField(Contact, on_delete="CASCADE")

    class Meta:
        indexes = ((("ticket", "contact"), True),)


class TicketTag(BaseModel):
    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="tag_links", on_delete="CASCADE")
    name = CharField(index=True)

    class Meta:
        indexes = ((("ticket", "name"), True),)


class Entry(BaseModel):
    """One entry of a ticket's thread: customer message, public reply, note or system line."""

    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="entries", on_delete="CASCADE")
    kind = CharField()
    agent = ForeignKeyField(Agent, null=True, on_delete="SET NULL")
    contact = ForeignKeyField(Contact, null=True, on_delete="SET NULL")
    author = CharField(default="")  # display name, kept even if the agent goes away
    body = TextField(default="")
    created_at = DateTimeField(index=True)
    message_id = CharField(null=True, index=True)
    source_ticket = IntegerField(null=True)  # set when merged in from another ticket


class Attachment(BaseModel):
    id = AutoField()
    entry = ForeignKeyField(Entry, backref="attachments", on_delete="CASCADE")
    filename = CharField()
    content_type = CharField(default="application/octet-stream")
    size = IntegerField()
    sha256 = CharField(index=True)
    path = CharField()  # relative to the attachments dir


class Mention(BaseModel):
    id = AutoField()
    entry = ForeignKeyField(Entry, backref="mentions", on_delete="CASCADE")
    agent = ForeignKeyField(Agent, backref="mentions", on_delete="CASCADE")
    seen = BooleanField(default=False)


class CannedReply(BaseModel):
    id = AutoField()
    title = CharField(unique=True)
    body = TextField()
    set_status = CharField(null=True)
    add_tags = CharField(default="")  # comma separated
    updated_at = DateTimeField()


class SavedView(BaseModel):
    id = AutoField()
    name = CharField()
    query = TextField()
    agent = ForeignKeyField(Agent, null=True, on_delete="CASCADE")  # null: shared
    position = IntegerField(default=0)
    team = ForeignKeyField(Team, null=True, on_delete="CASCADE")  # m0010: shared with a team

    class Meta:
        indexes = ((("agent", "name"), True),)


class Event(BaseModel):
    """The audit record of every change: append-only (m0006 triggers refuse UPDATE/DELETE)."""

    id = AutoField()
    ticket = ForeignKeyField(Ticket, null=True, backref="events", on_delete="CASCADE")
    actor = CharField()
    at = DateTimeField(index=True)
    action = CharField()
    field = CharField(null=True)
    before = TextField(null=True)
    after = TextField(null=True)
    via = CharField(null=True)  # m0006: the admin who acted as `actor` with --as


class OutboxMessage(BaseModel):
    id = AutoField()
    ticket = ForeignKeyField(Ticket, null=True, on_delete="SET NULL")
    entry = ForeignKeyField(Entry, null=True, on_delete="SET NULL")
    kind = CharField()  # ticket_opened | reply | status_changed | survey | notify_agent
    to_addrs = TextField()
    cc_addrs = TextField(default="")
    subject = TextField()
    body = TextField()
    message_id = CharField(index=True)
    headers = TextField(default="{}")  # JSON: In-Reply-To, References, ...
    status = CharField(default="queued", index=True)
    attempts = IntegerField(default=0)
    last_error = TextField(null=True)
    next_attempt_at = DateTimeField(null=True)
    created_at = DateTimeField()
    sent_at = DateTimeField(null=True)
    hold_until = DateTimeField(null=True)  # m0010: not sent before (undo-send window)
    channel = CharField(default="email")  # m0007: email | sms
    render = TextField(null=True)  # m0024: what a row queued as an intent still needs (JSON)


class InboundMessage(BaseModel):
    """Every message the mail channel has seen: imported, ignored or quarantined."""

    id = AutoField()
    message_id = CharField(null=True, index=True)
    digest = CharField(unique=True)  # sha256 of the raw bytes, or of the Message-ID
    ticket = ForeignKeyField(Ticket, null=True, on_delete="SET NULL")
    entry = ForeignKeyField(Entry, null=True, on_delete="SET NULL")
    status = CharField()  # imported | ignored | quarantined
    reason = TextField(null=True)
    raw_path = CharField(null=True)
    received_at = DateTimeField()
    from_addr = CharField(null=True)  # m0003
    subject = TextField(null=True)  # m0003
    source = TextField(null=True)  # m0003: file, mailbox key or imap folder/uid


class TimeEntry(BaseModel):
    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="time_entries", on_delete="CASCADE")
    agent = ForeignKeyField(Agent, null=True, on_delete="SET NULL")
    minutes = IntegerField()
    note = TextField(default="")
    at = DateTimeField()


class Rule(BaseModel):
    """A loaded automation rule; `definition` is the rule as JSON text."""

    id = AutoField()
    name = CharField(unique=True)
    position = IntegerField(default=0)
    enabled = BooleanField(default=True)
    trigger = CharField()
    definition = TextField()
    last_run_at = DateTimeField(null=True)
    hit_count = IntegerField(default=0)
    last_error = TextField(null=True)  # m0004


class Presence(BaseModel):
    """Who is viewing or replying to a ticket right now (heartbeat)."""

    id = AutoField()
    agent = ForeignKeyField(Agent, on_delete="CASCADE")
    ticket = ForeignKeyField(Ticket, on_delete="CASCADE")
    activity = CharField(default="viewing")  # viewing | replying
    seen_at = DateTimeField()

    class Meta:
        indexes = ((("agent", "ticket"), True),)


class Draft(BaseModel):
    id = AutoField()
    agent = ForeignKeyField(Agent, on_delete="CASCADE")
    ticket = ForeignKeyField(Ticket, on_delete="CASCADE")
    mode = CharField(default="reply")  # reply | note
    body = TextField(default="")
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("agent", "ticket"), True),)


class Setting(BaseModel):
    key = CharField(primary_key=True)
    value = TextField()


class SlaBreach(BaseModel):
    """m0004: one missed SLA target (first_response, next_response or resolution)."""

    id = AutoField()
    ticket = ForeignKeyField(Ticket, on_delete="CASCADE")
    target = CharField()
    due_at = DateTimeField()
    recorded_at = DateTimeField(index=True)

    class Meta:
        indexes = ((("ticket", "target", "due_at"), True),)


class RuleHit(BaseModel):
    """m0004: a rule fired on a ticket; `anchor` keeps time rules from firing twice."""

    id = AutoField()
    rule = ForeignKeyField(Rule, on_delete="CASCADE")
    ticket = ForeignKeyField(Ticket, on_delete="CASCADE")
    anchor = CharField()
    at = DateTimeField()

    class Meta:
        indexes = ((("rule", "ticket", "anchor"), True),)


class CustomerAccount(BaseModel):
    """m0009: a requester who registered in the portal."""

    id = AutoField()
    contact = ForeignKeyField(Contact, unique=True, on_delete="CASCADE")
    password_hash = TextField(null=True)  # argon2id; null until a password is set
    language = CharField(null=True)  # null: from the browser's Accept-Language
    timezone = CharField(default="UTC")
    page_size = IntegerField(default=20)
    sms_opt_in = BooleanField(default=False)
    confirmed_at = DateTimeField(null=True)
    created_at = DateTimeField()


class PortalSession(BaseModel):
    """m0009: a logged-in browser; the cookie holds the token, the row only its sha256."""

    id = AutoField()
    account = ForeignKeyField(CustomerAccount, on_delete="CASCADE")
    token_hash = CharField(unique=True)
    created_at = DateTimeField()
    expires_at = DateTimeField(index=True)


class PortalLink(BaseModel):
    """m0009: a one-time link sent by mail (confirm registration, reset password)."""

    id = AutoField()
    account = ForeignKeyField(CustomerAccount, on_delete="CASCADE")
    purpose = CharField()  # confirm | reset
    token_hash = CharField(unique=True)
    created_at = DateTimeField()
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class LoginFailure(BaseModel):
    """m0009: one failed portal login, counted per account and per address."""

    id = AutoField()
    scope = CharField()  # account | address
    key = CharField()
    at = DateTimeField()

    class Meta:
        indexes = ((("scope", "key", "at"), False),)


class ActiveTimer(BaseModel):
    """m0010: the one running time-tracking timer of an agent."""

    id = AutoField()
    agent = ForeignKeyField(Agent, unique=True, on_delete="CASCADE")
    ticket = ForeignKeyField(Ticket, on_delete="CASCADE")
    started_at = DateTimeField()


class RecentTicket(BaseModel):
    """m0010: when an agent last opened a ticket (the recent-tickets list)."""

    id = AutoField()
    agent = ForeignKeyField(Agent, on_delete="CASCADE")
    ticket = ForeignKeyField(Ticket, on_delete="CASCADE")
    opened_at = DateTimeField()

    class Meta:
        indexes = ((("agent", "ticket"), True),)


ALL_MODELS: tuple[type[BaseModel], ...] = (
    Organisation,
    Contact,
    Agent,
    Team,
    TeamMember,
    BusinessCalendar,
    SlaPolicy,
    Queue,
    Ticket,
    Follower,
    TicketTag,
    Entry,
    Attachment,
    Mention,
    CannedReply,
    SavedView,
    Event,
    OutboxMessage,
    InboundMessage,
    TimeEntry,
    Rule,
    Presence,
    Draft,
    Setting,
    SlaBreach,
    RuleHit,
    CustomerAccount,
    PortalSession,
    PortalLink,
    LoginFailure,
    ActiveTimer,
    RecentTicket,
)
