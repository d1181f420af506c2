"""Designation batches: create a draft, add candidates, 公示, objections, publish, 复核.

Every step is a POST on the batch that calls one service in tracker/services/batches.py. A batch is
the province's: its steps need ``tracker.publish_designation``; a city or county user lists batches,
sees the candidates, reviews and objections of their own region (the read layer's ``visible_to``) and
adds candidates of their region (``tracker.add_designation``).

A batch carries a version like every record staff edit (api/versioning.py): its detail, PATCH and the
steps that change it (公示, 发布, 撤回) answer with its ETag, and honour If-Match (412 when stale).
Candidates, reviews and objections are lists of their own rows, served whole (no pages, no filters).
"""

import django_filters as filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.errors import service_errors
from api.filtersets import IntegerFilter, ModelMultipleChoiceFilter, MultipleChoiceFilter
from api.permissions import ActionPermissions
from api.schema import TiduAutoSchema
from api.serializers.batches import (
    CandidatesAddedSerializer,
    CandidatesAddSerializer,
    CandidateSerializer,
    DesignationBatchSerializer,
    ObjectionResolveSerializer,
    ObjectionSerializer,
    PublicizeSerializer,
    PublishSerializer,
    ReviewsAddedSerializer,
    ReviewsAddSerializer,
    ReviewSerializer,
    WithdrawSerializer,
)
from api.versioning import VersionedViewMixin
from api.views_runs import resolve_enterprises
from tracker.models import BatchReview, DesignationBatch, Objection, Tier
from tracker.services import batches as services

# The province's steps: what changes the batch or makes designations official.
PROVINCE_STEP = ("tracker.change_designationbatch", "tracker.publish_designation")
# The steps that change the batch itself (its status, dates, 文号): versioned like a PATCH.
BATCH_STEPS = ("publicize", "publish", "withdraw")
# A batch's own rows, each answered as one list.
WHOLE_LIST = {"pagination_class": None, "filter_backends": []}


class BatchFilterSet(filters.FilterSet):
    kind = MultipleChoiceFilter(choices=DesignationBatch.Kind.choices, label=_("类型"))
    status = MultipleChoiceFilter(choices=DesignationBatch.Status.choices, label=_("状态"))
    tier = ModelMultipleChoiceFilter(queryset=Tier.objects.all(), label=_("梯度层级代码"))
    year = IntegerFilter(min_value=0, label=_("年度"))

    class Meta:
        model = DesignationBatch
        fields = ["kind", "status", "tier", "year"]


class BatchViewSet(
    VersionedViewMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """认定批次. No delete: a batch that will not go ahead is withdrawn (撤回), which keeps its record."""

    schema = TiduAutoSchema()
    queryset = DesignationBatch.objects.select_related("tier").order_by("-year", "-id")
    serializer_class = DesignationBatchSerializer
    permission_classes = [ActionPermissions]
    action_permissions = {
        "candidates_add": ("tracker.view_designationbatch", "tracker.add_designation"),
        **dict.fromkeys(
            (
                "publicize",
                "publish",
                "withdraw",
                "reviews_add",
                "review_record",
                "objection_record",
                "objection_resolve",
            ),
            PROVINCE_STEP,
        ),
    }
    filterset_class = BatchFilterSet
    search_fields = ["name", "document_no"]
    ordering_fields = ["id", "year", "created_at", "published_on"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    if_match_actions = ("partial_update", *BATCH_STEPS)
    etag_actions = {
        "retrieve": (200,), "create": (201,), "partial_update": (200,), **dict.fromkeys(BATCH_STEPS, (200,))
    }

    def get_queryset(self):
        user = getattr(self.request, "user", None)
        return super().get_queryset().visible_to(user).with_counts(user)

    def _entries(self, model):
        """The batch's reviews or objections that the user may see (their region's, for a city)."""
        return model.objects.visible_to(self.request.user).filter(batch=self.get_object())

    def perform_create(self, serializer):
        with service_errors():
            serializer.instance = services.batch_create(user=self.request.user, **serializer.validated_data)
        self.answered(serializer.instance)

    def perform_update(self, serializer):
        expected = self.expected_version()
        with service_errors():
            serializer.instance = services.batch_update(
                batch=serializer.instance,
                user=self.request.user,
                expected_version=expected,
                **serializer.validated_data,
            )

    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        # Answered as a read is, with the counts of candidates and reviews (the service returns the row).
        return self._done(serializer.instance)

    def _step(self, service, body_class):
        """A step that changes the batch: its body checked, If-Match passed on, the batch answered."""
        body = body_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        batch = self.get_object()
        expected = self.expected_version()
        with service_errors():
            batch = service(batch=batch, user=self.request.user, expected_version=expected, **body.validated_data)
        return self._done(batch)

    def _done(self, batch, code=status.HTTP_200_OK):
        batch = self.get_queryset().get(pk=batch.pk)
        self.answered(batch)
        return Response(DesignationBatchSerializer(batch, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=None, responses={200: CandidateSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="candidates", **WHOLE_LIST)
    def candidates(self, request, pk=None):
        """The candidates with their latest eligibility; `no_longer_eligible` flags those who dropped out."""
        rows = services.batch_candidates(batch=self.get_object(), user=request.user)
        return Response(CandidateSerializer(rows, many=True).data)

    @extend_schema(request=CandidatesAddSerializer, responses={200: CandidatesAddedSerializer})
    @candidates.mapping.post
    def candidates_add(self, request, pk=None):
        """Add currently eligible, undesignated enterprises as candidates (others are counted by reason)."""
        batch = self.get_object()
        body = CandidatesAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cluster = body.validated_data.get("cluster")
        ids = resolve_enterprises(request, body.validated_data["enterprises"])
        with service_errors():
            outcome = services.batch_candidates_add(
                batch=batch, candidates=[(pk_, cluster.pk if cluster else None) for pk_ in ids], user=request.user
            )
        return Response(CandidatesAddedSerializer(outcome).data)

    @extend_schema(request=PublicizeSerializer, responses={200: DesignationBatchSerializer})
    @action(detail=True, methods=["post"])
    def publicize(self, request, pk=None):
        """草拟 → 公示中."""
        return self._step(services.batch_publicize, PublicizeSerializer)

    @extend_schema(request=PublishSerializer, responses={200: DesignationBatchSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """公示中 → 已发布: designations activated (or renewed/revoked for 复核) in one transaction."""
        return self._step(services.batch_publish, PublishSerializer)

    @extend_schema(request=WithdrawSerializer, responses={200: DesignationBatchSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """草拟/公示中 → 已撤回."""
        return self._step(services.batch_withdraw, WithdrawSerializer)

    @extend_schema(request=None, responses={200: ReviewSerializer(many=True)})
    @action(detail=True, methods=["get"], **WHOLE_LIST)
    def reviews(self, request, pk=None):
        return Response(ReviewSerializer(self._entries(BatchReview).order_by("id"), many=True).data)

    @extend_schema(request=ReviewsAddSerializer, responses={200: ReviewsAddedSerializer})
    @reviews.mapping.post
    def reviews_add(self, request, pk=None):
        """复核 batch: list every designation of the tier due for review (optionally within a region)."""
        body = ReviewsAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            added = services.batch_reviews_add_due(
                batch=self.get_object(), user=request.user, region_prefix=body.validated_data.get("region", "")
            )
        return Response({"added": added})

    @extend_schema(request=ReviewSerializer, responses={200: ReviewSerializer})
    @action(detail=True, methods=["patch"], url_path=r"reviews/(?P<review_id>\d+)")
    def review_record(self, request, pk=None, review_id=None):
        """Record a 复核 outcome: passed (续期) or failed (撤销)."""
        review = get_object_or_404(self._entries(BatchReview), pk=review_id)
        body = ReviewSerializer(review, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        with service_errors():
            review = services.review_record(
                review=review,
                outcome=body.validated_data.get("outcome", review.outcome),
                note=body.validated_data.get("note", review.note),
                user=request.user,
            )
        return Response(ReviewSerializer(review).data)

    @extend_schema(request=None, responses={200: ObjectionSerializer(many=True)})
    @action(detail=True, methods=["get"], **WHOLE_LIST)
    def objections(self, request, pk=None):
        return Response(ObjectionSerializer(self._entries(Objection), many=True).data)

    @extend_schema(request=ObjectionSerializer, responses={201: ObjectionSerializer})
    @objections.mapping.post
    def objection_record(self, request, pk=None):
        """Record an objection received during the 公示."""
        batch = self.get_object()
        body = ObjectionSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        with service_errors():
            objection = services.objection_record(batch=batch, user=request.user, **body.validated_data)
        return Response(ObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ObjectionResolveSerializer, responses={200: ObjectionSerializer})
    @action(detail=True, methods=["post"], url_path=r"objections/(?P<objection_id>\d+)/resolve")
    def objection_resolve(self, request, pk=None, objection_id=None):
        """Resolve an objection; an upheld one revokes the candidate (or fails the 复核)."""
        objection = get_object_or_404(self._entries(Objection), pk=objection_id)
        body = ObjectionResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            objection = services.objection_resolve(
                objection=objection,
                resolution=body.validated_data["resolution"],
                note=body.validated_data.get("resolution_note", ""),
                user=request.user,
            )
        return Response(ObjectionSerializer(objection).data)
