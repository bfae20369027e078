"""``groupguard packet verify`` answers before Django starts: it needs only the folder and key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_console_command_verifies_without_django(tmp_path: Path) -> None:
    code = (
        "import sys; from groupguard.cli.main import main\n"
        "try:\n"
        f"    main(['groupguard', 'packet', 'verify', {str(tmp_path / 'missing')!r}])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 2, exit.code\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "missing" in result.stderr
