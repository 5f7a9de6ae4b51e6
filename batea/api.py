"""API conventions shared by every app: pagination and error responses (4xx, never 500).
Their place in the OpenAPI description is in batea.api_schema."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.defaults import page_not_found
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from batea.web.paging import CappedPaginator


class StandardPagination(pagination.PageNumberPagination):
    """Pages of 50 (`page_size` up to 500). `count` is exact up to `count_cap` (10,000);
    past it `count` says 10,000, `count_capped` is true, and the `next` links go on to the
    end: counting millions of rows on every page would cost more than reading the page."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    count_cap = 10_000
    keys_first = False  # see batea.web.paging: for lists sorted along an index

    def django_paginator_class(self, queryset, page_size):
        return CappedPaginator(queryset, page_size, cap=self.count_cap, keys_first=self.keys_first)

    def paginate_queryset(self, queryset, request, view=None):
        rows = super().paginate_queryset(queryset, request, view)
        if rows is not None and self.page.paginator.capped:
            # The browsable API's page links need the number of pages, unknown past the cap.
            self.display_page_controls = False
        return rows

    def get_page_number(self, request, paginator):
        number = request.query_params.get(self.page_query_param) or 1
        return paginator.last_page_number() if number in self.last_page_strings else number

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "count_capped": self.page.paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        described["properties"]["count"]["description"] = _("Exact up to 10,000; then 10,000.")
        described["properties"]["count_capped"] = {
            "type": "boolean",
            "description": _("True when there are more than 10,000: follow `next` to the end."),
        }
        described["required"] = [*described["required"], "count_capped"]
        return described


class KeysFirstPagination(StandardPagination):
    """For lists whose ordering an index covers (members by name within an organisation)."""

    keys_first = True


def exception_handler(exc, context):
    """DRF's handler, plus model validation errors as 400 and integrity errors as 409."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, IntegrityError):
        return Response(
            {"detail": _("The change conflicts with existing data and was not saved.")},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)


def not_found(request, exception=None):
    """Unknown URLs: under /api/ a JSON answer like every other API error (e.g. an id that
    is not a UUID in /api/pathway/<id>/), elsewhere Django's page. Wired as `handler404`."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(_("Not found."))}, status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)
