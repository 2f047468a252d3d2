"""Accounts of a site: users, log-in, sessions and API tokens. A node keeps its staff's in its
own database and never replicates them (the city never sees a password hash or a session);
the city keeps its own in ``accounts.sqlite3`` (``central/accounts_db.py``)."""
