"""`batea demo`: load the fictional demo data set (idempotent) and print the logins."""

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand

from batea.registry import demo


class Command(BaseCommand):
    help = "Load fictional demo data (safe to run again: nothing is duplicated)."

    def handle(self, *args, **options):
        for config in apps.get_app_configs():
            if not config.name.startswith("batea."):
                continue
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError:
                continue
            counts = module.load()
            summary = ", ".join(f"{n} {what}" for what, n in counts.items())
            self.stdout.write(f"{config.verbose_name}: {summary}")
        self.stdout.write("")
        self.stdout.write(
            f"Demo logins (password for all: {demo.DEMO_PASSWORD}). All data is fictional."
        )
        logins = demo.logins()
        user_width = max(len(user) for user, _, _ in logins)
        role_width = max(len(role) for _, role, _ in logins)
        for username, role, organisation in logins:
            self.stdout.write(
                f"  {username.ljust(user_width)}  {role.ljust(role_width)}  {organisation}"
            )
