"""HTTP Basic authentication for the API, throttled like the sign-in page: while sign-ins
for the username or from the address are refused, the API answers 429 with `Retry-After`
without checking the password. (Session authentication needs a sign-in on the page first.)"""

from rest_framework import authentication, exceptions

from batea.access import throttle


class ThrottledBasicAuthentication(authentication.BasicAuthentication):
    def authenticate_credentials(self, userid, password, request=None):
        seconds = throttle.refused_for(request, userid)
        if seconds is not None:
            raise exceptions.Throttled(wait=seconds, detail=throttle.refusal_message(seconds))
        user, auth = super().authenticate_credentials(userid, password, request)
        throttle.forget_failures(userid)
        return user, auth
