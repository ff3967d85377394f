"""Schema version 13: what PostgreSQL needs in place of SQLite-only objects.

On SQLite this migration changes nothing. On PostgreSQL it adds the search index (a
`tsvector` per ticket with a GIN index, `simple` configuration plus `unaccent`, standing in
for m0001's FTS5 table) and the triggers that announce committed changes on the
`deskterm_changes` channel (LISTEN/NOTIFY, standing in for SQLite's `data_version`),
and makes events append-only as m0006 does on SQLite.
"""

VERSION = 13

POSTGRES_STATEMENTS = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() is only STABLE; naming its dictionary makes the fold usable in indexes.
    "CREATE OR REPLACE FUNCTION deskterm_fold(text) RETURNS text LANGUAGE sql IMMUTABLE "
    "PARALLEL SAFE STRICT AS $$ SELECT regexp_replace(lower(unaccent('unaccent'::regdictionary, "
    "$1)), '[^[:alnum:]]+', ' ', 'g') $$",
    "CREATE OR REPLACE FUNCTION deskterm_tsv(text) RETURNS tsvector LANGUAGE sql IMMUTABLE "
    "PARALLEL SAFE STRICT AS $$ SELECT to_tsvector('simple'::regconfig, deskterm_fold($1)) $$",
    'CREATE TABLE "search_index" ("ticket_id" INTEGER NOT NULL REFERENCES "ticket" ("id") '
    'ON DELETE CASCADE, "doc" tsvector NOT NULL, PRIMARY KEY ("ticket_id"))',
    'CREATE INDEX "search_index_doc" ON "search_index" USING GIN ("doc")',
    "INSERT INTO search_index (ticket_id, doc) SELECT t.id, deskterm_tsv(t.subject) || "
    "COALESCE(deskterm_tsv((SELECT string_agg(e.body, ' ' ORDER BY e.id) FROM entry e "
    "WHERE e.ticket_id = t.id AND e.kind != 'system')), ''::tsvector) FROM ticket t "
    "WHERE t.merged_into_id IS NULL",
    "CREATE OR REPLACE FUNCTION deskterm_notify_change() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN PERFORM pg_notify('deskterm_changes', TG_TABLE_NAME); RETURN NULL; END $$",
]

#: m0006's rule on PostgreSQL: a written event is never changed. The SQLSTATE is an
#: integrity violation, as SQLite's RAISE(ABORT) is, so callers see the same error class.
APPEND_ONLY_EVENTS = [
    'CREATE OR REPLACE FUNCTION "event_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$ '
    "BEGIN RAISE EXCEPTION 'events are append-only: % refused', TG_OP "
    "USING ERRCODE = 'integrity_constraint_violation'; END $$",
    'CREATE TRIGGER "event_no_update" BEFORE UPDATE OR DELETE ON "event" '
    'FOR EACH ROW EXECUTE FUNCTION "event_append_only"()',
    'CREATE TRIGGER "event_no_truncate" BEFORE TRUNCATE ON "event" '
    'FOR EACH STATEMENT EXECUTE FUNCTION "event_append_only"()',
]

#: Tables whose changes screens show (the same ones `services.changes.fingerprint` reads).
WATCHED = ("ticket", "entry", "event", "canned_reply", "outbox_message")


def up(db) -> None:
    """On PostgreSQL: search index, folding functions, change notifications, and m0006's
    append-only events (its SQLite triggers cannot run there)."""
    if getattr(db, "backend", "sqlite") != "postgresql":
        return
    for statement in POSTGRES_STATEMENTS + APPEND_ONLY_EVENTS:
        db.execute_sql(statement)
    for table in WATCHED:
        db.execute_sql(
            f'CREATE TRIGGER "{table}_notify_change" AFTER INSERT OR UPDATE OR DELETE ON '
            f'"{table}" FOR EACH STATEMENT EXECUTE FUNCTION deskterm_notify_change()'
        )
