"""deskterm: a helpdesk that lives in the terminal."""

from deskterm import drivers

__version__ = "0.1.0"

drivers.install()  # psycopg only for a PostgreSQL desk (deskterm.drivers)
