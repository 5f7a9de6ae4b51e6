import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "batea.settings")
application = get_wsgi_application()

# Import every view when the server process starts, not on its first request: the URLconf
# and the modules behind it take over a second to import, which each gunicorn worker would
# otherwise charge to whoever it serves first.
get_resolver().url_patterns  # noqa: B018
