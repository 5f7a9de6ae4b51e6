from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from batea.access.views import SignInView
from batea.assessments import api as assessments_api
from batea.certification import api as certification_api
from batea.custody import api as custody_api
from batea.registry import api
from batea.standards import api as standards_api
from batea.web.views import HomeView

admin.site.site_header = _("Batea administration")
admin.site.site_title = _("Batea administration")

router = DefaultRouter()
router.include_format_suffixes = False
router.register("organisations", api.OrganisationViewSet, basename="organisation")
router.register("members", api.MemberViewSet, basename="member")
router.register("sites", api.SiteViewSet, basename="site")
router.register("licences", api.LicenceViewSet, basename="licence")
router.register("relations", api.RelationViewSet, basename="relation")
router.register(
    "standard-versions", standards_api.StandardVersionViewSet, basename="standard-version"
)
router.register("requirements", standards_api.RequirementViewSet, basename="requirement")
router.register("crosswalks", standards_api.CrosswalkViewSet, basename="crosswalk")
router.register("assessments", assessments_api.AssessmentViewSet, basename="assessment")
router.register("answers", assessments_api.AnswerViewSet, basename="answer")
router.register("nonconformities", assessments_api.NonConformityViewSet, basename="nonconformity")
router.register(
    "corrective-actions", assessments_api.CorrectiveActionViewSet, basename="corrective-action"
)
router.register("certificates", certification_api.CertificateViewSet, basename="certificate")
router.register("lots", custody_api.LotViewSet, basename="lot")
router.register("incidents", custody_api.IncidentViewSet, basename="incident")
router.register("sales", custody_api.SaleViewSet, basename="sale")

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("batea.registry.urls")),
    path("", include("batea.standards.urls")),
    path("", include("batea.assessments.urls")),
    path("", include("batea.groups.urls")),
    path("", include("batea.certification.urls")),
    path("", include("batea.fielddata.urls")),
    path("", include("batea.custody.fund_urls")),
    path("", include("batea.custody.urls")),
    path("", include("batea.insights.urls")),
    path("api/", include((router.urls, "api"))),
    path(
        "api/pathway/<uuid:organisation_id>/",
        assessments_api.PathwayView.as_view(),
        name="api-pathway",
    ),
    path("api/epcis/", custody_api.EpcisView.as_view(), name="api-epcis"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("admin/", admin.site.urls),
]

# Unknown URLs under /api/ answer JSON like every other API error.
handler404 = "batea.api.not_found"
