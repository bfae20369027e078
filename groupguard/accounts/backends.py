from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from groupguard.accounts.models import User


class PracticeBackend(ModelBackend):
    """The usual username and password backend, loading the user's practice with the user.

    Every page needs the practice (its time zone, its scope), so one joined query per request
    replaces two.
    """

    def get_user(self, user_id: Any) -> User | None:
        user = User.objects.select_related("practice").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
