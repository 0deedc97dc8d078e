from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from adapters.django_web.containers import statement_reader, use_cases
from shop_domain.errors import ShopError


class Command(BaseCommand):
    help = (
        "Read an MT940 bank statement, pay the orders whose transfer title and exact sum "
        "match, and report under- and over-payments and unknown titles. Safe to run twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the MT940 statement")
        parser.add_argument("--encoding", default=None)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            credits = statement_reader().read(options["file"], encoding=options["encoding"])
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read {options['file']}: {error}") from error
        bar = tqdm(
            total=len(credits),
            unit="credit",
            disable=options["no_progress"] or len(credits) < 50,
            file=self.stderr._out,
        )
        try:
            report = use_cases().import_bank_credits()(
                credits=credits,
                progress=bar.update,
            )
        except ShopError as error:
            raise CommandError(error.text) from error
        finally:
            bar.close()
        for entry in report.entries:
            if entry.outcome.value == "paid":
                continue
            self.stdout.write(
                f"{entry.outcome.value:>12}  {entry.credit.amount}  "
                f"title={entry.title or '-'}  order={entry.order_id or '-'}  {entry.note}"
            )
        counts = ", ".join(f"{k} {v}" for k, v in report.counts().items())
        self.stdout.write(self.style.SUCCESS(f"{len(report.entries)} credits: {counts}"))
