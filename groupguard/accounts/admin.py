from django.contrib import admin

from groupguard.accounts.models import ApiToken, User
from groupguard.core.admin import ReadOnlyAdmin


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = [
        "username",
        "first_name",
        "last_name",
        "practice",
        "role",
        "is_active",
        "last_login",
    ]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name", "last_name"]
    exclude = ["password"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    exclude = ["token_hash"]
