"""The `batea` operator command: Django's management commands under one name.

`batea demo`, `batea orgs list --json`, `batea migrate`, `batea runserver` … are the
management commands of the installed apps.
"""

import os
import sys

# Operator spellings of commands whose module names cannot hold a hyphen.
ALIASES = {"verify-log": "verify_log"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "batea.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args:
        args[0] = ALIASES.get(args[0], args[0])
    execute_from_command_line(["batea", *args])


if __name__ == "__main__":
    main()
