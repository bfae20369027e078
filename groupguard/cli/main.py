"""The ``groupguard`` console command.

Every subcommand is a Django management command (``groupguard help`` lists them). Commands
that need no database are dispatched before Django starts, so they answer quickly.
"""

from __future__ import annotations

import os
import sys

GROUPGUARD_COMMANDS = [
    ("serve", "run the web server (migrates, loads the demo on first run with --demo)"),
    ("demo", "create the demo practice (--reset rebuilds it)"),
    ("createpractice", "create a practice"),
    ("createuser", "create a staff user in a practice"),
    ("resetuser", "give a locked-out staff user a new password (--mfa: and a new second step)"),
    ("groups", "list a practice's groups as JSON"),
    ("members", "list a practice's members as JSON"),
    ("detect", "find requests for secrecy in a contact note, as JSON (no database)"),
    ("assess", "may I share this? a disclosure decision for facts in JSON (no database)"),
    ("agreement", "group agreement status as JSON (agreement status --group ID)"),
    ("contacts", "out-of-session contacts as JSON: list, show, log, amend, stats"),
    ("referrals", "referrals to individual therapists as JSON: list, offer, update"),
    ("promises", "promises of confidentiality as JSON: list, close"),
    ("disclosures", "stored disclosure decisions as JSON: assess, list, accounting"),
    ("complaints", "a practice's complaints as JSON (ids and member ids)"),
    ("packet", "evidence packets: build --complaint ID --out DIR; verify DIR [--pubkey KEY]"),
    (
        "audit",
        "the tamper-evident audit log: export, checkpoint, pubkey, prove, consistency, verify",
    ),
    ("backup", "an online, consistent backup with a signed audit checkpoint (--out FILE)"),
    ("restore", "restore a backup into an empty data directory or database, then verify it"),
    ("rotate-keys", "re-encrypt every PHI field under a new key (resumable)"),
    ("seed-scale", "generate a large practice for benchmarks"),
]

USAGE = (
    "usage: groupguard COMMAND [options]   (groupguard COMMAND --help for each)\n\ncommands:\n"
    + "\n".join(f"  {name:<16}{text}" for name, text in GROUPGUARD_COMMANDS)
    + "\n\nDjango's own commands (migrate, check, shell, ...) work too: groupguard help --all\n"
)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) < 2 or args[1] in {"-h", "--help"} or args[1:] == ["help"]:
        sys.stdout.write(USAGE)
        return
    if args[1:3] == ["help", "--all"]:
        args = [args[0], "help"]
    if args[1] == "detect":  # pure Python: answers without Django's start-up
        from groupguard.cli.detect import main as detect_main

        sys.exit(detect_main(args[2:]))
    if args[1:3] == ["packet", "verify"]:  # offline: needs only the folder and the key
        from groupguard.evidence.verify import main as verify_main

        sys.exit(verify_main(args[3:]))
    if args[1] == "assess":  # the pure rule engine, likewise
        from groupguard.cli.assess import main as assess_main

        sys.exit(assess_main(args[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "groupguard.settings")
    from django.core.management import execute_from_command_line

    from groupguard.core.crypto import EncryptionError

    try:
        execute_from_command_line(args)
    except EncryptionError as exc:
        # A missing, replaced or wrong key: one line that says which, not a traceback.
        sys.stderr.write(f"groupguard: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
