"""The error answers of the API in its OpenAPI description (kept apart from batea.api, which
DRF imports while drf-spectacular is still loading)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import BasicScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """What every refusal other than bad input carries."""

    detail = serializers.CharField(help_text=_("Why the request was refused, for people."))


# A 400 names each bad field with its messages (`{"name": ["…"]}`), or gives `detail`.
BAD_INPUT_SCHEMA = {
    "type": "object",
    "additionalProperties": {},
    "description": "Messages by field name; `non_field_errors` or `detail` for the rest.",
}
ERROR_DESCRIPTIONS = {
    "400": _("Bad input: a message per field; nothing is written."),
    "401": _("Not signed in, or wrong credentials."),
    "403": _("Your role does not allow this."),
    "404": _("No such record, or not one you may see."),
    "409": _("The change conflicts with existing data; nothing is written."),
    "415": _("Unsupported content type of the request body."),
    "429": _("Too many failed sign-ins; try again later."),
}
WRITES = ("POST", "PUT", "PATCH")


class BateaAutoSchema(AutoSchema):
    """drf-spectacular's schema plus the error answers every operation may give, so that a
    client (and schemathesis) knows each status code and body the API can send."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            declared = responses.get(code)
            if declared is not None and "content" in declared:
                continue
            schema = BAD_INPUT_SCHEMA if code == "400" else ErrorSerializer
            description = (declared or {}).get("description") or ERROR_DESCRIPTIONS[code]
            responses[code] = self._get_response_for_code(
                OpenApiResponse(schema, description=str(description)), code
            )
        return responses

    def _error_codes(self) -> list[str]:
        """Status codes of refusals this operation can answer with."""
        codes = {"401", "403", "429"}
        if "{" in self.path:
            codes.add("404")
        if self.method in WRITES:
            codes |= {"400", "409", "415"}
        elif self.method == "DELETE":
            codes.add("409")
        elif self._is_list_view() or self._has_query_parameters():
            codes |= {"400", "404"}  # a bad filter value; a page beyond the last
        return sorted(codes)

    def _has_query_parameters(self) -> bool:
        parameters = self._process_override_parameters(direction="request")
        return bool(parameters) or bool(self._get_filter_parameters())


class ThrottledBasicScheme(BasicScheme):
    """HTTP Basic, throttled (batea.access.authentication), is HTTP Basic to clients."""

    target_class = "batea.access.authentication.ThrottledBasicAuthentication"
