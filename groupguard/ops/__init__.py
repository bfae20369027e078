"""Operations on the whole installation: backup and restore, key rotation, and the key check a
server runs before it serves.

These touch every app's tables (every sealed field, every audit log), so they sit above the
domain apps and below the faces (``groupguard backup``, ``restore``, ``rotate-keys``,
``serve`` and the WSGI app call them). ``core`` and ``audit`` never import this package.
"""
