"""The customer web portal: a new-ticket form, ticket pages, accounts.

Routes live in `tickets.py` and `account.py`, the Starlette app in `app.py`; this package
imports nothing heavy, so services can use `deskterm.portal.i18n` for customer mail.
"""
