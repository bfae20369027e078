"""Store every user name in the one form sign-in and the lockout use (accounts.usernames).

Names that differ only in case or width become one name. Two accounts whose names fold to the
same name cannot both keep it: the migration stops and names them, and nothing is changed,
so an operator can rename one first (``groupguard shell`` or the admin).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db import migrations


def _normalize(raw: str) -> str:
    # A frozen copy of accounts.usernames.normalize_username: migrations do not import app code
    # that may change later.
    folded = unicodedata.normalize("NFKC", raw).casefold()
    return unicodedata.normalize("NFKC", folded).strip()


def normalize(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model("accounts", "User")
    rows = list(User.objects.values_list("pk", "username"))
    owners: dict[str, list[str]] = {}
    for _pk, username in rows:
        owners.setdefault(_normalize(username), []).append(username)
    clashes = {name: found for name, found in owners.items() if len(found) > 1}
    if clashes:
        listed = "; ".join(" and ".join(repr(n) for n in found) for found in clashes.values())
        raise RuntimeError(
            "These user names differ only in case or width and would become the same name: "
            f"{listed}. Rename all but one of each, then migrate again."
        )
    for pk, username in rows:
        normal = _normalize(username)
        if normal != username:
            User.objects.filter(pk=pk).update(username=normal)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [migrations.RunPython(normalize, migrations.RunPython.noop)]
