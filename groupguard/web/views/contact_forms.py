"""The forms of the contact pages: a new or edited contact, an amendment, a referral."""

from __future__ import annotations

from typing import Any

from django import forms

from groupguard.contacts.models import (
    ANSWERS,
    Contact,
    Initiator,
    Request,
    Setting,
)
from groupguard.core.text import MAX_TEXT
from groupguard.practice.models import Group, Member
from groupguard.practice.selectors import active_staff
from groupguard.web.forms import DateInput, DateTimeInput


class ContactForm(forms.Form):
    group = forms.ChoiceField(label="Group")
    members = forms.MultipleChoiceField(
        label="Who you spoke with", widget=forms.CheckboxSelectMultiple
    )
    occurred_at = forms.DateTimeField(label="When", widget=DateTimeInput)
    setting = forms.ChoiceField(label="Where or how", choices=Setting.choices)
    initiated_by = forms.ChoiceField(
        label="Who started it", choices=Initiator.choices, widget=forms.RadioSelect
    )
    others_present = forms.CharField(
        label="Who else heard it",
        required=False,
        max_length=2000,
        help_text="Leave empty if nobody else was there.",
    )
    summary = forms.CharField(
        label="What was said",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="In a few plain sentences. Requests for secrecy are highlighted as you type.",
    )
    request = forms.ChoiceField(
        label="Did the member ask for confidentiality?",
        choices=ANSWERS,
        widget=forms.RadioSelect,
        help_text="Pre-filled by the detector from the note, not answered by you: check it "
        "against what the member said, and change it if it is wrong. What you choose is kept "
        "as your answer.",
    )
    reminded_agreement = forms.BooleanField(
        required=False, label="I reminded them of the group agreement"
    )
    offered_referral = forms.BooleanField(
        required=False, label="I offered a referral to an individual therapist"
    )
    promised_confidentiality = forms.BooleanField(
        required=False, label="I promised to keep it confidential"
    )
    promise_scope = forms.CharField(
        required=False,
        label="What the promise covers",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="In the words you used, and for how long.",
    )
    promise_confirmed = forms.BooleanField(
        required=False,
        label="I made this promise and I have read why it can conflict with my duty to the group",
    )
    follow_up = forms.CharField(
        required=False, label="Follow-up", max_length=2000, widget=forms.Textarea({"rows": 2})
    )
    follow_up_on = forms.DateField(required=False, label="Follow up by", widget=DateInput)
    suggested = forms.CharField(required=False, widget=forms.HiddenInput)
    request_touched = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        groups: list[Group],
        members: list[Member],
        editing: bool = False,
        contact: Contact | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        group_field: Any = self.fields["group"]
        group_field.choices = [(str(g.id), g.name) for g in groups]
        member_field: Any = self.fields["members"]
        member_field.choices = [(str(m.id), m.display_name) for m in members]
        self.fields["summary"].widget.attrs["aria-describedby"] = "id_summary_help detection"
        if editing:
            del self.fields["group"]
            del self.fields["members"]
        if contact is not None:
            # Editing: the choice is the facilitator's answer (the detector never changes it).
            request_field: Any = self.fields["request"]
            if contact.request == Request.UNANSWERED:
                request_field.choices = [*ANSWERS, (Request.UNANSWERED, Request.UNANSWERED.label)]
                request_field.help_text = (
                    "Not answered yet (the detector suggested "
                    f"{contact.detected_request}): answer it if you know what the member "
                    "asked. After the entry locks, an amendment can answer it."
                )
            else:
                request_field.help_text = "Your answer, as recorded; change it if it is wrong."


class AmendForm(forms.Form):
    text = forms.CharField(
        label="Amendment",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Added below the entry with your name and the time; the entry stays as it was.",
    )
    request = forms.ChoiceField(
        label="Correct the confidentiality request",
        required=False,
        choices=[("", "No change"), *ANSWERS],
    )

    def __init__(self, *args: Any, unanswered: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if unanswered:
            field: Any = self.fields["request"]
            field.label = "Answer the confidentiality request"
            field.choices = [("", "Not answered yet"), *ANSWERS]
            field.help_text = (
                "Did the member ask for confidentiality? Your answer, not the detector's."
            )


class ReferralForm(forms.Form):
    member = forms.ChoiceField(label="Member")
    to_practitioner = forms.ChoiceField(label="Refer to a practitioner here", required=False)
    to_name = forms.CharField(label="…or an outside therapist", required=False, max_length=200)
    to_contact = forms.CharField(label="Their contact details", required=False, max_length=300)
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        initial="A confidential space for what the member raised outside the group.",
    )

    def __init__(self, *args: Any, practice_id: Any, members: list[Member], **kwargs: Any):
        super().__init__(*args, **kwargs)
        staff = active_staff(practice_id=practice_id)
        field: Any = self.fields["to_practitioner"]
        field.choices = [("", "Not chosen yet")] + [(str(u.pk), u.display_name) for u in staff]
        member_field: Any = self.fields["member"]
        member_field.choices = [(str(m.id), m.display_name) for m in members]
        if len(members) == 1:
            self.fields["member"].widget = forms.HiddenInput()
            self.fields["member"].initial = str(members[0].id)
        self.staff = {str(u.pk): u for u in staff}
