"""``make load``: locust against the real server (gunicorn), on SQLite and on PostgreSQL.

- ``run.py`` orchestrates one run per database: seed the scale practice, ``prepare`` the load
  accounts and their targets, serve with ``groupguard serve``, ``drive`` locust, stop the
  server, verify the audit log, ``report`` the figures; ``processes.py`` starts and stops the
  helpers, the server and the PostgreSQL database.
- ``prepare.py`` runs inside Django (a subprocess with the run's environment) and writes the
  *plan*: the accounts the simulated staff sign in as, with their authenticator secrets, and
  what each may open and write.
- ``locustfile.py`` holds the simulated staff member (``StaffUser``); ``drive.py`` runs it
  through locust's library API in timed phases and keeps every request.
- ``report.py`` turns the kept requests into percentiles, throughput and verdicts (pure).
"""
