"""Demo and scale practices: seeding that runs through every domain app's actions.

This package sits above the domain apps (it may import any of them, none imports it) and
below the faces: ``groupguard demo``, ``serve`` on first run and ``seed-scale`` call it.
The demo accounts' marker (``is_demo_account``) lives in ``accounts.demo_accounts`` because
sign-in reads it.
"""
