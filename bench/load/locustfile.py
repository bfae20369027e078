"""The simulated staff member of ``make load``: one clinician at work in the browser.

Each locust user signs in once as its own account of the plan (``bench/load/prepare.py``),
through the real pages: the password form, then the code form with a code computed from the
account's authenticator secret (codes are accepted once, so no two users share an account).
Then, until the run ends, it does one thing at a time and thinks 1 to 3 seconds between two
(a clinician reading a page, then clicking on): 30 users model 30 staff working at once.

What it does, by weight (90 reads to 10 writes):

| weight | action | requests (name in the stats) |
|---|---|---|
| 25 | open the dashboard | ``dashboard`` |
| 20 | open one of its groups | ``group page`` |
| 25 | open a member of its groups | ``member page`` |
| 20 | load a member's timeline | ``member timeline`` (``GET /api/v1/members/{id}/timeline`` with the browser session; the web shows the timeline inside the member page) |
| 4 | log a contact | ``contact form``, then ``contact: save`` (the form's POST) |
| 4 | correct attendance | ``session page``, then ``attendance: record`` (the row's htmx POST) |
| 2 | a member signs the group agreement through their link, on their own device (a fresh anonymous browser) | ``sign: open``, ``sign: identity``, ``sign: read``, ``sign: answers``, ``sign: finish page``, ``sign: sign`` |

Every request is checked: a status other than the one the page answers with when all is well
(200, or 302 to the expected page for a form's POST) is a failure, a redirect to the sign-in
page included. ``drive.py`` switches the phase (``PHASE``): in the *capacity* phase every user
requests one endpoint after another without thinking, to measure the throughput the server
can give each endpoint, against the floor: ``GET /healthz``, anonymous.

Runs under ``drive.py``; for a look in locust's own UI against a kept server:
``LOAD_PLAN=plan.json .venv/bin/locust -f bench/load/locustfile.py --host http://127.0.0.1:P``.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import sys
import time
import zoneinfo
from pathlib import Path
from typing import Any

from locust import HttpUser, task
from locust.clients import HttpSession
from locust.exception import StopUser
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load.report import CAPACITY_ENDPOINTS, THINK_SECONDS  # noqa: E402

WEIGHTS = {
    "dashboard": 25,
    "group": 20,
    "member": 25,
    "timeline": 20,
    "contact": 4,
    "attendance": 4,
    "signature": 2,
}
NEXT_STATUS = {"attended": "late", "late": "absent", "absent": "attended", "cancelled": "attended"}
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Phase:
    """What the users do now; ``drive.py`` moves it along: ``sign_in`` (nothing after signing
    in, until every user is in), ``mix`` (the realistic mix), ``settle`` (nothing, while the
    last think times run out), ``capacity`` (``endpoint`` without thinking), ``done``. Without
    ``drive.py`` (locust's own command line) the users go straight to the mix."""

    def __init__(self) -> None:
        self.name = "mix"
        self.endpoint = ""


PHASE = Phase()
# drive.py --each-action-first: every user does each action once before the random mix, so
# that a short run (the smoke test) exercises every flow.
OPTIONS = {"each_action_first": False}
_numbers = itertools.count()
_plan: dict[str, Any] | None = None


class Progress:
    """Sign-ins so far, for ``drive.py`` to start the clock when every user is in, and the
    requests sent twice (see ``browser``)."""

    signed_in = 0
    refused = 0
    retried = 0


def browser(session: HttpSession) -> HttpSession:
    """Retry once, like a browser, a request whose kept-alive connection the server had just
    closed (gunicorn closes idle ones after 2 s, and think times are 1 to 3 s: now and then
    the two cross). Only failures to connect or to read an answer are retried, never an
    answer; each retry is counted (``Progress.retried``) and reported."""
    retry = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods=None)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


def plan() -> dict[str, Any]:
    global _plan
    if _plan is None:
        _plan = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
    return _plan


def totp(key_hex: str, counter: int, digits: int = 6) -> str:
    """RFC 4226/6238: the code of one time step, as an authenticator app computes it."""
    mac = hmac.new(bytes.fromhex(key_hex), counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    return match.group(1) if match else ""


class StaffUser(HttpUser):
    """A clinician of the scale practice: signs in once, then reads and writes (see above)."""

    def wait_time(self) -> float:
        if PHASE.name == "capacity":
            return 0.0
        if PHASE.name != "mix":
            return 0.1
        return self.rng.uniform(*THINK_SECONDS)

    def on_start(self) -> None:
        number = next(_numbers)
        accounts = plan()["accounts"]
        self.account: dict[str, Any] = accounts[number % len(accounts)]
        self.rng = random.Random(number)  # noqa: S311  (which page next, not security)
        self.tz = zoneinfo.ZoneInfo(plan()["timezone"])
        self.links: list[dict[str, Any]] = list(self.account["links"])
        self.attendance: list[dict[str, str]] = [dict(p) for p in self.account["attendance"]]
        self.last_step = self.account["totp"]["min_step"] - 1
        browser(self.client)
        self.anonymous = browser(HttpSession(self.host, self.environment.events.request, self))
        self.mix_started = False
        # The rarest first, so that even a few seconds see every write.
        first = sorted(WEIGHTS, key=WEIGHTS.__getitem__) if OPTIONS["each_action_first"] else []
        self.first: list[str] = first
        if not self.sign_in():
            Progress.refused += 1
            raise StopUser
        Progress.signed_in += 1

    # --- requests ----------------------------------------------------------------------

    @staticmethod
    def _failed(r: Any) -> str:
        if r.status_code == 0:  # no answer: the exception says why
            return f"no answer: {r.error!r}"[:300]
        where = r.headers.get("Location", "")
        return f"HTTP {r.status_code}" + (f" to {where}" if where else "")

    @staticmethod
    def _count_retry(r: Any) -> None:
        retries = getattr(getattr(r, "raw", None), "retries", None)
        if retries is not None and retries.history:
            Progress.retried += 1

    def _get(self, client: Any, path: str, name: str, **kwargs: Any) -> Any:
        """GET that must answer 200; the response, or None after recording a failure."""
        with client.get(path, name=name, allow_redirects=False, catch_response=True, **kwargs) as r:
            self._count_retry(r)
            if r.status_code != 200:
                r.failure(self._failed(r))
                return None
            r.success()
            return r

    def _post(
        self, client: Any, path: str, name: str, data: Any, expect: str | None, **kwargs: Any
    ) -> Any:
        """POST that must answer 302 to a path starting ``expect`` (or 200 if ``expect`` is
        None); the response, or None after recording a failure."""
        with client.post(
            path, data=data, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as r:
            self._count_retry(r)
            where = r.headers.get("Location", "")
            ok = (
                r.status_code == 200
                if expect is None
                else r.status_code == 302 and where.startswith(expect)
            )
            if not ok:
                r.failure(self._failed(r))
                return None
            r.success()
            return r

    def sign_in(self) -> bool:
        form = self._get(self.client, "/login/", "login page")
        if form is None:
            return False
        answer = self._post(
            self.client,
            "/login/",
            "login: password",
            {
                "username": self.account["username"],
                "password": self.account["password"],
                "next": "",
                "csrfmiddlewaretoken": csrf_token(form.text),
            },
            expect="/",
        )
        if answer is None:
            return False
        page = self._get(self.client, "/login/code/", "login code page")
        if page is None:
            return False
        return (
            self._post(
                self.client,
                "/login/code/",
                "login: code",
                {"code": self._code(), "next": "/", "csrfmiddlewaretoken": csrf_token(page.text)},
                expect="/",
            )
            is not None
        )

    def _code(self) -> str:
        """The code of the first step not spent yet, waiting when even that is ahead of the
        one step of drift the server allows."""
        device = self.account["totp"]
        while True:
            now_step = int((time.time() - device["t0"]) // device["step"]) + device["drift"]
            step = max(now_step, self.last_step + 1)
            if step <= now_step + 1:
                self.last_step = step
                return totp(device["key"], step, device["digits"])
            time.sleep(1)

    # --- the mix -----------------------------------------------------------------------

    @task
    def step(self) -> None:
        if PHASE.name == "capacity":
            self.capacity(PHASE.endpoint)
            return
        if PHASE.name != "mix":
            return
        if not self.mix_started:
            # Staff do not all click at the same instant: start after a think time of one's own.
            self.mix_started = True
            time.sleep(self.rng.uniform(0, THINK_SECONDS[1]))
        if self.first:
            action = self.first.pop(0)
        else:
            action = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        getattr(self, f"do_{action}")()

    def _member(self) -> dict[str, str]:
        return dict(self.rng.choice(self.account["members"]))

    def do_dashboard(self) -> None:
        self._get(self.client, "/", "dashboard")

    def do_group(self) -> None:
        self._get(self.client, f"/groups/{self.rng.choice(self.account['groups'])}/", "group page")

    def do_member(self) -> None:
        self._get(self.client, f"/members/{self._member()['member']}/", "member page")

    def do_timeline(self) -> None:
        member = self._member()["member"]
        self._get(self.client, f"/api/v1/members/{member}/timeline", "member timeline")

    def do_contact(self) -> None:
        target = self._member()
        path = f"/contacts/new/?member={target['member']}"
        form = self._get(self.client, path, "contact form")
        if form is None:
            return
        note = self.rng.choice(plan()["notes"])
        when = datetime.datetime.now(self.tz) - datetime.timedelta(minutes=self.rng.randint(5, 90))
        data = {
            "csrfmiddlewaretoken": csrf_token(form.text),
            "group": target["group"],
            "members": [target["member"]],
            "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
            "setting": "after_session",
            "initiated_by": "member",
            "others_present": "",
            "summary": note["summary"],
            "request": note["request"],
            "suggested": note["request"],
            "request_touched": "",
        }
        if note["request"] != "none":
            data["reminded_agreement"] = "on"
        self._post(self.client, path, "contact: save", data, expect="/contacts/")

    def do_attendance(self) -> None:
        if not self.attendance:
            self.do_contact()
            return
        pair = self.rng.choice(self.attendance)
        page = self._get(self.client, f"/sessions/{pair['session']}/", "session page")
        if page is None:
            return
        token = csrf_token(page.text)
        status = NEXT_STATUS.get(pair["status"], "attended")
        answer = self._post(
            self.client,
            f"/sessions/{pair['session']}/attendance/{pair['member']}/",
            "attendance: record",
            {"status": status},
            expect=None,
            headers={"HX-Request": "true", "X-CSRFToken": token},
        )
        if answer is not None:
            pair["status"] = status

    def do_signature(self) -> None:
        if not self.links:
            self.do_contact()
            return
        link = self.links.pop()
        # The member's own phone: a browser with no session of ours.
        phone = browser(HttpSession(self.host, self.environment.events.request, self))
        base = f"/sign/{link['token']}/"
        page = self._get(phone, base, "sign: open")
        if page is None:
            return
        data = {"answer": link["code"], "csrfmiddlewaretoken": csrf_token(page.text)}
        if self._post(phone, base, "sign: identity", data, expect=base + "read/") is None:
            return
        page = self._get(phone, base + "read/", "sign: read")
        if page is None:
            return
        data = {**{k: str(v) for k, v in link["answers"].items()}}
        data["csrfmiddlewaretoken"] = csrf_token(page.text)
        if self._post(phone, base + "read/", "sign: answers", data, expect=base + "sign/") is None:
            return
        page = self._get(phone, base + "sign/", "sign: finish page")
        if page is None:
            return
        data = {
            "csrfmiddlewaretoken": csrf_token(page.text),
            "typed_name": link["typed_name"],
            "agree": "on",
        }
        if link["minor"]:
            data.update(guardian_name=link["guardian_name"], minor_assent="on")
        self._post(phone, base + "sign/", "sign: sign", data, expect=None)

    # --- capacity ----------------------------------------------------------------------

    def capacity(self, endpoint: str) -> None:
        name = f"capacity: {endpoint}"
        if endpoint == "floor":
            self._get(self.anonymous, "/healthz", name)
        elif endpoint == "dashboard":
            self._get(self.client, "/", name)
        elif endpoint == "group page":
            self._get(self.client, f"/groups/{self.rng.choice(self.account['groups'])}/", name)
        elif endpoint == "member page":
            self._get(self.client, f"/members/{self._member()['member']}/", name)
        elif endpoint == "member timeline":
            self._get(self.client, f"/api/v1/members/{self._member()['member']}/timeline", name)
        else:
            raise ValueError(f"no capacity endpoint {endpoint!r}; one of {CAPACITY_ENDPOINTS}")
