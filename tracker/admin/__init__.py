"""The staff admin (Chinese first): one module per concept; writes go through tracker/services/."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tracker.admin import (  # noqa: F401
    batches,
    clusters,
    designations,
    enterprises,
    evaluation,
    imports,
    metrics,
    regions,
    reports,
    rulesets,
    tiers,
    tokens,
    users,
)

admin.site.site_header = _("梯度培育管理系统 Tidu")
admin.site.site_title = _("梯度培育管理系统 Tidu")
admin.site.index_title = _("梯度培育")
