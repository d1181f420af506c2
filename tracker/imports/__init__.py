"""Excel imports (enterprises, annual metrics, designations): templates, dry runs, rejected rows.

Library: openpyxl in read-only mode with our own set-based validation, not django-import-export.
django-import-export validates and saves row by row through model instances (its dry run is a rolled
back transaction of the real per-row saves, with a history row per save), which puts a query or
several behind every row: far from 100,000 rows in 60 s. Here a file is read once into NumPy columns
and every check runs over whole columns, reusing the model's own rules rather than restating them:

- each field's validators (``checks.field_violations`` reads their limits and messages),
- the models' cross-field rules (``tracker.models.row_rules``: the same rules ``clean()`` runs),
- the USCC rule (``tracker.services.enterprises.uscc_error``, which the services call too),
- the designation lifecycle and the no-overlap rule of the designation services,
- the region and publishing rules of the write services (``region_write_error``,
  ``designation_publish_error``) for the importing office (``plan.Writer``): a row outside its region is
  rejected as if its enterprise did not exist, and nothing about another region's data is shown.

The writes go through ``tracker.services.bulk_rows`` (COPY on PostgreSQL, with history rows naming the
importing user) and ``facts_changed`` pools the re-evaluation into one on-change run.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tracker.imports.plan import Plan, Writer
from tracker.imports.sheet import Sheet, read_workbook


def kinds() -> dict:
    from tracker.imports import designations, enterprises, metrics

    return {"enterprises": enterprises, "metrics": metrics, "designations": designations}


def columns(kind: str):
    return kinds()[kind].COLUMNS


def dry_run(kind: str, source, *, today: dt.date | None = None, progress=None, writer: Writer | None = None) -> Plan:
    """Read and classify a workbook of the given kind; writes nothing."""
    return plan(kind, read(kind, source, progress=progress), today=today, writer=writer)


def read(kind: str, source, *, progress=None) -> Sheet:
    """Parse a workbook of the given kind into columns (raises sheet.FileError when it cannot)."""
    return read_workbook(source, kinds()[kind].COLUMNS, progress=progress)


def plan(kind: str, sheet: Sheet, *, today: dt.date | None = None, writer: Writer | None = None) -> Plan:
    """Classify parsed rows against the stored data as ``writer`` may change it (the system by default);
    the planner may change ``sheet.values``."""
    return kinds()[kind].plan(sheet, today=today or timezone.localdate(), writer=writer or Writer())


def template_workbook(kind: str) -> bytes:
    from tracker.imports.workbooks import template

    return template(kind, kinds()[kind].COLUMNS)


def rejected_workbook(plan: Plan) -> bytes:
    from tracker.imports.workbooks import rejected

    return rejected(plan)
