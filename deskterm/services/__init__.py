"""Every domain operation; the only code that writes the database."""
