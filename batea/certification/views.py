"""Certification pages: decide (certifiers), read (those related), verify (the public)."""

from datetime import date

import segno
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from batea.access.scoping import roles_granting
from batea.certification import services
from batea.certification.models import Certificate, CertificationDecision
from batea.domain.access import CHANGE, Resource, Role
from batea.registry.models import Organisation, Site
from batea.standards.models import StandardVersion


def may_decide(user, organisation) -> bool:
    return user.is_superuser or Role.CERTIFIER in roles_granting(
        user, organisation, Resource.CERTIFICATE, CHANGE
    )


def verify_url(request, certificate) -> str:
    return request.build_absolute_uri(reverse("verify-code", args=[certificate.public_code]))


class CertifyView(LoginRequiredMixin, TemplateView):
    template_name = "certification/certify.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.organisation = get_object_or_404(
            Organisation.objects.visible_to(request.user), slug=kwargs["org_slug"]
        )
        if not may_decide(request.user, self.organisation):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            organisation=self.organisation,
            versions=StandardVersion.objects.filter(status="published").select_related("standard"),
            sites=Site.objects.filter(organisation=self.organisation),
            errors=kwargs.get("errors", {}),
            data=self.request.POST,
        )
        return context

    def post(self, request, *args, **kwargs):
        data = request.POST
        try:
            version = (
                StandardVersion.objects.filter(pk=data.get("version")).first()
                if len(data.get("version", "")) == 36
                else None
            )
            if version is None:
                raise ValidationError({"version": _("Choose a standard.")})
            certificate = services.certify(
                request.user,
                self.organisation,
                version,
                valid_from=date.fromisoformat(data.get("valid_from", "")),
                valid_until=date.fromisoformat(data.get("valid_until", "")),
                reason=data.get("reason", ""),
                variant=data.get("variant", ""),
                minerals=data.get("minerals", "gold") or "gold",
                sites=list(
                    Site.objects.filter(
                        organisation=self.organisation, pk__in=data.getlist("sites")
                    )
                ),
            )
        except ValueError:
            errors = {"valid_from": [_("Enter the dates as YYYY-MM-DD.")]}
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(
                request, _("Certificate %(number)s issued.") % {"number": certificate.number}
            )
            return redirect("certificate-detail", certificate.pk)
        return self.render_to_response(self.get_context_data(errors=errors), status=400)


class CertificateView(LoginRequiredMixin, TemplateView):
    template_name = "certification/certificate.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        certificate = get_object_or_404(
            Certificate.objects.visible_to(self.request.user).select_related(
                "organisation", "version__standard"
            ),
            pk=kwargs["certificate_id"],
        )
        context.update(
            certificate=certificate,
            decisions=CertificationDecision.objects.filter(certificate=certificate).select_related(
                "decided_by"
            ),
            may_decide=may_decide(self.request.user, certificate.organisation),
            verify_url=verify_url(self.request, certificate),
            suspension_limit=services.suspension_limit_days(certificate),
        )
        return context


class CertificateDecisionView(LoginRequiredMixin, View):
    def post(self, request, certificate_id):
        certificate = get_object_or_404(
            Certificate.objects.visible_to(request.user), pk=certificate_id
        )
        until = None
        if request.POST.get("until"):
            try:
                until = date.fromisoformat(request.POST["until"])
            except ValueError:
                until = None
        try:
            services.change_status(
                request.user,
                certificate,
                request.POST.get("action", ""),
                request.POST.get("reason", ""),
                until,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PermissionDenied as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Decision recorded."))
        return redirect("certificate-detail", certificate.pk)


class CertificatePdfView(LoginRequiredMixin, View):
    def get(self, request, certificate_id):
        from weasyprint import HTML

        certificate = get_object_or_404(
            Certificate.objects.visible_to(request.user).select_related(
                "organisation", "version__standard"
            ),
            pk=certificate_id,
        )
        url = verify_url(request, certificate)
        html = render_to_string(
            "certification/certificate_pdf.html",
            {
                "certificate": certificate,
                "verify_url": url,
                "qr_svg": segno.make(url, error="m").svg_inline(scale=4),
            },
            request=request,
        )
        response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{certificate.number}.pdf"'
        return response


class VerifyView(TemplateView):
    """Public: anyone checks a certificate by its code or QR. No personal data is shown."""

    template_name = "certification/verify.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        code = (kwargs.get("code") or self.request.GET.get("code", "")).strip().upper()
        certificate = None
        if code:
            certificate = (
                Certificate.objects.select_related("organisation", "version__standard")
                .filter(public_code=code)
                .first()
            )
        context.update(
            code=code,
            certificate=certificate,
            site_count=certificate.sites.count() if certificate else 0,
        )
        return context
