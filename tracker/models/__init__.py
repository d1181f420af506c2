"""Tidu's domain model (shared/DESIGN.md §3). One module per concept."""

from tracker.models.batches import BatchReview, DesignationBatch, Objection
from tracker.models.clusters import ChainSegment, Cluster, NationalRecognition
from tracker.models.designations import Designation
from tracker.models.enterprises import ClusterMembership, Enterprise
from tracker.models.evaluation import EligibilityResult, EvaluationRun, InputDigest, RunChunk, TierChange
from tracker.models.imports import ImportJob
from tracker.models.metrics import AnnualMetrics
from tracker.models.regions import Region
from tracker.models.rulesets import Ruleset
from tracker.models.tiers import Tier

__all__ = [
    "AnnualMetrics",
    "BatchReview",
    "ChainSegment",
    "Cluster",
    "ClusterMembership",
    "Designation",
    "DesignationBatch",
    "EligibilityResult",
    "Enterprise",
    "EvaluationRun",
    "ImportJob",
    "InputDigest",
    "NationalRecognition",
    "Objection",
    "Region",
    "Ruleset",
    "RunChunk",
    "Tier",
    "TierChange",
]
