from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from api import views, views_batches, views_eligibility, views_reports, views_runs
from api.errors import api_not_found

app_name = "api"

router = DefaultRouter()
router.register("regions", views.RegionViewSet)
router.register("clusters", views.ClusterViewSet)
router.register("tiers", views.TierViewSet)
router.register("enterprises", views.EnterpriseViewSet)
router.register("metrics", views.AnnualMetricsViewSet)
router.register("designations", views.DesignationViewSet)
router.register("batches", views_batches.BatchViewSet)
router.register("rulesets", views_eligibility.RulesetViewSet)
router.register("results", views_eligibility.ResultViewSet, basename="result")
router.register("gaps", views_eligibility.GapViewSet, basename="gap")
router.register("runs", views_runs.RunViewSet)
router.register("reports", views_reports.ReportViewSet)

urlpatterns = [
    path("v1/eligibility/simulate/", views_eligibility.SimulateView.as_view(), name="eligibility-simulate"),
    path(
        "v1/enterprises/<str:id_or_uscc>/eligibility/",
        views_eligibility.EnterpriseEligibilityView.as_view(),
        name="enterprise-eligibility",
    ),
    path(
        "v1/enterprises/<str:id_or_uscc>/results/",
        views_eligibility.EnterpriseResultsView.as_view(),
        name="enterprise-results",
    ),
    path("v1/", include(router.urls)),
    re_path(r"", api_not_found),  # last: any other /api/ URL is a JSON 404
]
