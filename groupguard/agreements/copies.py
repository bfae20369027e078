"""The signed copy of a group agreement: a PDF of the exact version text and the signature.

The same signature always gives the same bytes (the PDF carries no creation time), so a copy
handed to a member can later be compared byte for byte with a fresh one.
"""

from __future__ import annotations

from groupguard.agreements.models import Signature
from groupguard.core import pdf
from groupguard.core.moments import day_text, moment_text


def signed_copy_pdf(signature: Signature) -> bytes:
    version = signature.version
    group = version.group
    signed_at = moment_text(signature.signed_at, group.practice.tz)
    rows: list[tuple[str, str]] = [
        ("Signed by", signature.typed_name),
        ("Signed at", signed_at),
        ("How", signature.get_method_display()),
        ("Version", f"{version.number}, effective {day_text(version.effective_on)}"),
        ("SHA-256 of the text", version.sha256),
    ]
    if signature.guardian_name:
        rows.insert(1, ("Parent or guardian", signature.guardian_name))
        rows.insert(2, ("Minor's own assent", "given" if signature.minor_assent else "not given"))
    if signature.scan_sha256:
        rows.append(("SHA-256 of the paper scan", signature.scan_sha256))
    blocks = [pdf.paragraph(part) for part in version.text.split("\n\n") if part.strip()]
    blocks.append(pdf.heading("Signature", level=2))
    blocks.append(pdf.signature_block(rows))
    document = pdf.Document(
        title=f"Group agreement of {group.name}",
        subtitle=f"{group.practice.name} · version {version.number}",
        blocks=tuple(blocks),
        footer=f"{group.name} · agreement v{version.number} · {version.sha256[:16]}",
    )
    return pdf.render_pdf(document)
