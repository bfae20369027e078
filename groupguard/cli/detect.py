"""``groupguard detect [TEXT] [--language en]``: what the detector finds in a note, as JSON.

Prints one line: ``{"request": "explicit"|"implied"|"none", "matches": [...], "set_aside":
[...], "promises": [...], "flags": [...], "scores": {...}, "model": "..."}``. ``matches`` are the
member's words the request rests on (``start``, ``end``, ``text``, ``rule``, ``level``,
``speaker``, and for the model ``words``: those that weighed most); ``set_aside`` are matches in
someone else's words; ``promises`` the facilitator's own promises of secrecy; ``flags`` the risk
flags (``kind``, ``start``, ``end``, ``text``, ``rule``). Offsets are in characters of the text
given. Reads standard input when no TEXT is given (or TEXT is ``-``). Imports no Django, so it
answers without the framework's start-up: the console command dispatches here before Django
is set up.
"""

from __future__ import annotations

import argparse
import json
import sys

from groupguard.contacts.detect import SUPPORTED_LANGUAGES, detect


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="groupguard detect",
        description="Find requests for secrecy, the facilitator's own promises and risk flags "
        "in a contact note; print them as JSON.",
        epilog='example: groupguard detect "Please don\'t tell the group."',
    )
    parser.add_argument(
        "text",
        nargs="?",
        metavar="TEXT",
        help="the note; without it, or with -, the note is read from standard input",
    )
    parser.add_argument(
        "--language",
        default="en",
        metavar="CODE",
        help=f"language of the rules (supported: {', '.join(SUPPORTED_LANGUAGES)}; default en)",
    )
    return parser


def main(argv: list[str]) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help (0) or a usage error (2), already printed
        return exit.code if isinstance(exit.code, int) else 2
    if args.language not in SUPPORTED_LANGUAGES:  # before waiting on standard input
        print(
            f"groupguard detect: unsupported language {args.language!r} "
            f"(supported: {', '.join(SUPPORTED_LANGUAGES)})",
            file=sys.stderr,
        )
        return 2
    if args.text is None or args.text == "-":
        try:
            text = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError as error:
            print(f"groupguard detect: standard input is not UTF-8: {error}", file=sys.stderr)
            return 2
    else:
        text = args.text
    line = json.dumps(detect(text, args.language).as_json(), ensure_ascii=False) + "\n"
    # UTF-8 whatever the locale: the note may hold curly quotes and accented names.
    sys.stdout.flush()
    sys.stdout.buffer.write(line.encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
