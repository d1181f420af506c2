from django.urls import include, path
from rest_framework.routers import DefaultRouter

from api import views

app_name = "api"

router = DefaultRouter()
router.register("regions", views.RegionViewSet)
router.register("clusters", views.ClusterViewSet)
router.register("tiers", views.TierViewSet)
router.register("enterprises", views.EnterpriseViewSet)
router.register("metrics", views.AnnualMetricsViewSet)
router.register("designations", views.DesignationViewSet)

urlpatterns = [
    path("v1/", include(router.urls)),
]
