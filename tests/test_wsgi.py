"""The WSGI entry point gunicorn serves."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_server_process_imports_every_view_before_its_first_request():
    script = (
        "import sys, batea.wsgi; "
        "print(all(m in sys.modules for m in "
        "('batea.urls', 'batea.custody.views', 'batea.registry.api', 'batea.insights.views')))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "batea.test_settings"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
