"""Model-based tests (Hypothesis stateful testing) of the rules the records keep, over random
sequences of the real actions acting on the cast's Thursday Group.

Each machine keeps a small model of what should be true, predicts whether each action is
allowed, and checks after every step that the action agreed and that the audit log grew by
exactly the entries the change calls for: nothing changes unaudited, and a refused action
leaves no entry. Invariants re-read the database after every step:

- agreements: no attendance as attended or late without, at the moment it was recorded, a
  signature of the version then current (not withdrawn since) or an audited override;
- contacts: every entry's signature (its content hash) matches what is stored;
- decisions: no assessment without its stored facts and the decision they give.

Each example runs in a savepoint of the test's transaction, rolled back when it ends.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from groupguard.agreements import actions as agreements
from groupguard.agreements import attendance
from groupguard.agreements.attendance import ATTENDING, AgreementRequired
from groupguard.agreements.models import (
    AttendanceOverride,
    ConsentWithdrawal,
    Signature,
    StatementVersion,
)
from groupguard.audit.models import AuditEntry, AuditLog
from groupguard.audit.records import verify_records
from groupguard.contacts import actions as contacts
from groupguard.contacts.models import REFERRAL_MOVES, Contact, Promise, Referral
from groupguard.disclosures import actions as disclosures
from groupguard.disclosures import engine
from groupguard.disclosures.engine.facts import BOOLEANS, CHOICES
from groupguard.disclosures.models import Assessment, Choice, Disclosure
from groupguard.practice import actions as practice
from groupguard.practice.models import Attendance, GroupSession, Member
from tests.conftest import Cast

pytestmark = pytest.mark.fuzz  # generated sequences of actions (Hypothesis state machines)

MACHINE_SETTINGS = settings(
    max_examples=30,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
REASON = "Signed on paper in the waiting room; the scan follows."


class AuditedMachine(RuleBasedStateMachine):
    """The shared frame: a savepoint per example, and the audit entries each step appended.

    ``cast`` is the test's cast, bound to a subclass made for the run (``run``)."""

    cast: Cast

    def __init__(self) -> None:
        super().__init__()
        cast = self.cast
        self.members = [cast.mia, cast.noah]
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.audit_log = AuditLog.objects.get(practice=cast.north)
        self.mark = self._size()

    def _size(self) -> int:
        return AuditEntry.objects.filter(log=self.audit_log).count()

    def audited(self, expected: dict[str, int]) -> list[AuditEntry]:
        """Assert that exactly ``expected`` (action: count) was appended since the last step."""
        entries = list(AuditEntry.objects.filter(log=self.audit_log, index__gte=self.mark))
        self.mark += len(entries)
        assert Counter(e.action for e in entries) == Counter(expected), entries
        return entries

    def audited_objects(self) -> set[str]:
        return set(
            AuditEntry.objects.filter(log=self.audit_log).values_list("object_id", flat=True)
        )

    def teardown(self) -> None:
        # Every record row the run wrote matches the entry that last wrote it (audit.rows).
        # Checked once per run, not per step: it reads every leaf and every row.
        try:
            report = verify_records()
            assert report.ok, report.faults[:5]
        finally:
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)


def attempt(action: Any, *args: Any, **kwargs: Any) -> Any | None:
    """The action's result, or None when it refused with a ValidationError."""
    try:
        return action(*args, **kwargs)
    except ValidationError:
        return None


# --- The group agreement and attendance --------------------------------------------------


class AgreementMachine(AuditedMachine):
    sessions = Bundle("sessions")

    def __init__(self) -> None:
        super().__init__()
        cast = self.cast
        self.group = cast.thursday
        self.version = 1
        self.role = agreements.draft_for(self.group).role_statement
        self.signed: dict[Any, int | None] = {m.id: 1 for m in self.members}
        self.withdrawn: dict[Any, bool] = {m.id: False for m in self.members}
        self.overrides: set[tuple[Any, Any]] = set()
        self.attendance: dict[tuple[Any, Any], str] = {}
        self.held: set[Any] = set()  # sessions someone attended (all have started): held

    def may_attend(self, session: GroupSession, member: Member) -> bool:
        signed = self.signed[member.id] == self.version and not self.withdrawn[member.id]
        return signed or (session.id, member.id) in self.overrides

    @initialize(target=sessions)
    def the_cast_session(self) -> GroupSession:
        return self.cast.session

    @rule(target=sessions)
    def schedule(self) -> GroupSession:
        when = timezone.now() - datetime.timedelta(hours=2)
        session = practice.schedule_session(self.group, starts_at=when, acting_user=self.cast.bob)
        self.audited({"session.create": 1})
        return session

    @rule()
    def publish_a_new_version(self) -> None:
        draft = agreements.draft_for(self.group)
        agreements.save_draft(
            self.group,
            policy=draft.policy,
            clause_ids=list(draft.clause_ids),
            role_statement=f"{self.role} (Revision {self.version + 1}.)",
            acting_user=self.cast.bob,
        )
        agreements.publish(self.group, acting_user=self.cast.bob)
        self.version += 1
        self.audited({"statement.draft_save": 1, "statement.publish": 1})

    @rule(member=st.sampled_from([0, 1]))
    def sign(self, member: int) -> None:
        who = self.members[member]
        agreements.record_signature(
            self.group, who, typed_name=who.full_name, method="in_person", acting_user=self.cast.bob
        )
        self.signed[who.id], self.withdrawn[who.id] = self.version, False
        self.audited({"signature.create": 1})

    @rule(member=st.sampled_from([0, 1]))
    def withdraw(self, member: int) -> None:
        who = self.members[member]
        expected = self.signed[who.id] is not None and not self.withdrawn[who.id]
        done = attempt(
            agreements.withdraw_consent, self.group, who, reason="", acting_user=self.cast.bob
        )
        assert (done is not None) == expected
        self.withdrawn[who.id] |= expected
        self.audited({"consent.withdraw": 1} if expected else {})

    @rule(session=sessions, member=st.sampled_from([0, 1]))
    def override(self, session: GroupSession, member: int) -> None:
        who = self.members[member]
        expected = (session.id, who.id) not in self.overrides
        done = attempt(
            attendance.record_override, session, who, reason=REASON, acting_user=self.cast.bob
        )
        assert (done is not None) == expected
        if expected:
            self.overrides.add((session.id, who.id))
            [entry] = self.audited({"attendance.override": 1})
            assert entry.severity == "high"
        else:
            self.audited({})

    @rule(
        session=sessions,
        member=st.sampled_from([0, 1]),
        status=st.sampled_from(["attended", "late", "absent"]),
    )
    def record_attendance(self, session: GroupSession, member: int, status: str) -> None:
        who = self.members[member]
        allowed = status not in ATTENDING or self.may_attend(session, who)
        try:
            attendance.record_attendance(session, who, status=status, acting_user=self.cast.bob)
        except AgreementRequired:
            assert not allowed, "refused attendance the model allows"
            self.audited({})
            return
        assert allowed, "recorded attendance without a signature or an override"
        previous = self.attendance.get((session.id, who.id))
        self.attendance[(session.id, who.id)] = status
        if previous == status:
            self.audited({})
            return
        expected = {"attendance.create" if previous is None else "attendance.update": 1}
        if status in ATTENDING and session.id not in self.held:
            self.held.add(session.id)
            expected["session.update"] = 1
        self.audited(expected)

    @invariant()
    def attendance_is_justified_when_it_was_recorded(self) -> None:
        for row in Attendance.objects.filter(session__group=self.group, status__in=ATTENDING):
            override = AttendanceOverride.objects.filter(session=row.session, member=row.member)
            if override.exists():
                assert str(override.get().pk) in self.audited_objects()
                continue
            at = row.updated_at
            current = (
                StatementVersion.objects.filter(group=self.group, created_at__lte=at)
                .order_by("-number")
                .first()
            )
            signature = (
                Signature.objects.filter(member=row.member, version__group=self.group)
                .filter(signed_at__lte=at)
                .order_by("-signed_at")
                .first()
            )
            assert current is not None and signature is not None
            assert signature.version_id == current.id, "attended on an older version"
            assert not ConsentWithdrawal.objects.filter(
                member=row.member, group=self.group, withdrawn_at__range=(signature.signed_at, at)
            ).exists(), "attended after withdrawing"

    @invariant()
    def every_change_has_its_entry(self) -> None:
        ids = self.audited_objects()
        for model in (Signature, ConsentWithdrawal, AttendanceOverride, Attendance):
            assert {str(pk) for pk in model.objects.values_list("pk", flat=True)} <= ids


# --- Contacts, promises and referrals ----------------------------------------------------

SUMMARIES = [
    "Mia mentioned her new job after group.",
    "Please don't tell the group, keep this between us: she is moving away.",
]


class ContactMachine(AuditedMachine):
    def __init__(self) -> None:
        super().__init__()
        self.contacts: list[tuple[Contact, list[Member]]] = []
        self.promises: list[Promise] = []
        self.referrals: list[Referral] = []
        self._travel = time_machine.travel(timezone.now(), tick=True)
        self.clock = self._travel.start()

    def teardown(self) -> None:
        self._travel.stop()
        super().teardown()

    @rule(
        who=st.sampled_from([[0], [1], [0, 1]]),
        summary=st.sampled_from(SUMMARIES),
        request=st.sampled_from(["none", "implied", "explicit"]),
        promise=st.booleans(),
        referral=st.booleans(),
    )
    def log(self, who: list[int], summary: str, request: str, promise: bool, referral: bool):
        members = [self.members[i] for i in who]
        contact = contacts.log_contact(
            group=self.cast.thursday,
            members=members,
            acting_user=self.cast.bob,
            occurred_at=timezone.now() - datetime.timedelta(hours=1),
            setting="after_session",
            initiated_by="member",
            summary=summary,
            request=request,
            promised_confidentiality=promise,
            promise_confirmed=promise,
            promise_scope="Her move." if promise else "",
            offered_referral=referral,
            referral_to_name="Dr. Wren" if referral else "",
        )
        self.contacts.append((contact, members))
        self.promises += Promise.objects.filter(contact=contact)
        self.referrals += Referral.objects.filter(contact=contact)
        n = len(members)
        entries = self.audited(
            {"contact.create": n, "promise.create": n * promise, "referral.offer": n * referral}
        )
        assert all(e.severity == "high" for e in entries if e.action == "promise.create")

    @precondition(lambda self: self.contacts)
    @rule(data=st.data(), summary=st.sampled_from(SUMMARIES), promise=st.booleans())
    def edit(self, data: st.DataObject, summary: str, promise: bool) -> None:
        contact, members = data.draw(st.sampled_from(self.contacts))
        stored = Contact.objects.get(pk=contact.pk)
        locked = stored.is_locked(timezone.now())
        makes_promise = promise and not stored.promised_confidentiality
        changed = summary != stored.summary or makes_promise
        try:
            contacts.edit_contact(
                stored,
                acting_user=self.cast.bob,
                summary=summary,
                promised_confidentiality=promise or stored.promised_confidentiality,
                promise_scope="Her move.",
                promise_confirmed=True,
            )
        except ValidationError as refused:
            assert locked and refused.code == "locked"
            self.audited({})
            return
        assert not locked, "a locked entry was edited"
        n = len(members) if changed else 0
        self.audited({"contact.edit": n, "promise.create": len(members) * makes_promise})
        self.promises += Promise.objects.filter(contact=contact).exclude(
            pk__in=[p.pk for p in self.promises]
        )

    @precondition(lambda self: self.contacts)
    @rule(data=st.data(), request=st.sampled_from(["", "none", "explicit"]))
    def amend(self, data: st.DataObject, request: str) -> None:
        contact, members = data.draw(st.sampled_from(self.contacts))
        contacts.amend_contact(
            contact, acting_user=self.cast.bob, text="She called back to add.", request=request
        )
        self.audited({"contact.amend": len(members)})

    @precondition(lambda self: self.promises)
    @rule(data=st.data(), status=st.sampled_from(["released", "withdrawn"]))
    def close_promise(self, data: st.DataObject, status: str) -> None:
        promise = data.draw(st.sampled_from(self.promises))
        is_open = Promise.objects.get(pk=promise.pk).status == "open"
        done = attempt(
            contacts.close_promise,
            promise,
            status=status,
            note="She released it in person today.",
            acting_user=self.cast.bob,
        )
        assert (done is not None) == is_open
        self.audited({"promise.close": 1} if is_open else {})

    @precondition(lambda self: self.referrals)
    @rule(data=st.data(), status=st.sampled_from(["accepted", "declined", "completed"]))
    def move_referral(self, data: st.DataObject, status: str) -> None:
        referral = Referral.objects.get(pk=data.draw(st.sampled_from(self.referrals)).pk)
        unchanged = status == referral.status
        allowed = status in REFERRAL_MOVES[referral.status]
        done = attempt(contacts.update_referral, referral, status=status, acting_user=self.cast.bob)
        assert (done is not None) == (allowed or unchanged)
        self.audited({"referral.update": 1} if allowed else {})

    @rule()
    def a_day_passes(self) -> None:
        self.clock.shift(datetime.timedelta(hours=25))

    @invariant()
    def every_entry_matches_its_signature(self) -> None:
        for contact in Contact.objects.all():
            members = contacts.member_ids_of(contact)
            assert contact.content_sha256 == contacts.content_sha256(contact, members)

    @invariant()
    def every_change_has_its_entry(self) -> None:
        ids = self.audited_objects()
        for model in (Contact, Promise, Referral):
            assert {str(pk) for pk in model.objects.values_list("pk", flat=True)} <= ids


# --- Disclosure decisions ----------------------------------------------------------------

ANSWERS = st.fixed_dictionaries(
    {"recipient": st.sampled_from(CHOICES["recipient"])},
    optional={
        **{
            name: st.sampled_from(list(CHOICES[name]))
            for name in disclosures.ASKED
            if name in CHOICES and name != "recipient"
        },
        **{name: st.booleans() for name in disclosures.ASKED if name in BOOLEANS},
        "said_in": st.sampled_from(list(CHOICES["said_in"])),
        "unknown_fact": st.just(1),
    },
)


class DecisionMachine(AuditedMachine):
    def __init__(self) -> None:
        super().__init__()
        cast = self.cast
        self.contact = contacts.log_contact(
            group=cast.thursday,
            members=[cast.mia],
            acting_user=cast.bob,
            occurred_at=timezone.now() - datetime.timedelta(hours=1),
            setting="phone",
            initiated_by="member",
            summary="Please keep this between us.",
            request="explicit",
        )
        self.mark = self._size()
        self.assessments: list[Assessment] = []

    @rule(member=st.sampled_from([0, 1]), with_contact=st.booleans(), answers=ANSWERS)
    def assess(self, member: int, with_contact: bool, answers: dict[str, Any]) -> None:
        who = self.members[member]
        before = Assessment.objects.count()
        assessment = attempt(
            disclosures.assess,
            member=who,
            acting_user=self.cast.bob,
            answers=answers,
            contact=self.contact if with_contact else None,
        )
        if assessment is None:
            assert Assessment.objects.count() == before
            self.audited({})
            return
        self.assessments.append(assessment)
        self.audited({"assessment.create": 1})

    @precondition(lambda self: self.assessments)
    @rule(
        data=st.data(),
        kind=st.sampled_from(["proceed", "hold", "talk_first", "seek_authorization", "consult"]),
        note=st.sampled_from(["", "Consulted my supervisor, who agreed."]),
    )
    def choose(self, data: st.DataObject, kind: str, note: str) -> None:
        assessment = data.draw(st.sampled_from(self.assessments))
        against = kind == "proceed" and assessment.level == "not_permitted"
        done = attempt(
            disclosures.record_choice, assessment, kind=kind, note=note, acting_user=self.cast.bob
        )
        assert (done is not None) == (not against or len(note) >= 20)
        if done is None:
            self.audited({})
            return
        [entry] = self.audited({"assessment.choice": 1})
        assert (entry.severity == "high") == against

    @rule(
        data=st.data(),
        member=st.sampled_from([0, 1]),
        recipient=st.sampled_from(["group", "family", "other_provider"]),
    )
    def disclose(self, data: st.DataObject, member: int, recipient: str) -> None:
        who = self.members[member]
        assessment = data.draw(st.sampled_from([None, *self.assessments]))
        done = attempt(
            disclosures.record_disclosure,
            member=who,
            acting_user=self.cast.bob,
            recipient=recipient,
            what="That she is moving away.",
            disclosed_at=timezone.now(),
            assessment=assessment,
        )
        assert (done is not None) == (assessment is None or assessment.member_id == who.id)
        if done is None:
            self.audited({})
            return
        [entry] = self.audited({"disclosure.record": 1})
        unassessed = assessment is None or assessment.level == "not_permitted"
        assert (entry.severity == "high") == (recipient != "group" and unassessed)

    @invariant()
    def every_assessment_keeps_its_facts_and_decision(self) -> None:
        for assessment in Assessment.objects.all():
            assert assessment.facts and assessment.decision
            decision = engine.evaluate(assessment.facts).as_json()
            assert decision == assessment.decision
            assert assessment.level == decision["level"]
            assert assessment.rules_version == decision["rules_version"]

    @invariant()
    def every_change_has_its_entry(self) -> None:
        ids = self.audited_objects()
        for model in (Assessment, Choice, Disclosure):
            assert {str(pk) for pk in model.objects.values_list("pk", flat=True)} <= ids


def run(machine: type[AuditedMachine], cast: Cast) -> None:
    run_state_machine_as_test(
        type(machine.__name__, (machine,), {"cast": cast}), settings=MACHINE_SETTINGS
    )


def test_attendance_needs_a_signature_of_the_current_version_or_an_override(cast: Cast) -> None:
    run(AgreementMachine, cast)


def test_contacts_promises_and_referrals_are_signed_locked_and_audited(cast: Cast) -> None:
    run(ContactMachine, cast)


def test_decisions_keep_their_facts_and_are_audited(cast: Cast) -> None:
    run(DecisionMachine, cast)
