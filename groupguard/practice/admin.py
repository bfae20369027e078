from django.contrib import admin

from groupguard.core.admin import ReadOnlyAdmin
from groupguard.practice import models


@admin.register(models.Practice)
class PracticeAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "jurisdiction", "timezone", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(models.PractitionerProfile)
class PractitionerProfileAdmin(ReadOnlyAdmin):
    list_display = ["user", "license_type", "license_jurisdiction", "ethics_code"]
    list_filter = ["license_type", "ethics_code"]


class FacilitatorInline(admin.TabularInline):  # type: ignore[type-arg]
    model = models.GroupFacilitator
    extra = 0
    can_delete = False
    fields = ["user", "role"]
    readonly_fields = ["user", "role"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(models.Group)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ["name", "practice", "modality", "status", "membership", "part2_program"]
    list_filter = ["modality", "status", "part2_program"]
    inlines = [FacilitatorInline]


@admin.register(models.Member)
class MemberAdmin(ReadOnlyAdmin):
    # Identity is encrypted PHI and deliberately absent here.
    list_display = ["id", "practice", "is_minor", "created_at"]
    fields = ("id", "practice", "is_minor", "created_at", "updated_at")
    readonly_fields = fields
    list_filter = ["is_minor"]


@admin.register(models.Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "group", "member_id", "joined_on", "left_on"]


@admin.register(models.RoleRelationship)
class RoleRelationshipAdmin(ReadOnlyAdmin):
    list_display = ["id", "practitioner", "member_id", "kind", "starts_on", "ends_on"]
    list_filter = ["kind"]


@admin.register(models.GroupSession)
class GroupSessionAdmin(ReadOnlyAdmin):
    list_display = ["group", "starts_at", "status", "telehealth"]
    list_filter = ["status", "telehealth"]
