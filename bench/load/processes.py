"""The processes of a load run: the helpers, ``groupguard serve``, a fresh PostgreSQL database."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENCRYPTION_KEYS = json.dumps(
    {"active": "kload1", "keys": {"kload1": base64.b64encode(b"l" * 32).decode()}}
)
SECRET_KEY = "load-test-secret-key-" + "z" * 50  # noqa: S105  (a throwaway database)
BOOT_SECONDS = 120.0
STEP_SECONDS = 1800  # the longest any one step may take (seeding at scale 1 takes ~15 s)
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class RunBroke(Exception):
    """The run could not measure anything (a step failed); the message says which."""


# --- helpers --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(
    data_dir: Path, database_url: str | None, settings: str = "groupguard.settings"
) -> dict[str, str]:
    """The server's and the helpers' environment: production settings, a throwaway place."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GROUPGUARD_")
        and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PYTHONPATH"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        GROUPGUARD_DATA_DIR=str(data_dir),
        GROUPGUARD_ENCRYPTION_KEYS=ENCRYPTION_KEYS,
        GROUPGUARD_SECRET_KEY=SECRET_KEY,
        GROUPGUARD_DEBUG="0",
        GROUPGUARD_DEMO="0",
        GROUPGUARD_SECURE="0",  # plain HTTP on 127.0.0.1: see the module's docstring
        # One collected copy for every run: `serve` compresses static files only when they
        # changed, instead of at every start in a fresh data directory.
        GROUPGUARD_STATIC_ROOT=str(Path(tempfile.gettempdir()) / "groupguard-load-static"),
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        # gunicorn's control socket goes here, not into a ~/.gunicorn shared with other servers.
        XDG_RUNTIME_DIR=str(data_dir),
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run_helper(env: dict[str, str], args: list[str], what: str) -> str:
    """A helper process to its end; its stdout, or RunBroke with its output."""
    try:
        done = subprocess.run(  # noqa: S603
            [sys.executable, *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=STEP_SECONDS,
        )
    except subprocess.TimeoutExpired as exc:
        raise RunBroke(f"{what} took more than {STEP_SECONDS} s") from exc
    if done.returncode != 0:
        raise RunBroke(
            f"{what} exited with {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    if done.stderr.strip():
        print(done.stderr.strip()[-2000:], file=sys.stderr, flush=True)
    return done.stdout


def _get(url: str) -> int:
    with _OPENER.open(url, timeout=5) as response:  # noqa: S310  (http://127.0.0.1 only)
        return int(response.status)


@contextlib.contextmanager
def serving(env: dict[str, str], log: Path, workers: int, threads: int) -> Iterator[str]:
    """``groupguard serve`` in its own process group; its base URL. Stopped with SIGTERM."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        *("-m", "groupguard.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)),
        *("--workers", str(workers), "--threads", str(threads)),
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, *command],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + BOOT_SECONDS
        while True:
            if proc.poll() is not None:
                raise RunBroke(f"groupguard serve exited with {proc.returncode}:\n{_tail(log)}")
            with contextlib.suppress(OSError):
                if _get(base + "/healthz") == 200:
                    break
            if time.monotonic() > deadline:
                raise RunBroke(
                    f"groupguard serve did not answer in {BOOT_SECONDS} s:\n{_tail(log)}"
                )
            time.sleep(0.2)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


# --- PostgreSQL ---------------------------------------------------------------------------


def postgres_answers(url: str) -> str | None:
    """None when the server answers, else why not."""
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001  (any reason is a reason to skip)
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None
