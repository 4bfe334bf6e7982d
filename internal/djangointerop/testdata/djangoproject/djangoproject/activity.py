"""The API's idle timeout, applied on the Django side too.

The API ends a login left idle for longer than SESSION_IDLE_TIMEOUT
seconds, and knows of activity from the session key "_last_activity" (Unix
seconds, an int). Requests to Django count only if Django writes that key
as well: without this middleware, a user busy on the Django site for longer
than the timeout is logged out, on both sides, at their next request to the
API. With it, both sides keep and apply one idle timeout.

Add it to MIDDLEWARE after AuthenticationMiddleware, and set
SESSION_IDLE_TIMEOUT in Django's settings to the API's value.
"""
import time

from django.conf import settings
from django.contrib.auth import logout


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.timeout = int(getattr(settings, "SESSION_IDLE_TIMEOUT", 7200))
        # As the API: the time is written at most once per tenth of the
        # timeout (from 1 second to 1 minute), so that read-only traffic
        # seldom writes the session.
        self.step = max(1, min(60, self.timeout // 10)) if self.timeout > 0 else 60

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get("_last_activity")
            if not isinstance(last, int):
                request.session["_last_activity"] = now
            elif self.timeout > 0 and now - last > self.timeout:
                logout(request)  # flushed, as the API flushes it
            elif now - last >= self.step:
                request.session["_last_activity"] = now
        return self.get_response(request)
