"""Checking an evidence packet folder offline, with nothing but the practice's public key.

A **packet** is a folder: ``packet.pdf`` and ``packet.json`` (the records), ``fhir.json``,
``proofs.json`` (the cited audit entries with inclusion proofs against a signed checkpoint) and
``manifest.json`` (the SHA-256 of every other file, signed). :func:`verify_packet` checks, in
order:

a. ``manifest.json`` parses and its signature verifies under the public key;
b. every file the manifest lists is there with that SHA-256, the four packet files are all
   listed, and the folder holds nothing else;
c. the checkpoint in ``proofs.json`` is signed by the same key, and every entry's leaf bytes
   hash to its leaf hash, canonicalize from its parsed JSON, and are proved to be leaf
   ``index`` of the checkpoint's tree;
d. every audit index ``packet.json`` cites has a proof, and every record that gives a
   ``content_sha256`` cites an entry whose ``detail.sha256`` is that hash;
e. every row in ``records`` (a record row as stored, ciphertext included) hashes to its
   ``sha256``, that binding is in the proved entry it cites (``audit.rows``), and the facts
   the packet shows for that record (when, what was asked, what was promised...) are the
   ones stored: a row edited in the database, or a packet edited after the fact, fails here.

This module is deliberately free of Django (a test holds it to that): a board's investigator,
or anyone, can run it from a copy of the source without a database or settings. The file
formats are in ``groupguard.evidence.proofs`` and docs/audit-log.md.

Modules: ``run`` (``verify_packet`` and the command line), ``formats`` (file names, formats
and the report), ``keys``, ``files`` (the manifest and the folder), ``proofs`` (the checkpoint
and inclusion proofs), ``records`` (citations, record rows and what the packet shows).
"""

from __future__ import annotations

from groupguard.evidence.verify.files import plain_name
from groupguard.evidence.verify.formats import (
    EXPECTED_FILES,
    MANIFEST,
    MANIFEST_FORMAT,
    PACKET,
    PROOFS,
    PROOFS_FORMAT,
    Report,
)
from groupguard.evidence.verify.keys import key_id_of, read_public_key
from groupguard.evidence.verify.proofs import canonicalize_or_empty
from groupguard.evidence.verify.records import FACTS, row_sha256
from groupguard.evidence.verify.run import main, verify_packet

__all__ = [
    "EXPECTED_FILES",
    "MANIFEST",
    "MANIFEST_FORMAT",
    "PACKET",
    "PROOFS",
    "PROOFS_FORMAT",
    "Report",
    "FACTS",
    "canonicalize_or_empty",
    "key_id_of",
    "main",
    "plain_name",
    "read_public_key",
    "row_sha256",
    "verify_packet",
]
