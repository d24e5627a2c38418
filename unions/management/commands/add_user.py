from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lib.errors import InvalidInput
from unions.models import Role
from unions.services import do_create_user


class Command(BaseCommand):
    help = "Create an officer or reporter: add_user USERNAME --role ROLE [--federation CODE] [--union ID] --password PW"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--federation",
            action="append",
            default=[],
            help="federation code; repeat for a leader's linked counties",
        )
        parser.add_argument("--union", type=int, help="the union id of a union reporter")
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="", help="display name")

    def handle(self, *args, **options):
        try:
            user = do_create_user(
                username=options["username"],
                role=options["role"],
                password=options["password"],
                federation_codes=options["federation"],
                union_id=options["union"],
                display_name=options["name"],
            )
        except InvalidInput as exc:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items())
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Created %(username)s (%(role)s).")
                % {"username": user.username, "role": user.get_role_display()}
            )
        )
