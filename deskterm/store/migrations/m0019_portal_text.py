"""Schema version 19: the portal's text columns take text of any length on PostgreSQL.

m0009 made its tables from frozen peewee models, which gave every CharField a
VARCHAR(255) on PostgreSQL: a long e-mail address typed into the login form (kept for
rate limiting) failed there, while SQLite, which never enforces a declared length, took
it. Every other table already has TEXT on both backends. On SQLite nothing changes.
"""

VERSION = 19

#: The CharField columns of m0009's models.
COLUMNS = {
    "customer_account": ("language", "timezone"),
    "portal_session": ("token_hash",),
    "portal_link": ("purpose", "token_hash"),
    "login_failure": ("scope", "key"),
}


def up(db) -> None:
    """Make m0009's VARCHAR(255) columns TEXT (through the backend's migration handle)."""
    for table, columns in COLUMNS.items():
        db.unlimited_text(table, *columns)
