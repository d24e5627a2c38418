from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from unions.models import Role
from workflows.management.commands.load_demo import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo logins."

    def handle(self, *args, **options):
        self.stdout.write(
            _("Demo logins (password for all: %(password)s):") % {"password": DEMO_PASSWORD}
        )
        for username, role, codes, name in DEMO_USERS:
            scope = f" [{', '.join(codes)}]" if codes else ""
            self.stdout.write(f"  {username:10} {role.label}{scope} — {name}")
        self.stdout.write(f"  {'reporter':10} {Role.UNION_REPORTER.label} — 基层工会填报员 李娜")
        self.stdout.write(
            "  county360400 (市直), county360402 … county360483: "
            + _("one county officer for each other federation")
        )
