"""Request parsers for the API (kept apart from batea.api: DRF imports them at start-up)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers


class SafeJSONParser(parsers.JSONParser):
    """JSON parser that answers 400 to pathologically nested documents instead of crashing."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError(_("The JSON document is nested too deeply.")) from error
