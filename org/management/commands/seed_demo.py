import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# Each app may ship a `demo.seed(stdout)`; they run in this order and are idempotent.
DEMO_APPS = ["org", "scoring", "audits", "hazards", "notifications", "planning"]


class Command(BaseCommand):
    help = "Load the demo organisation, standards, inspections and hazards (idempotent)."

    def handle(self, *args, **options):
        if (settings.SETTINGS_MODULE or "").endswith("production"):
            raise CommandError("seed_demo is refused under production settings: it creates known passwords.")
        accounts = []
        for app in DEMO_APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            result = module.seed(stdout=self.stdout) or {}
            accounts += result.get("accounts", [])
        if accounts:
            self.stdout.write("")
            self.stdout.write("Demo accounts (user name / password / role / unit):")
            for username, password, role, unit in accounts:
                self.stdout.write(f"  {username:<18} {password:<12} {role:<10} {unit}")
