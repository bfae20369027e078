"""Storage of the tamper-evident audit log.

Terms:
- A **log** is one append-only sequence of entries: one per practice, plus a ``site`` log for
  events that belong to no practice (a failed login with an unknown user name).
- An **entry** is a JSON object; its **leaf bytes** are its RFC 8785 canonical JSON, stored
  exactly as hashed, so verifying never depends on re-serialising.
- A **node** is the stored hash of a complete, aligned subtree of ``2**level`` leaves, kept for
  levels ``NODE_LEVEL`` and up so proofs and roots need O(log n) reads, not a walk of every leaf.
- A **checkpoint** is a signed statement of the tree's size and root hash at one moment.
- Each entry also carries a signed **entry head**, the root after it, so that entries made
  since the last checkpoint cannot be rewritten without the signing key either.

Entries, nodes and checkpoints are append-only: database triggers refuse UPDATE and DELETE.
"""

from __future__ import annotations

from typing import Any

from django.db import models

# Subtrees of 2**8 = 256 leaves and larger are stored; smaller ones are hashed from leaves.
NODE_LEVEL = 8


class AuditLog(models.Model):
    """The head of one log: its name, current size and peaks.

    The **peaks** are the roots of the perfect subtrees that make up the tree of the current
    size (one per set bit of the size, largest first, 32 bytes each). Keeping them makes an
    append O(1) amortised: the new root never needs a walk over earlier leaves.
    """

    name = models.CharField(max_length=80, unique=True)
    practice = models.OneToOneField(
        "practice.Practice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_log",
    )
    size = models.BigIntegerField(default=0)
    peaks = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"audit log {self.name} ({self.size} entries)"


class Severity(models.TextChoices):
    INFO = "info", "Info"
    HIGH = "high", "High"


class AuditEntry(models.Model):
    log = models.ForeignKey(AuditLog, on_delete=models.PROTECT, related_name="entries")
    index = models.BigIntegerField()
    leaf = models.BinaryField(help_text="RFC 8785 canonical JSON of the entry, exactly as hashed.")
    leaf_hash = models.BinaryField(max_length=32)
    # The signed tree head after this entry: the root of entries 0..index, signed with the
    # audit key. It protects entries appended since the last checkpoint: rewriting them
    # changes the root, and a new signature needs the key, which is not in the database.
    tree_root = models.BinaryField(max_length=32)
    head_signature = models.BinaryField(max_length=64)
    key_id = models.CharField(max_length=16)
    # Copies of entry fields, for filtering only; the leaf bytes are the record.
    recorded_at = models.DateTimeField()
    action = models.CharField(max_length=60)
    actor_user_id = models.BigIntegerField(null=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    member_id = models.UUIDField(null=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.INFO)

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["log", "index"]
        constraints = [
            models.UniqueConstraint(fields=["log", "index"], name="audit_entry_index_unique"),
        ]
        indexes = [
            models.Index(fields=["log", "member_id", "index"], name="audit_entry_member"),
            models.Index(fields=["log", "actor_user_id", "index"], name="audit_entry_actor"),
            models.Index(fields=["log", "action", "index"], name="audit_entry_action"),
            models.Index(fields=["log", "recorded_at"], name="audit_entry_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.action}"


class AuditNode(models.Model):
    log = models.ForeignKey(AuditLog, on_delete=models.PROTECT, related_name="nodes")
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["log", "level", "index"], name="audit_node_unique"),
        ]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class Checkpoint(models.Model):
    """A signed tree head: ``{origin, tree_size, root_hash, timestamp, key_id, signature}``."""

    log = models.ForeignKey(AuditLog, on_delete=models.PROTECT, related_name="checkpoints")
    origin = models.CharField(max_length=200)
    tree_size = models.BigIntegerField()
    root_hash = models.CharField(max_length=64)
    timestamp = models.CharField(max_length=40)
    key_id = models.CharField(max_length=64)
    signature = models.CharField(max_length=200)

    class Meta:
        ordering = ["log", "tree_size", "id"]
        indexes = [models.Index(fields=["log", "tree_size"], name="checkpoint_log_size")]

    def __str__(self) -> str:
        return f"checkpoint {self.origin} @ {self.tree_size}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "timestamp": self.timestamp,
            "key_id": self.key_id,
            "signature": self.signature,
        }


class RowBinding(models.Model):
    """A copy, for lookups, of one row binding that an entry's leaf carries (``audit.rows``).

    The leaf is the record; this table lets a write find a row's newest binding in one indexed
    read, and every use checks the binding against its leaf. Append-only like the entries.
    """

    log = models.ForeignKey(AuditLog, on_delete=models.PROTECT, related_name="+")
    index = models.BigIntegerField(help_text="The entry's index in its log.")
    table = models.CharField(max_length=63)
    row_id = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64, blank=True, help_text="Empty: the row was deleted.")

    class Meta:
        indexes = [models.Index(fields=["table", "row_id", "-index"], name="rowbinding_row")]
        constraints = [
            models.UniqueConstraint(
                fields=["log", "index", "table", "row_id"], name="rowbinding_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.table} {self.row_id} @ {self.index}"
