"""Vectorised fingerprints of each row's inputs, to skip rows whose inputs did not change."""

from __future__ import annotations

import numpy as np

from tracker.rules import ENGINE_REVISION, FactTable

_PRIME = np.uint64(0x100000001B3)
_SEED = np.uint64(0xCBF29CE484222325)
_CANONICAL_NAN = np.float64(np.nan).view(np.uint64)


def mix_column(h: np.ndarray, column: np.ndarray) -> np.ndarray:
    bits = np.ascontiguousarray(column, dtype=np.float64).view(np.uint64)
    return mix_bits(h, np.where(np.isnan(column), _CANONICAL_NAN, bits))


def mix_bits(h: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Fold a column of raw 64-bit values (another hash, say) into the running hashes ``h``."""
    with np.errstate(over="ignore"):
        h = (h ^ np.asarray(bits).view(np.uint64)) * _PRIME
    return h ^ (h >> np.uint64(29))


def facts_fingerprint(facts: FactTable, extra_columns: list[np.ndarray] = ()) -> np.ndarray:
    """One uint64 per row over every attribute, every metric of every loaded year, the designations
    held and their grant days, and any ``extra_columns`` (for example values that depend on the
    evaluation date)."""
    h = np.full(facts.n, _SEED, dtype=np.uint64)
    for name in sorted(facts.attributes):
        h = mix_column(h, facts.attributes[name])
    for name in sorted(facts.metrics):
        for year in sorted(facts.metrics[name]):
            h = mix_column(h, facts.metrics[name][year])
    for tier in sorted(facts.designations):
        h = mix_column(h, facts.designations[tier].astype(np.float64))
    for tier in sorted(facts.granted):
        h = mix_column(h, facts.granted[tier])
    for column in extra_columns:
        h = mix_column(h, np.asarray(column, dtype=np.float64))
    return h


def result_fingerprint(
    row_hash: np.ndarray, ruleset_pk: np.ndarray, tier_index: int, dependency_pks: list[np.ndarray] = ()
) -> np.ndarray:
    """The input hash stored on a result: the row's facts, the engine revision, the ruleset version
    used and the tier, plus the ruleset versions of the tiers it reads (a ``tier`` node sees their
    status)."""
    h = mix_column(row_hash, np.full(len(row_hash), float(ENGINE_REVISION)))
    h = mix_column(h, ruleset_pk.astype(np.float64))
    for pks in dependency_pks:
        h = mix_column(h, pks.astype(np.float64))
    h = mix_column(h, np.full(len(h), float(tier_index)))
    return h.view(np.int64)
