"""Passkeys: WebAuthn credentials that sign a user in, as the second step or on their own."""
