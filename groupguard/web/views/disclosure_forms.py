"""The forms of the disclosure pages: the question "may I raise this?", the choice made, a
disclosure, an authorization.
"""

from __future__ import annotations

from typing import Any

from django import forms

from groupguard.disclosures.engine.facts import CHOICES
from groupguard.disclosures.models import THIRD_PARTIES, ChoiceKind, Recipient
from groupguard.disclosures.records import CONTACT_FACTS
from groupguard.web.forms import DateInput, DateTimeInput
from groupguard.web.views.disclosure_labels import LABELS


def _choices(name: str) -> list[tuple[str, str]]:
    labels = LABELS.get(name, {})
    return [(value, labels.get(value, value)) for value in CHOICES[name]]


class AssessForm(forms.Form):
    question = forms.CharField(
        label="What do you want to share?",
        required=False,
        max_length=500,
        help_text="A line for your own record, e.g. “her relapse, in Thursday's group”.",
    )
    recipient = forms.ChoiceField(label="With whom?", choices=Recipient.choices)
    purpose = forms.ChoiceField(label="Why?", choices=_choices("purpose"))
    relevant_to_treatment = forms.BooleanField(
        required=False, initial=True, label="It matters to the group's work"
    )
    member_objects = forms.BooleanField(
        required=False, label="The member objected, or asked for a restriction"
    )
    member_told_in_advance = forms.BooleanField(
        required=False,
        label="I told the member, or gave them the chance to raise it first",
    )
    sensitive = forms.BooleanField(
        required=False, label="Highly sensitive (an affair, HIV status, a crime)"
    )
    content = forms.ChoiceField(
        label="Does it include any of these?",
        choices=_choices("content"),
        required=False,
        initial="none",
        help_text="Each has a law of its own (HIV results, genetic results, ...).",
    )
    danger = forms.ChoiceField(label="Did it reveal a danger?", choices=_choices("danger"))
    abuse = forms.ChoiceField(
        label="Did it reveal abuse?", choices=_choices("abuse"), required=False, initial="none"
    )
    reportable_abuse = forms.BooleanField(
        required=False, label="I already know the law requires me to report it"
    )
    member_location = forms.CharField(
        label="Where was the member, if not in your licence's state?",
        required=False,
        max_length=10,
        help_text="For telehealth: a state code such as US-CA. Both states' laws are weighed.",
    )
    court_order = forms.BooleanField(
        required=False, label="A court order requires it (a subpoena is not one)"
    )
    documented_rationale = forms.BooleanField(
        required=False, label="I have written down why, and what, I will share"
    )
    # Asked only when there is no contact entry to read them from.
    said_in = forms.ChoiceField(label="Where did the member say it?", choices=_choices("said_in"))
    agreement = forms.ChoiceField(label="The group agreement", choices=_choices("agreement"))
    promise = forms.ChoiceField(
        label="Did you promise to keep it confidential?", choices=_choices("promise")
    )
    member_request = forms.ChoiceField(
        label="Did the member ask to keep it private?", choices=_choices("member_request")
    )
    reminded_at_time = forms.BooleanField(
        required=False, label="I reminded them of the group's policy at the time"
    )

    def __init__(
        self,
        *args: Any,
        with_contact: bool,
        asked: dict[str, str] | None = None,
        proposed: dict[str, tuple[Any, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        asked = asked or {}
        for name, (value, why) in (proposed or {}).items():
            self._propose(name, value, why)
        if with_contact:
            # The contact answers these, except what it left unanswered (``asked``: why).
            for name in CONTACT_FACTS:
                if name in asked:
                    field: Any = self.fields[name]
                    field.help_text = f"The records do not say: {asked[name]}."
                    if isinstance(field, forms.ChoiceField):
                        # No answer chosen for them: a first option would be a guess.
                        choices: Any = field.choices
                        field.choices = [("", "Choose…"), *choices]
                else:
                    del self.fields[name]

    def _propose(self, name: str, value: Any, why: str) -> None:
        """Pre-select what the detector's flags propose, marked as its suggestion in the control
        itself (the chosen option, or the box's label) and beside it (``why``, which the
        control's aria-describedby names). Saving the form is the practitioner's answer."""
        field: Any = self.fields.get(name)
        if field is None:
            return
        field.initial = value
        field.help_text = why
        field.proposed = True  # _field.html marks the field
        mark = " (the detector's suggestion)"
        if isinstance(field, forms.ChoiceField):
            choices: Any = field.choices
            field.choices = [(v, f"{label}{mark}" if v == value else label) for v, label in choices]
        else:
            field.label = f"{field.label}{mark}"

    def answers(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("question")
        recipient = data.pop("recipient")
        answers: dict[str, Any] = {k: v for k, v in data.items()}
        answers["member_location"] = (answers.get("member_location") or "").strip() or None
        answers["abuse"] = answers.get("abuse") or None  # not sent: the engine's "none"
        answers["content"] = answers.get("content") or None
        if recipient == Recipient.GROUP:
            answers["recipient"] = "group"
        else:
            answers["recipient"] = "third_party"
            answers["third_party"] = recipient
        return answers


class ChoiceForm(forms.Form):
    kind = forms.ChoiceField(
        label="What you decided", choices=[("", "Choose…"), *ChoiceKind.choices]
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )


class DisclosureForm(forms.Form):
    recipient = forms.ChoiceField(label="Shared with", choices=Recipient.choices)
    recipient_detail = forms.CharField(
        label="Who exactly", required=False, max_length=300, help_text="A name, an agency, a court."
    )
    disclosed_at = forms.DateTimeField(label="When", widget=DateTimeInput)
    what = forms.CharField(
        label="What you shared", max_length=2000, widget=forms.Textarea({"rows": 2})
    )
    purpose = forms.CharField(label="Purpose", required=False, max_length=300)


class AuthorizationForm(forms.Form):
    recipient = forms.ChoiceField(
        label="Who may receive it", choices=[(r.value, r.label) for r in THIRD_PARTIES]
    )
    recipient_detail = forms.CharField(label="Who exactly", required=False, max_length=300)
    purpose = forms.CharField(label="For what purpose", max_length=500)
    signed_on = forms.DateField(label="Signed on", widget=DateInput)
    expires_on = forms.DateField(label="Expires on", required=False, widget=DateInput)
    scan = forms.FileField(label="Scan of the signed form (PDF, PNG or JPEG)", required=False)
