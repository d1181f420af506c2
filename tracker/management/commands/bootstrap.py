from django.core.management.base import BaseCommand, CommandError

from tracker.services.reference_data import DEFAULT_FIXTURES_DIR, ReferenceDataError, reference_data_load
from tracker.services.roles import roles_ensure
from tracker.services.schedules import schedules_ensure


class Command(BaseCommand):
    help = (
        "Load the reference data (regions down to counties, clusters, tiers, national recognitions, rulesets) "
        "and create the role groups with their permissions. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fixtures-dir", default=str(DEFAULT_FIXTURES_DIR), help="Directory of the YAML fixtures.")

    def handle(self, *args, fixtures_dir, **options):
        try:
            counts = reference_data_load(fixtures_dir=fixtures_dir)
        except ReferenceDataError as exc:
            raise CommandError(str(exc)) from exc
        notices = counts.pop("notices")
        # Role groups (docs/accounts.md): created, and their permissions reset to the definition.
        counts["role groups"] = roles_ensure()
        # Beat schedules (nightly 02:00 Asia/Shanghai, sweeper every minute); staff edits are kept.
        for name, was_created in schedules_ensure().items():
            self.stdout.write(f"schedule           {name}: {'created' if was_created else 'unchanged'}")
        for table, table_counts in counts.items():
            parts = ", ".join(f"{name} {value}" for name, value in table_counts.items())
            self.stdout.write(f"{table:<18} {parts}")
        for notice in notices:
            self.stdout.write(self.style.WARNING(notice))
        if any(c["created"] or c["updated"] for c in counts.values()):
            self.stdout.write(self.style.SUCCESS("Reference data loaded."))
        else:
            self.stdout.write(self.style.SUCCESS("Reference data already up to date: nothing changed."))
