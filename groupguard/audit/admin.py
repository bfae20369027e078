from django.contrib import admin

from groupguard.audit.models import AuditEntry, AuditLog, Checkpoint
from groupguard.core.admin import ReadOnlyAdmin


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["name", "size"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "log",
        "index",
        "recorded_at",
        "action",
        "actor_user_id",
        "object_type",
        "severity",
    ]
    list_filter = ["severity", "action"]
    exclude = ["leaf", "leaf_hash"]


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["origin", "tree_size", "root_hash", "timestamp", "key_id"]
