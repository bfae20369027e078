"""``groupguard assess [FILE] [--pretty]``: "may I raise this in group?", as a JSON decision.

Reads a fact set (a JSON object, see docs/rules.md) from FILE, or from standard input when no
FILE is given (or FILE is ``-``), and prints the engine's decision as one line of JSON:
``{"level", "determining", "factors", "recommendations", "warnings", "rules_version"}``.
Invalid facts exit with status 2 and a message naming the field and its allowed values.
Imports no Django, so it answers without the framework's start-up: the console command
dispatches here before Django is set up.
"""

from __future__ import annotations

import argparse
import json
import sys

from groupguard.disclosures.engine import FactsError, evaluate

EXAMPLE = '{"recipient": "group", "jurisdiction": "US-CA", "agreement": "signed_before"}'


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="groupguard assess",
        description="Decide whether what a member shared may be raised in group (or told to "
        "a third party); print the decision as JSON. Decision support, not legal advice.",
        epilog=f"example: echo '{EXAMPLE}' | groupguard assess",
    )
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="a JSON file of facts; without it, or with -, the facts are read from standard "
        "input (fields and allowed values: docs/rules.md)",
    )
    parser.add_argument("--pretty", action="store_true", help="indent the JSON for reading")
    return parser


def _fail(message: str) -> int:
    print(f"groupguard assess: {message}", file=sys.stderr)
    return 2


def main(argv: list[str]) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help (0) or a usage error (2), already printed
        return exit.code if isinstance(exit.code, int) else 2
    source = "standard input" if args.file in (None, "-") else args.file
    try:
        if args.file in (None, "-"):
            raw = sys.stdin.buffer.read()
        else:
            with open(args.file, "rb") as handle:
                raw = handle.read()
        facts = json.loads(raw.decode("utf-8"))
    except OSError as error:
        return _fail(f"cannot read {source}: {error.strerror or error}")
    except UnicodeDecodeError as error:
        return _fail(f"{source} is not UTF-8: {error}")
    except json.JSONDecodeError as error:
        return _fail(f"{source} is not valid JSON: {error}")
    try:
        decision = evaluate(facts)
    except FactsError as error:
        return _fail(f"invalid facts: {error}")
    text = json.dumps(decision.as_json(), ensure_ascii=False, indent=2 if args.pretty else None)
    # UTF-8 whatever the locale.
    sys.stdout.flush()
    sys.stdout.buffer.write((text + "\n").encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
