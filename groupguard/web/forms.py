from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from groupguard.accounts.models import User
from groupguard.practice.models.groups import GroupStatus, Membership, Modality
from groupguard.practice.models.roles import RoleKind
from groupguard.practice.models.sessions import AttendanceStatus
from groupguard.practice.selectors import active_staff


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put an action's ValidationError onto the form, by field where the form has it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields else None
            for item in errors:
                form.add_error(target, item)
    else:
        form.add_error(None, error)


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value: Any) -> str | None:
        return str(value.strftime("%Y-%m-%dT%H:%M")) if hasattr(value, "strftime") else value


class GroupForm(forms.Form):
    name = forms.CharField(max_length=200)
    modality = forms.ChoiceField(choices=Modality.choices)
    membership = forms.ChoiceField(choices=Membership.choices)
    status = forms.ChoiceField(choices=GroupStatus.choices)
    part2_program = forms.BooleanField(
        required=False,
        label="Run by a 42 CFR Part 2 substance-use program",
    )
    schedule = forms.CharField(
        max_length=200, required=False, help_text="For example: Tuesdays 18:00–19:30"
    )
    lead = forms.ModelChoiceField(queryset=User.objects.none(), label="Lead facilitator")
    co_facilitators = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, practice_id: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = active_staff(practice_id=practice_id)
        lead: Any = self.fields["lead"]
        co: Any = self.fields["co_facilitators"]
        lead.queryset = staff
        co.queryset = staff
        lead.label_from_instance = co.label_from_instance = lambda u: u.display_name
        if editing:
            del self.fields["lead"]
            del self.fields["co_facilitators"]


class MemberForm(forms.Form):
    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    preferred_name = forms.CharField(max_length=100, required=False)
    date_of_birth = forms.DateField(required=False, widget=DateInput)
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False)
    is_minor = forms.BooleanField(required=False, label="Minor")
    guardian_name = forms.CharField(
        max_length=100, required=False, help_text="Required for a minor."
    )
    guardian_contact = forms.CharField(max_length=200, required=False)


class EnrollForm(forms.Form):
    member = forms.ChoiceField(label="Member")
    joined_on = forms.DateField(widget=DateInput)

    def __init__(self, *args: Any, member_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member: Any = self.fields["member"]
        member.choices = [("", "Choose a member…"), *member_choices]


class SessionForm(forms.Form):
    starts_at = forms.DateTimeField(widget=DateTimeInput, label="Starts at")
    duration_minutes = forms.IntegerField(
        label="Length (minutes)", min_value=1, max_value=600, initial=90
    )
    location = forms.CharField(max_length=200, required=False)
    telehealth = forms.BooleanField(required=False)


class RoleForm(forms.Form):
    practitioner = forms.ModelChoiceField(queryset=User.objects.none())
    kind = forms.ChoiceField(choices=RoleKind.choices, label="Role with this member")
    starts_on = forms.DateField(widget=DateInput)
    note = forms.CharField(max_length=300, required=False, help_text="A role, not a clinical note.")

    def __init__(self, *args: Any, practice_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["practitioner"]
        field.queryset = active_staff(practice_id=practice_id)
        field.label_from_instance = lambda u: u.display_name


class AttendanceForm(forms.Form):
    status = forms.ChoiceField(choices=AttendanceStatus.choices)


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What will use it, e.g. 'weekly export script'."
    )
    expires_in_days = forms.IntegerField(min_value=1, max_value=366, initial=90)
