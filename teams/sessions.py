"""Session lifetimes: an idle timeout and an absolute one (settings LODESTAR_SESSION_*).

Both clocks start at sign-in (the `user_logged_in` signal), so a request writes the
session only when the idle clock needs a refresh (at most every few minutes), never on
every request.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver

SIGNED_IN_AT = "lodestar_signed_in_at"
SEEN_AT = "lodestar_seen_at"
REFRESH_AFTER = 5 * 60


@receiver(user_logged_in)
def start_session_clocks(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self.expired(request)
            if expired:
                logout(request)
                messages.info(request, expired)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    def expired(self, request) -> str:
        now = int(time.time())
        session = request.session
        signed_in_at = session.get(SIGNED_IN_AT, now)
        seen_at = session.get(SEEN_AT, now)
        if now - signed_in_at > settings.LODESTAR_SESSION_MAX_AGE:
            return "Your session has ended: please sign in again."
        if now - seen_at > settings.LODESTAR_SESSION_IDLE_TIMEOUT:
            return "You were signed out after a period of inactivity."
        if now - seen_at > REFRESH_AFTER or SEEN_AT not in session:
            session[SEEN_AT] = now
            session.setdefault(SIGNED_IN_AT, now)
        return ""
