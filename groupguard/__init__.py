"""groupguard: confidentiality records for group therapy practices."""

__version__ = "0.1.0"
