"""Killing the server (kill -9) in the middle of writes leaves a log that verifies and holds an
entry for every write that was acknowledged.

A pure subprocess test: it uses no test database of pytest-django (it asks for no ``db``).
It builds the demo practice in its own data directory (SQLite, or a fresh PostgreSQL database
when the suite runs with ``DATABASE_URL``), serves it with ``groupguard serve``, drives API
writes from several client threads and kills the server's whole process group with SIGKILL
at a random moment, again and again. Afterwards fresh processes check the database and log.

The writes are the product's own: new members, attendance and out-of-session contacts (whose
summary is encrypted: the check reads it back decrypted). ``GROUPGUARD_CRASH_KILLS`` sets the
number of kills (default 20; ``make soak`` runs 200 on each database); ``GROUPGUARD_CRASH_SEED``
replays the same random choices (the timing of a crash never replays exactly).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import http.client
import json
import os
import random
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.durability.support import fresh_database, process_environment

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
KILLS = max(1, int(os.environ.get("GROUPGUARD_CRASH_KILLS", "20")))
CLIENTS = 4
BOOT_SECONDS = 90.0  # the first start collects and compresses the static files
REQUEST_SECONDS = 10.0
STATUSES = ["attended", "late", "absent"]
ENCRYPTION_KEYS = json.dumps(
    {"active": "kcrash1", "keys": {"kcrash1": base64.b64encode(b"c" * 32).decode()}}
)
SECRET_KEY = "crash-test-secret-key-" + "y" * 50

ISSUE_TOKEN = """
import django
django.setup()
from groupguard.accounts.actions import issue_api_token
from groupguard.accounts.models import User
ada = User.objects.get(username="ada", practice__slug="demo")
print(issue_api_token(ada, name="crash test", acting_user=ada)[1])
"""

CONTACT_ROWS = """
import json
import django
django.setup()
from groupguard.contacts.models import Contact
rows = Contact.objects.filter(practice__slug="demo")
print(json.dumps({str(c.id): c.summary for c in rows}))
"""

ATTENDANCE_ROWS = """
import json
import django
django.setup()
from groupguard.practice.models import Attendance
rows = Attendance.objects.filter(session__group__practice__slug="demo")
print(json.dumps([[str(a.session_id), str(a.member_id), a.status] for a in rows]))
"""

# Never send the test's requests through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Acks:
    """What the server acknowledged (a 2xx answer), and what else happened, across threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    members: dict[str, str] = field(default_factory=dict)  # member id -> family name sent
    attendance: list[tuple[str, str, str]] = field(default_factory=list)  # session, member, status
    contacts: dict[str, str] = field(default_factory=dict)  # contact id -> summary sent
    refused: list[str] = field(default_factory=list)  # non-2xx answers
    cut_off: int = 0  # requests sent that got no answer: the server died under them
    unreachable: int = 0  # connections refused: the server was already dead


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(
    base: str, method: str, path: str, token: str | None = None, body: object = None
) -> tuple[int, Any]:
    """One request to the local server: (status, parsed JSON or text). Raises on no answer."""
    assert base.startswith("http://127.0.0.1:")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)  # noqa: S310
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with _OPENER.open(request, timeout=REQUEST_SECONDS) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


class Server:
    """``groupguard serve`` in its own process group, killed with SIGKILL."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""

    def start(self) -> None:
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        with self.log.open("ab") as out:
            out.write(f"\n===== serve on port {port} =====\n".encode())
            out.flush()
            self.proc = subprocess.Popen(  # noqa: S603
                [
                    *_groupguard(),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    "2",
                    "--threads",
                    "2",
                ],
                env=self.env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + BOOT_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"groupguard serve exited with {self.proc.returncode}:\n{self.tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if _call(self.base, "GET", "/healthz")[0] == 200:
                    return
            time.sleep(0.1)
        pytest.fail(f"groupguard serve did not answer /healthz in {BOOT_SECONDS} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the master and its workers at once, and wait until they are gone."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        _wait_group_gone(proc.pid)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def _wait_group_gone(pgid: int, timeout: float = 10.0) -> None:
    """Wait until no live process is left in the group (zombies hold no locks or files)."""
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():
        time.sleep(0.2)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = False
        for stat in proc_dir.glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    alive = True
                    break
        if not alive:
            return
        time.sleep(0.05)
    pytest.fail(f"processes of group {pgid} outlived SIGKILL for {timeout} s")


def _groupguard() -> list[str]:
    return [sys.executable, "-m", "groupguard.cli.main"]


def _run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603
        [*_groupguard(), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"groupguard {' '.join(args)} exited with {result.returncode}:\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def _python(env: dict[str, str], code: str) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        pytest.fail(f"python snippet exited with {result.returncode}:\n{result.stderr[-3000:]}")
    return result.stdout


def _environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    return process_environment(
        data_dir,
        database_url,
        encryption_keys=ENCRYPTION_KEYS,
        secret_key=SECRET_KEY,
        GROUPGUARD_DEMO="1",  # the demo's accounts (ada's API token) work only in demo mode
        # Collected static files shared by the runs (serve collects only what changed).
        GROUPGUARD_STATIC_ROOT=str(Path(tempfile.gettempdir()) / "groupguard-test-static"),
        # gunicorn's control socket goes here, not into a ~/.gunicorn shared with other servers.
        XDG_RUNTIME_DIR=str(data_dir),
    )


@dataclass
class Targets:
    attendance: list[tuple[str, str]]  # (session, member) pairs whose attendance ada records
    contacts: list[tuple[str, str, str]]  # (group, member, moment) ada logs contacts with


def _targets(base: str, token: str, acks: Acks) -> Targets:
    """What ada can write to: attendance pairs (each tried once here) and contact pairs."""
    status, groups = _call(base, "GET", "/api/v1/groups", token)
    assert status == 200, groups
    targets: list[tuple[str, str]] = []
    contacts: list[tuple[str, str, str]] = []
    now = time.time()
    for group in groups:
        status, sessions = _call(base, "GET", f"/api/v1/groups/{group['id']}/sessions", token)
        assert status == 200, sessions
        held = [s for s in sessions if s["status"] != "cancelled"]
        past = [
            s for s in held if datetime.datetime.fromisoformat(s["starts_at"]).timestamp() < now
        ]
        for session in past[-2:]:  # contacts right after a recent session, with its members
            status, detail = _call(base, "GET", f"/api/v1/sessions/{session['id']}", token)
            assert status == 200, detail
            for row in detail["attendance"][:2]:
                contacts.append((str(group["id"]), str(row["member_id"]), detail["starts_at"]))
        for session in held[:2]:
            status, detail = _call(base, "GET", f"/api/v1/sessions/{session['id']}", token)
            assert status == 200, detail
            for row in detail["attendance"][:2]:
                pair = (str(session["id"]), str(row["member_id"]))
                path = f"/api/v1/sessions/{pair[0]}/attendance/{pair[1]}"
                status, out = _call(base, "PUT", path, token, {"status": STATUSES[0]})
                if status == 200:
                    acks.attendance.append((*pair, STATUSES[0]))
                    targets.append(pair)
    return Targets(attendance=targets, contacts=sorted(set(contacts)))


def _client(
    number: int,
    base: str,
    token: str,
    cycle: int,
    seed: int,
    targets: Targets,
    acks: Acks,
    stop: threading.Event,
) -> None:
    """Write until stopped: new members, contacts, and attendance on this client's own pairs."""
    rng = random.Random(f"{seed}-{cycle}-{number}")
    # One writer per attendance pair: concurrent upserts of one row are not the point here.
    mine = targets.attendance[number::CLIENTS]
    sent = 0
    while not stop.is_set():
        sent += 1
        draw = rng.random()
        try:
            if targets.contacts and draw < 0.35:
                group_id, member_id, moment = rng.choice(targets.contacts)
                summary = f"Crash note {cycle}x{number}x{sent}: asked to talk after group"
                status, out = _call(
                    base,
                    "POST",
                    "/api/v1/contacts",
                    token,
                    {
                        "group": group_id,
                        "members": [member_id],
                        "occurred_at": moment,
                        "setting": "phone",
                        "initiated_by": "member",
                        "summary": summary,
                        "request": "none",
                    },
                )
                if 200 <= status < 300:
                    with acks.lock:
                        acks.contacts[str(out["id"])] = summary
            elif mine and draw < 0.55:
                session_id, member_id = rng.choice(mine)
                choice = rng.choice(STATUSES)
                path = f"/api/v1/sessions/{session_id}/attendance/{member_id}"
                status, out = _call(base, "PUT", path, token, {"status": choice})
                if 200 <= status < 300:
                    with acks.lock:
                        acks.attendance.append((session_id, member_id, choice))
            else:
                family = f"Crash{cycle}x{number}x{sent}"
                status, out = _call(
                    base,
                    "POST",
                    "/api/v1/members",
                    token,
                    {"given_name": "K", "family_name": family},
                )
                if 200 <= status < 300:
                    with acks.lock:
                        acks.members[str(out["id"])] = family
        except (OSError, http.client.HTTPException) as exc:
            # No answer: not acknowledged. Either the server died under the request or it was
            # already dead and refused the connection.
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            with acks.lock:
                if isinstance(reason, ConnectionRefusedError):
                    acks.unreachable += 1
                else:
                    acks.cut_off += 1
            time.sleep(0.02)
            continue
        if not 200 <= status < 300:
            with acks.lock:
                acks.refused.append(f"{status}: {str(out)[:300]}")


def _check(env: dict[str, str], data_dir: Path, sqlite: bool, acks: Acks, note: str) -> None:
    """With the server dead: fresh processes look at what survived."""
    if sqlite:
        db = sqlite3.connect(data_dir / "groupguard.sqlite3")
        try:
            integrity = db.execute("PRAGMA integrity_check").fetchall()
        finally:
            db.close()
        assert integrity == [("ok",)], f"{note}: {integrity}"

    verify = _run(env, "audit", "verify", "--practice", "demo", check=False)
    assert verify.returncode == 0, f"{note}: audit verify failed:\n{verify.stdout}\n{verify.stderr}"

    members = {row["id"] for row in json.loads(_run(env, "members", "--practice", "demo").stdout)}
    lost = sorted(set(acks.members) - members)
    assert not lost, f"{note}: {len(lost)} acknowledged members are missing: {lost[:10]}"

    export = _run(env, "audit", "export", "--practice", "demo").stdout
    entries = [json.loads(line)["entry"] for line in export.splitlines() if line.strip()]
    assert [e["index"] for e in entries] == list(range(len(entries))), note
    created = {e["object"]["id"] for e in entries if e["action"] == "member.create"}
    unlogged = sorted(set(acks.members) - created)
    assert not unlogged, (
        f"{note}: {len(unlogged)} acknowledged members have no member.create entry: {unlogged[:10]}"
    )
    phantom = sorted(created - members)
    assert not phantom, (
        f"{note}: member.create entries for members that do not exist: {phantom[:10]}"
    )

    # Contacts: every acknowledged one is stored with the summary sent (decrypted with the key)
    # and logged; every logged one exists.
    stored_contacts = json.loads(_python(env, CONTACT_ROWS))
    lost_contacts = {c: s for c, s in acks.contacts.items() if stored_contacts.get(c) != s}
    assert not lost_contacts, (
        f"{note}: {len(lost_contacts)} acknowledged contacts are missing or changed: "
        f"{list(lost_contacts)[:10]}"
    )
    logged_contacts = {e["object"]["id"] for e in entries if e["action"] == "contact.create"}
    assert set(acks.contacts) <= logged_contacts, f"{note}: acknowledged contacts unlogged"
    assert logged_contacts <= set(stored_contacts), f"{note}: contact.create entries dangle"

    # Attendance: each acknowledged status was logged for its pair, and the last logged status
    # of every pair is the one the database holds.
    logged: dict[tuple[str, str], list[str]] = {}
    for e in entries:
        if e["action"] in {"attendance.create", "attendance.update"}:
            logged.setdefault((e["detail"]["session"], e["member"]), []).append(
                e["detail"]["status"]
            )
    missing = [a for a in acks.attendance if a[2] not in logged.get((a[0], a[1]), [])]
    assert not missing, f"{note}: acknowledged attendance without a log entry: {missing[:10]}"
    stored = {(s, m): status for s, m, status in json.loads(_python(env, ATTENDANCE_ROWS))}
    for pair in {(s, m) for s, m, _ in acks.attendance}:
        assert stored.get(pair) == logged[pair][-1], (
            f"{note}: attendance {pair} is {stored.get(pair)!r} in the database but "
            f"{logged[pair][-1]!r} in the log"
        )


def _acked(acks: Acks) -> int:
    return len(acks.members) + len(acks.attendance) + len(acks.contacts)


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_kill_9_mid_writes_keeps_every_acknowledged_write_in_a_verifying_log(
    tmp_path: Path,
) -> None:
    seed = int(os.environ.get("GROUPGUARD_CRASH_SEED") or secrets.randbits(32))
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with fresh_database("groupguard_crash") as database_url:
        env = _environment(data_dir, database_url)
        _run(env, "demo", "--quiet")
        token = next(
            line.strip()
            for line in _python(env, ISSUE_TOKEN).splitlines()
            if line.strip().startswith("gg_")
        )
        server = Server(env, tmp_path / "server.log")
        acks = Acks()
        cycles: list[str] = []
        try:
            server.start()
            targets = _targets(server.base, token, acks)
            assert targets.attendance, "no session of the demo takes attendance from ada"
            assert targets.contacts, "ada can log contacts with nobody in the demo"
            for cycle in range(KILLS):
                if cycle:
                    server.start()
                stop = threading.Event()
                before = (_acked(acks), acks.cut_off)
                threads = [
                    threading.Thread(
                        target=_client,
                        args=(n, server.base, token, cycle, seed, targets, acks, stop),
                        daemon=True,
                    )
                    for n in range(CLIENTS)
                ]
                for thread in threads:
                    thread.start()
                delay = rng.uniform(0.2, 1.5)
                time.sleep(delay)
                server.kill()
                stop.set()
                for thread in threads:
                    thread.join(timeout=REQUEST_SECONDS + 5)
                    assert not thread.is_alive(), "a client thread hung after the kill"
                cycles.append(
                    f"kill {cycle + 1} after {delay:.2f}s: "
                    f"{_acked(acks) - before[0]} acked, "
                    f"{acks.cut_off - before[1]} cut off"
                )
        finally:
            server.kill()
        note = f"seed {seed}, db {'postgresql' if database_url else 'sqlite'}; " + "; ".join(cycles)
        note += f"; {acks.unreachable} connections refused after kills"
        print(note)
        assert not acks.refused, f"{note}: the server refused writes: {acks.refused[:5]}"
        assert acks.members, f"{note}: no new member was acknowledged"
        assert acks.contacts, f"{note}: no contact was acknowledged"
        log_text = (tmp_path / "server.log").read_text(errors="replace")
        vendor = "postgresql" if database_url else "sqlite"
        assert f"Database: {vendor} (" in log_text, "serve did not report the durability settings"
        assert "WARNING: durability" not in log_text, note
        assert "database is locked" not in log_text, f"{note}: the server hit 'database is locked'"
        assert acks.cut_off, f"{note}: no kill hit a request in flight"
        _check(env, data_dir, database_url is None, acks, note)
