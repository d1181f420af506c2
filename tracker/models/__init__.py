"""Tidu's domain model (docs/architecture.md, "Domain model"). One module per concept.

Each region-owned model reads through a RegionScopedQuerySet (tracker/models/scoping.py): the read
layer's ``visible_to(user)`` and the named reads (``held_on``, ``by_key``, ``current``) live there.
"""

from tracker.models.batches import BatchReview, DesignationBatch, Objection
from tracker.models.clusters import ChainSegment, Cluster, NationalRecognition
from tracker.models.designations import Designation
from tracker.models.enterprises import ClusterMembership, Enterprise
from tracker.models.evaluation import EligibilityResult, EvaluationRun, InputDigest, RunChunk, TierChange
from tracker.models.exports import ExportJob
from tracker.models.imports import ImportJob
from tracker.models.member_revenue import MemberRevenue
from tracker.models.metrics import AnnualMetrics
from tracker.models.offices import Role, RoleGrant, UserOffice
from tracker.models.regions import Region
from tracker.models.reports import ReportSubscription, TierReport
from tracker.models.rulesets import Ruleset, RulesetPreview
from tracker.models.tiers import Tier
from tracker.models.tokens import ApiToken

__all__ = [
    "AnnualMetrics",
    "ApiToken",
    "BatchReview",
    "ChainSegment",
    "Cluster",
    "ClusterMembership",
    "Designation",
    "DesignationBatch",
    "EligibilityResult",
    "Enterprise",
    "EvaluationRun",
    "ExportJob",
    "ImportJob",
    "InputDigest",
    "MemberRevenue",
    "NationalRecognition",
    "Objection",
    "Region",
    "ReportSubscription",
    "Role",
    "RoleGrant",
    "Ruleset",
    "RulesetPreview",
    "RunChunk",
    "Tier",
    "TierChange",
    "TierReport",
    "UserOffice",
]
