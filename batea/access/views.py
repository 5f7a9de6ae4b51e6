"""The sign-in page, refusing attempts while sign-ins are throttled (HTTP 429)."""

from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError

from batea.access import throttle

THROTTLED = "throttled"


class SignInForm(auth_forms.AuthenticationForm):
    """Django's sign-in form; while throttled, it says so instead of checking the password."""

    def clean(self):
        seconds = throttle.refused_for(self.request, self.data.get("username"))
        if seconds is not None:
            self.retry_after = seconds
            raise ValidationError(throttle.refusal_message(seconds), code=THROTTLED)
        return super().clean()


class SignInView(auth_views.LoginView):
    """Django's sign-in view with the throttled form: a refused attempt answers 429 with
    the time to wait, in words and in `Retry-After`."""

    form_class = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        seconds = getattr(form, "retry_after", None)
        if seconds is None:
            return super().form_invalid(form)
        context = self.get_context_data(form=form, throttled=throttle.refusal_message(seconds))
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = str(seconds)
        return response
