"""Sign-in throttling: after too many failed sign-ins for a username, or from one address,
within a window, further attempts are refused until the window has passed.

Failures are rows of `SignInFailure` in the database, so every worker process counts the
same ones. Django's `user_login_failed` signal records them for every way of signing in
(the sign-in page, the admin, HTTP Basic on the API); a successful sign-in forgets the
username's failures (not the address's: one valid account must not reset the count of an
address that tries many usernames). Refused attempts are not counted, so a person who
waits out the window gets the full number of attempts again.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import ngettext

from batea.access.models import SignInFailure

REFUSED = "_batea_sign_in_refused"  # marks a request whose attempt was refused unheard


def window() -> timedelta:
    return timedelta(seconds=settings.BATEA_SIGN_IN_WINDOW_SECONDS)


def normalise(username: str | None) -> str:
    """Usernames count case-insensitively, so `Manager` and `manager` share a count."""
    return (username or "").strip().lower()[:150]


def client_address(request: HttpRequest | None) -> str | None:
    """The address of the client: REMOTE_ADDR, or with `BATEA_PROXY_COUNT` trusted proxies
    in front, the address the outermost of them saw (from X-Forwarded-For)."""
    if request is None:
        return None
    proxies = settings.BATEA_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if proxies and len(hops) >= proxies:
        return _valid_address(hops[-proxies])
    return _valid_address(request.META.get("REMOTE_ADDR"))


def _valid_address(value: str | None) -> str | None:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_ipv46_address

    try:
        validate_ipv46_address(value or "")
    except ValidationError:
        return None
    return value


def retry_after(username: str | None, address: str | None) -> int | None:
    """Seconds until the next attempt may be made, or None if it may be made now."""
    since = timezone.now() - window()
    recent = SignInFailure.objects.filter(at__gte=since)
    waits = []
    name = normalise(username)
    if name:
        waits.append(_wait(recent.filter(username=name), settings.BATEA_SIGN_IN_FAILURES))
    if address:
        limit = settings.BATEA_SIGN_IN_FAILURES_PER_ADDRESS
        waits.append(_wait(recent.filter(address=address), limit))
    waits = [wait for wait in waits if wait is not None]
    return max(waits) if waits else None


def _wait(failures, limit: int) -> int | None:
    """Seconds until fewer than `limit` of these failures are within the window."""
    times = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
    if len(times) < limit:
        return None
    oldest_that_counts = times[-1]
    remaining = oldest_that_counts + window() - timezone.now()
    return max(1, int(remaining.total_seconds()) + 1)


def refusal_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "Too many failed sign-ins. Try again in %(minutes)d minute.",
        "Too many failed sign-ins. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def record_failure(username: str | None, address: str | None) -> None:
    """Count a failed sign-in, and forget failures older than the window."""
    SignInFailure.objects.filter(at__lt=timezone.now() - window()).delete()
    SignInFailure.objects.create(username=normalise(username), address=address)


def forget_failures(username: str | None) -> None:
    SignInFailure.objects.filter(username=normalise(username)).delete()


class SignInRefused(PermissionDenied):
    """Raised by the backend while sign-ins for the username or address are refused."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(refusal_message(seconds))


class ThrottledModelBackend(ModelBackend):
    """Django's backend, refusing to check passwords while sign-ins are throttled (so the
    admin and any other sign-in are covered too)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self.user_model_field())
        seconds = retry_after(username, client_address(request))
        if seconds is not None:
            if request is not None:
                setattr(request, REFUSED, seconds)
            raise SignInRefused(seconds)
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def user_model_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


@receiver(user_login_failed, dispatch_uid="batea-sign-in-failed")
def _count_failure(sender, credentials, request=None, **kwargs):
    if request is not None and getattr(request, REFUSED, None) is not None:
        return  # refused unheard: not another failure
    record_failure(credentials.get("username"), client_address(request))


@receiver(user_logged_in, dispatch_uid="batea-sign-in-succeeded")
def _forget_failures(sender, request, user, **kwargs):
    forget_failures(user.get_username())


def refused_for(request: HttpRequest, username: str | None) -> int | None:
    """Seconds this sign-in attempt must wait, or None: for views that answer before
    asking the backend."""
    return retry_after(username, client_address(request))
