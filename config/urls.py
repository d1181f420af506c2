from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from api.health import HealthView
from api.metrics import metrics_view
from api.schema import DocsView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index"), name="root"),  # staff start in the admin
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", DocsView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/", include("api.urls")),
    path("health/", HealthView.as_view(), name="health"),
    path("metrics", metrics_view, name="metrics"),
]
