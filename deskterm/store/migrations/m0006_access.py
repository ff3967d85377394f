"""Schema version 6: identity, roles and an audit trail nobody can edit.

- `agent.os_user`: the OS account that *is* this agent (unique when set);
  `agent.enabled`: a disabled agent can do nothing (unlike `active`, which only means
  "available for assignment").
- `queue.outsiders`: what agents outside the queue's team may do there: `read` or `hidden`.
- `event.via`: the admin who acted as another agent (`--as`), recorded as "admin X as Y".
- Triggers that refuse UPDATE and DELETE on `event`: the audit trail is append-only,
  enforced by the database itself.

Existing agents keep working: the old rule made the OS user named like an agent that
agent, so `os_user` starts as the username.
"""

VERSION = 6

#: Refuse any change to a written event (SQLite). `POSTGRES_APPEND_ONLY` is the same rule
#: for the PostgreSQL backend.
SQLITE_APPEND_ONLY = [
    'CREATE TRIGGER IF NOT EXISTS "event_no_update" BEFORE UPDATE ON "event" '
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END",
    'CREATE TRIGGER IF NOT EXISTS "event_no_delete" BEFORE DELETE ON "event" '
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END",
]

POSTGRES_APPEND_ONLY = [
    'CREATE OR REPLACE FUNCTION "event_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$ '
    "BEGIN RAISE EXCEPTION 'events are append-only: % refused', TG_OP; END $$",
    'CREATE TRIGGER "event_no_update" BEFORE UPDATE OR DELETE ON "event" '
    'FOR EACH ROW EXECUTE FUNCTION "event_append_only"()',
    'CREATE TRIGGER "event_no_truncate" BEFORE TRUNCATE ON "event" '
    'FOR EACH STATEMENT EXECUTE FUNCTION "event_append_only"()',
]

STATEMENTS = [
    'ALTER TABLE "agent" ADD COLUMN "os_user" VARCHAR(255)',
    'ALTER TABLE "agent" ADD COLUMN "enabled" INTEGER NOT NULL DEFAULT 1',
    'UPDATE "agent" SET "os_user" = "username"',
    'CREATE UNIQUE INDEX IF NOT EXISTS "agent_os_user" ON "agent" ("os_user")',
    "ALTER TABLE \"queue\" ADD COLUMN \"outsiders\" VARCHAR(255) NOT NULL DEFAULT 'read'",
    'ALTER TABLE "event" ADD COLUMN "via" VARCHAR(255)',
    'CREATE INDEX IF NOT EXISTS "event_actor_at" ON "event" ("actor", "at")',
]


def up(db) -> None:
    """Add identity and access columns, then make events append-only."""
    for statement in STATEMENTS:
        db.execute_sql(statement)
    for statement in SQLITE_APPEND_ONLY:
        db.execute_sql(statement)
