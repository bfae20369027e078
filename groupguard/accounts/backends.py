from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from groupguard.accounts.demo_accounts import is_demo_account
from groupguard.accounts.models import User
from groupguard.core.usernames import normalize_username


class PracticeBackend(ModelBackend):
    """The usual username and password backend, loading the user's practice with the user.

    Every page needs the practice (its time zone, its scope), so one joined query per request
    replaces two.

    The demo practice's accounts have a published password and authenticator secret: they
    sign in only on a server in demo mode (GROUPGUARD_DEMO=1), so a demo loaded by mistake
    into a real installation is no default account there.
    """

    def authenticate(
        self,
        request: Any,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        # Look up the name in the form it is stored in, the one the lockout counts under.
        if username is not None:
            username = normalize_username(str(username))
        user = super().authenticate(request, username=username, password=password, **kwargs)
        return user if isinstance(user, User) else None

    def get_user(self, user_id: Any) -> User | None:
        user = User.objects.select_related("practice").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return bool(settings.DEMO_MODE) or not is_demo_account(user)
