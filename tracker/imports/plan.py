"""The result of a dry run: every data row classified as new, changed, unchanged or rejected.

A plan is what the preview shows and what a commit writes. Its digest sums up the classification and
every change, so a commit can tell whether the data moved between the preview and the confirmation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _

from tracker.imports.sheet import CellError, Sheet
from tracker.models.scoping import EVERYWHERE, RegionScope

NEW, CHANGED, UNCHANGED, REJECTED = "new", "changed", "unchanged", "rejected"
OUTCOMES = (NEW, CHANGED, UNCHANGED, REJECTED)
PREVIEW_ROWS = 200  # rows of each outcome kept for the preview page; the rest are counted


@dataclass(frozen=True)
class Writer:
    """Whom an import writes for: the region its rows must lie in (the read layer's scope of the
    importing office; rows outside it are rejected as if the enterprise did not exist) and whether it
    may set designations beyond "candidate". The default is the system: anywhere, everything."""

    scope: RegionScope = EVERYWHERE
    may_publish: bool = True

    @property
    def restricted(self) -> bool:
        return not self.scope.unrestricted


@dataclass
class Plan:
    kind: str
    sheet: Sheet
    labels: list[str] = field(default_factory=list)  # what each row is about: name · USCC · year
    is_new: np.ndarray | None = None
    errors: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    changes: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)  # (header, before, after)
    writes: dict = field(default_factory=dict)  # what the commit writes, prepared by the kind's planner
    sealed: set[int] = field(default_factory=set)  # rows rejected once for all: nothing more is said of them

    # -------------------------------------------------------------------------------- building

    def reject(self, index: int, header: str, message: str) -> None:
        if int(index) in self.sealed:
            return
        self.errors.setdefault(int(index), []).append((header, str(message)))

    def seal(self, mask: np.ndarray, header: str, message: str) -> None:
        """Reject rows with this one reason and keep every later check quiet about them: a row naming
        an enterprise outside the writer's region says nothing about that enterprise."""
        for index in np.flatnonzero(mask):
            self.errors[int(index)] = [(header, str(message))]
            self.sealed.add(int(index))

    def reject_rows(self, mask: np.ndarray, header: str, message: str | Callable[[int], str]) -> None:
        for index in np.flatnonzero(mask):
            self.reject(index, header, message(index) if callable(message) else message)

    def reject_cells(self, errors: list[CellError]) -> None:
        for error in errors:
            self.reject(error.index, error.header, error.message)

    # ------------------------------------------------------------------------------- reading

    @property
    def rejected(self) -> np.ndarray:
        mask = np.zeros(self.sheet.n, dtype=bool)
        if self.errors:
            mask[list(self.errors)] = True
        return mask

    def outcomes(self) -> np.ndarray:
        out = np.full(self.sheet.n, UNCHANGED, dtype=object)
        if self.is_new is not None:
            out[self.is_new] = NEW
        if self.changes:
            out[list(self.changes)] = CHANGED
        out[self.rejected] = REJECTED
        return out

    def counts(self) -> dict[str, int]:
        outcomes = self.outcomes()
        return {outcome: int((outcomes == outcome).sum()) for outcome in OUTCOMES}

    @property
    def committable(self) -> bool:
        return not self.sheet.file_errors and not self.errors

    def error_lines(self) -> list[str]:
        """Every rejected cell as one line: 第 12 行，“营业收入（万元）”：… (sheet order)."""
        return [
            _("第 %(row)s 行，“%(column)s”：%(message)s")
            % {"row": int(self.sheet.rows[index]), "column": header, "message": message}
            for index in sorted(self.errors)
            for header, message in self.errors[index]
        ]

    def digest(self) -> str:
        """A fingerprint of the classification and of every change (before and after)."""
        h = hashlib.sha256(self.kind.encode())
        h.update(self.outcomes().astype(str).tobytes())
        for index in sorted(self.changes):
            h.update(repr((index, self.changes[index])).encode())
        for index in sorted(self.errors):
            h.update(repr((index, self.errors[index])).encode())
        return h.hexdigest()

    def preview(self) -> dict:
        """JSON for the preview page: counts, file-level problems and the first rows of each outcome."""
        outcomes = self.outcomes()
        samples: dict[str, list] = {outcome: [] for outcome in OUTCOMES}
        for outcome in OUTCOMES:
            for index in np.flatnonzero(outcomes == outcome)[:PREVIEW_ROWS]:
                entry = {"row": int(self.sheet.rows[index]), "label": self.labels[index] if self.labels else ""}
                if outcome == CHANGED:
                    entry["changes"] = [list(c) for c in self.changes[int(index)]]
                if outcome == REJECTED:
                    entry["errors"] = [list(e) for e in self.errors[int(index)]]
                samples[outcome].append(entry)
        return {
            "counts": self.counts(),
            "file_errors": list(self.sheet.file_errors),
            "warnings": list(self.sheet.warnings),
            "samples": samples,
        }

    def rejected_rows(self):
        """(the rejected rows' original cells, their messages joined), for the rejected-rows workbook."""
        for index in sorted(self.errors):
            messages = "；".join(f"“{header}”：{message}" for header, message in self.errors[index])
            yield int(self.sheet.rows[index]), self.sheet.raw_rows[index], messages
