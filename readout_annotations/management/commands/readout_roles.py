from django.core.management.base import BaseCommand

from ...roles import ROLE_DESCRIPTIONS, ROLES, ensure_roles


class Command(BaseCommand):
    help = (
        'Create or update the groups "Readout annotators" and "Readout reviewers" with exactly the '
        "permissions each role needs. Safe to run again."
    )

    def handle(self, *args, **options) -> None:
        for name, (_group, created) in ensure_roles().items():
            if options["verbosity"] == 0:
                continue
            verb = "Created" if created else "Updated"
            self.stdout.write(
                self.style.SUCCESS(f"{verb} group {name!r}")
                + f" ({len(ROLES[name])} permissions: {ROLE_DESCRIPTIONS[name]})."
            )
