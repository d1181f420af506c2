"""Build or reuse the benchmark dataset: N demo enterprises in the current database."""

from __future__ import annotations

from django.core.management import call_command

from tracker.demo.generator import _demo_enterprises, demo_generate
from tracker.models import Enterprise, Tier


def ensure_dataset(*, enterprises: int, seed: int, log) -> dict:
    """Reuse the database when it holds exactly ``enterprises`` demo enterprises, else (re)generate."""
    if not Tier.objects.exists():
        log("reference data missing: running bootstrap")
        call_command("bootstrap", verbosity=0)
    demo = _demo_enterprises().count()
    total = Enterprise.objects.count()
    if demo == enterprises:
        log(f"dataset: reusing {demo:,} demo enterprises ({total:,} enterprises in all)")
        return {"reused": True, "enterprises": total, "demo_enterprises": demo, "seconds": 0.0}
    log(f"dataset: {demo:,} demo enterprises present, generating {enterprises:,} (seed {seed}) …")
    counts = demo_generate(enterprises=enterprises, seed=seed, replace=demo > 0, progress=log)
    total = Enterprise.objects.count()
    log(f"dataset: generated in {counts['seconds']:.1f} s ({total:,} enterprises in all)")
    return {"reused": False, "enterprises": total, "demo_enterprises": enterprises, "seconds": counts["seconds"]}
