"""The practice domain: practices, practitioners, groups, members, roles and sessions."""

from groupguard.practice.models.breakglass import BreakGlassGrant
from groupguard.practice.models.groups import Group, GroupFacilitator
from groupguard.practice.models.members import Enrollment, Member
from groupguard.practice.models.practice import Practice, PractitionerProfile
from groupguard.practice.models.roles import RoleRelationship
from groupguard.practice.models.sessions import Attendance, GroupSession

__all__ = [
    "Attendance",
    "BreakGlassGrant",
    "Enrollment",
    "Group",
    "GroupFacilitator",
    "GroupSession",
    "Member",
    "Practice",
    "PractitionerProfile",
    "RoleRelationship",
]
