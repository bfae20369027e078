"""A packet as FHIR R4B: the subject's records as a Bundle another health-record system can read.

``to_fhir`` turns a packet's content (``evidence.packet``, a typed ``Packet``) into a Bundle of type
"collection", plain data too: nothing is read from the database or the clock, so the same packet
gives the same JSON. The Bundle holds

- Patient: the subject member. Group: each group the member was enrolled in, listing the
  subject alone (the other members never appear, not even as their pseudonyms);
- CareTeam: the practitioners named in the member's roles and contacts, by display name;
- DocumentReference: each agreement version (the text a group's members sign; a new version
  is a new text), with the text as redacted in the packet; Consent: each signature of one,
  inactive once a withdrawal follows it;
- Communication: each contact; ServiceRequest: each referral;
- AuditEvent: each audit log entry the packet cites; Provenance: for each contact, assessment
  and signature, the audit entries that recorded it.

Ids: a record's UUID where it has one, else a UUID5 of a fixed namespace, the record's kind and
its key (so a CareTeam or an audit entry gets a stable one too); fullUrls are ``urn:uuid:`` ones.
AuditEvent and Provenance are "recorded" at the checkpoint's timestamp: the packet does not
carry the entries' own times, and the checkpoint (a signed tree head of the audit log, which
includes every cited entry) shows they existed by then.

Modules: ``bundle`` (``to_fhir``: the Bundle put together), ``builder`` (its entries so far),
``codes`` (systems, codes and identifiers), ``people`` (the Patient, Groups, CareTeam),
``records`` (Consents, Communications, ServiceRequests), ``provenance`` (Provenance and
AuditEvents), ``validate`` (``validate_fhir``).
"""

from __future__ import annotations

from groupguard.evidence.fhir.bundle import to_fhir
from groupguard.evidence.fhir.records import SHA256_SYSTEM
from groupguard.evidence.fhir.validate import validate_fhir

__all__ = [
    "SHA256_SYSTEM",
    "to_fhir",
    "validate_fhir",
]
