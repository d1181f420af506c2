from django.core.management.base import BaseCommand, CommandError

from tracker.demo.generator import LAST_FISCAL_YEAR, DemoError, demo_generate


class Command(BaseCommand):
    help = (
        "Generate plausible demo enterprises (Jiangsu) with cluster memberships, annual metrics and designations. "
        "Deterministic for a seed. Requires `bootstrap`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, required=True, help="Number of enterprises to generate.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (same seed, same data).")
        parser.add_argument("--years", type=int, default=5, help="Fiscal years of metrics per enterprise (default 5).")
        parser.add_argument(
            "--last-year", type=int, default=LAST_FISCAL_YEAR, help=f"Last fiscal year (default {LAST_FISCAL_YEAR})."
        )
        parser.add_argument("--replace", action="store_true", help="Delete existing demo enterprises first.")

    def handle(self, *args, enterprises, seed, years, last_year, replace, verbosity, **options):
        progress = self.stdout.write if verbosity >= 2 else None
        try:
            counts = demo_generate(
                enterprises=enterprises,
                seed=seed,
                years=years,
                last_fiscal_year=last_year,
                replace=replace,
                progress=progress,
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        if counts["deleted_enterprises"]:
            self.stdout.write(f"Deleted {counts['deleted_enterprises']:,} existing demo enterprises.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {counts['enterprises']:,} enterprises, {counts['memberships']:,} cluster memberships, "
                f"{counts['metrics']:,} annual metrics and {counts['designations']:,} designations "
                f"in {counts['seconds']:.1f} s."
            )
        )
