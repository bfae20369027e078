"""Checking a Bundle against the FHIR R4B structure definitions the packet relies on."""

from __future__ import annotations

from collections import defaultdict

from groupguard.evidence.fhir.codes import JSON


def validate_fhir(bundle: JSON) -> None:
    """Raise ValueError, naming the resource, unless ``bundle`` is a valid FHIR R4B Bundle.

    This checks what the ``fhir.resources`` R4B models check: the elements and their nesting,
    required elements, datatypes and their formats (dates, ids, base64). It does not check
    codes against value sets (a status outside its value set passes), FHIRPath invariants or
    profiles.
    """
    from fhir.resources.R4B.bundle import Bundle  # lazily: only packet builds and tests need it
    from pydantic import ValidationError

    try:
        Bundle.model_validate(bundle)
    except ValidationError as error:
        problems: dict[str, list[str]] = defaultdict(list)
        entries = bundle.get("entry", [])
        for e in error.errors():
            loc = e["loc"]
            where = "Bundle"
            if len(loc) >= 3 and loc[0] == "entry" and isinstance(loc[1], int):
                entry = entries[loc[1]]
                resource = entry.get("resource", {})
                where = f"{resource.get('resourceType')} {entry.get('fullUrl')}"
                loc = loc[3:] if loc[2] == "resource" else loc[2:]
            problems[where].append(f"{'.'.join(map(str, loc)) or '(root)'}: {e['msg']}")
        detail = "; ".join(f"{where}: {', '.join(msgs)}" for where, msgs in problems.items())
        raise ValueError(f"Not a valid FHIR R4B Bundle: {detail}") from error
