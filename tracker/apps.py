from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("梯度培育")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tracker import checks  # noqa: F401  (registers the deploy checks)
        from tracker.pipeline.ledger import run_closed
        from tracker.services.reports import on_run_closed

        run_closed.connect(on_run_closed, dispatch_uid="tidu-nightly-reports")
