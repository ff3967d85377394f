"""Schema version 9: customer accounts for the web portal, their sessions, one-time links
and failed logins (for rate limiting).

The tables are made from frozen model copies, so peewee writes the DDL each backend
understands (INTEGER PRIMARY KEY on SQLite, SERIAL on PostgreSQL).
"""

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

VERSION = 9


def _models(db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Contact(Base):
        id = AutoField()

    class CustomerAccount(Base):
        id = AutoField()
        contact = ForeignKeyField(Contact, unique=True, on_delete="CASCADE")
        password_hash = TextField(null=True)
        language = CharField(null=True)
        timezone = CharField(default="UTC")
        page_size = IntegerField(default=20)
        sms_opt_in = BooleanField(default=False)
        confirmed_at = DateTimeField(null=True)
        created_at = DateTimeField()

    class PortalSession(Base):
        id = AutoField()
        account = ForeignKeyField(CustomerAccount, on_delete="CASCADE")
        token_hash = CharField(unique=True)
        created_at = DateTimeField()
        expires_at = DateTimeField(index=True)

    class PortalLink(Base):
        id = AutoField()
        account = ForeignKeyField(CustomerAccount, on_delete="CASCADE")
        purpose = CharField()
        token_hash = CharField(unique=True)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)

    class LoginFailure(Base):
        id = AutoField()
        scope = CharField()
        key = CharField()
        at = DateTimeField()

        class Meta:
            indexes = ((("scope", "key", "at"), False),)

    return [CustomerAccount, PortalSession, PortalLink, LoginFailure]


def up(db) -> None:
    """Add customer_account, portal_session, portal_link and login_failure."""
    db.create_tables(_models(db), safe=False)
