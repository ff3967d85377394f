"""The customer web portal: a new-ticket form, ticket pages, accounts.

Routes live in `tickets.py` and `account.py`, the Starlette app in `app.py`; its languages
live in `deskterm.i18n` (below the services, which translate customer mail with them).
"""
