"""The staff admin (Chinese first): one module per concept; writes go through tracker/services/."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tracker.admin import (  # noqa: F401
    batches,
    clusters,
    designations,
    enterprises,
    evaluation,
    export_jobs,
    imports,
    metrics,
    regions,
    report_subscriptions,
    reports,
    results,
    rulesets,
    tiers,
    tokens,
    users,
)

admin.site.site_header = _("梯度培育管理系统 Tidu")
admin.site.site_title = _("梯度培育管理系统 Tidu")
admin.site.index_title = _("梯度培育")
# "查看站点" leads integrators' documentation rather than the bare root.
admin.site.site_url = "/api/docs/"


def _tracker_first(get_app_list):
    """The tier-cultivation app first on the index and in the sidebar; the others keep their order."""

    def app_list(request, app_label=None):
        apps = get_app_list(request, app_label)
        return sorted(apps, key=lambda app: app["app_label"] != "tracker")

    return app_list


admin.site.get_app_list = _tracker_first(admin.site.get_app_list)
