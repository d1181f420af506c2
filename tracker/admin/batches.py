"""Designation batches in the admin: candidates with their current eligibility, 公示, objections,
publishing, 复核 outcomes, and the 公示 list as xlsx. Each step calls tracker/services/batches.py.

A batch is the province's (its steps need ``tracker.publish_designation``); a city or county user
sees every batch but only their own region's candidates, reviews, objections and 公示 rows, read
through the read layer like every other admin (``VisibleAdminMixin``, ``batch_candidates(user=…)``).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from tracker.admin.base import ServiceAdminMixin, VisibleAdminMixin, form_values
from tracker.admin.history import HistoryAdmin
from tracker.admin.publicity_pdf import publicity_pdf, publicity_period, publicity_title
from tracker.admin.versioning import VersionedAdminMixin, VersionedForm
from tracker.models import BatchReview, DesignationBatch, Objection
from tracker.models.designations import DesignationStatus
from tracker.models.evaluation import ResultStatus
from tracker.services import batches as batch_services
from tracker.xlsx import Table, write_tables

RESULT_LABELS = dict(ResultStatus.choices)
CANDIDATES_SHOWN = 200  # rows of the candidates' table on a batch's page; the designations list pages them all
PUBLISH_PERMISSION = "tracker.publish_designation"


class ObjectionInline(VisibleAdminMixin, admin.TabularInline):
    model = Objection
    fields = ["designation", "received_on", "objector", "content", "resolution", "resolution_note"]
    raw_id_fields = ["designation"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return (
            obj is not None
            and obj.status == DesignationBatch.Status.PUBLICIZING
            and super().has_add_permission(request, obj)
        )

    def has_change_permission(self, request, obj=None):
        return (
            obj is not None
            and obj.status == DesignationBatch.Status.PUBLICIZING
            and super().has_change_permission(request, obj)
        )


class ReviewInline(VisibleAdminMixin, admin.TabularInline):
    model = BatchReview
    fields = ["designation", "outcome", "note"]
    readonly_fields = ["designation"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # entries come from "列出到期待复核的认定"

    def has_change_permission(self, request, obj=None):
        return obj is not None and obj.status in batch_services.OPEN and super().has_change_permission(request, obj)


class DesignationBatchForm(VersionedForm):
    class Meta:
        model = DesignationBatch
        fields = [
            "kind",
            "tier",
            "year",
            "name",
            "document_no",
            "publicity_start",
            "publicity_end",
            "objection_contact",
        ]


@admin.register(DesignationBatch)
class DesignationBatchAdmin(VersionedAdminMixin, ServiceAdminMixin, HistoryAdmin):
    form = DesignationBatchForm
    list_display = [
        "name",
        "tier",
        "kind",
        "year",
        "status",
        "document_no",
        "publicity_start",
        "publicity_end",
        "published_on",
    ]
    list_filter = ["kind", "status", "tier"]
    list_select_related = ["tier"]
    readonly_fields = ["status", "published_on", "created_by", "candidates_display"]
    actions = ["publicize", "publish", "withdraw", "add_due_reviews", "export_publicity_list"]
    fieldsets = [
        (None, {"fields": ["kind", "tier", "year", "name", "document_no", "status", "published_on", "created_by"]}),
        (_("公示"), {"fields": ["publicity_start", "publicity_end", "objection_contact"]}),
        (_("候选企业"), {"fields": ["candidates_display"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False  # a batch that will not go ahead is withdrawn (撤回), which keeps its record

    def has_publish_permission(self, request, obj=None):
        """The steps (公示, 发布, 撤回, 复核): the province's."""
        return self.has_change_permission(request, obj) and request.user.has_perm(PUBLISH_PERMISSION)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_publish"] = self.has_publish_permission(request, obj)  # the step buttons
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_object(self, request, object_id, from_field=None):
        batch = super().get_object(request, object_id, from_field)
        if batch is not None:
            batch.reader = request.user  # whose region decides which candidates the page lists
        return batch

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status not in batch_services.OPEN:  # published or withdrawn: a record
            return [*{f for _name, options in self.fieldsets for f in options["fields"]}]
        fixed = ["kind", "tier"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    inlines = [ReviewInline, ObjectionInline]  # those a batch shows depend on its kind and status

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        inlines = [ReviewInline] if obj.kind == DesignationBatch.Kind.REVIEW else []
        if obj.status != DesignationBatch.Status.DRAFT:  # objections come in during the 公示
            inlines.append(ObjectionInline)
        return inlines

    def save_model(self, request, obj, form, change):
        if change:
            batch_services.batch_update(
                batch=obj,
                user=request.user,
                expected_version=form.expected_version,
                **form_values(form, changed_only=True),
            )
        else:
            saved = batch_services.batch_create(user=request.user, **form_values(form, changed_only=False))
            obj.pk, obj._state.adding = saved.pk, False

    def save_formset(self, request, form, formset, change):
        batch = form.instance
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not inline_form.is_valid():
                continue
            data = inline_form.cleaned_data
            if formset.model is BatchReview:
                batch_services.review_record(
                    review=inline_form.instance, outcome=data["outcome"], note=data.get("note", ""), user=request.user
                )
            elif inline_form.instance.pk is None:
                batch_services.objection_record(
                    batch=batch,
                    designation=data["designation"],
                    received_on=data["received_on"],
                    objector=data["objector"],
                    content=data["content"],
                    user=request.user,
                )
            else:
                batch_services.objection_resolve(
                    objection=inline_form.instance,
                    resolution=data["resolution"],
                    note=data.get("resolution_note", ""),
                    user=request.user,
                )
        formset.new_objects = formset.changed_objects = formset.deleted_objects = []

    @admin.display(description=_("候选企业及当前评价"))
    def candidates_display(self, batch: DesignationBatch):
        reader = getattr(batch, "reader", None)
        if batch.pk is None or reader is None:
            return "—"
        rows = batch_services.batch_candidates(batch=batch, user=reader, limit=CANDIDATES_SHOWN)
        if not rows:
            return _("（暂无。在“评价结果”列表中筛选符合且未认定的企业，用“加入认定批次”动作添加。）")
        statuses = dict(DesignationStatus.choices)  # a label per row, not a lookup of the choices per row
        body = format_html_join(
            "",
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    format_html(' class="{}" style="background:#fdecea"', "no-longer-eligible")
                    if row["no_longer_eligible"]
                    else "",
                    row["designation"].enterprise.name,
                    row["designation"].enterprise.uscc,
                    row["designation"].enterprise.region.name,
                    statuses.get(row["designation"].status, row["designation"].status),
                    str(RESULT_LABELS.get(row["result_status"], _("无结果")))
                    + ("（不再符合）" if row["no_longer_eligible"] else ""),
                )
                for row in rows
            ),
        )
        table = format_html(
            '<table id="batch-candidates"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            _("企业名称"),
            _("统一社会信用代码"),
            _("所在地区"),
            _("认定状态"),
            _("当前评价"),
            body,
        )
        total = batch_services.batch_candidate_count(batch=batch, user=reader)
        if total <= len(rows):
            return table
        # A batch holds thousands of candidates: the page shows those to act on first, the list pages the rest.
        url = reverse("admin:tracker_designation_changelist") + f"?designation_batch__id__exact={batch.pk}"
        more = format_html(
            '<p class="help">{} <a href="{}">{}</a></p>',
            _("共 %(total)s 家候选企业，此处显示 %(shown)s 家（不再符合的在前）。") % {"total": f"{total:,}",
                                                                     "shown": len(rows)},
            url,
            _("在认定记录列表中查看全部"),
        )
        return format_html("{}{}", more, table)

    def _step(self, request, queryset, step, done):
        for batch in queryset:
            try:
                step(batch)
            except ValidationError as error:
                self.message_user(request, f"{batch}：{'；'.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"{batch}：{done}", messages.SUCCESS)

    @admin.action(description=_("开始公示"), permissions=["publish"])
    def publicize(self, request, queryset):
        self._step(
            request, queryset, lambda b: batch_services.batch_publicize(batch=b, user=request.user), _("已开始公示。")
        )

    @admin.action(description=_("发布（认定生效）"), permissions=["publish"])
    def publish(self, request, queryset):
        self._step(
            request,
            queryset,
            lambda b: batch_services.batch_publish(batch=b, user=request.user, published_on=timezone.localdate()),
            _("已发布，认定已生效。"),
        )

    @admin.action(description=_("撤回"), permissions=["publish"])
    def withdraw(self, request, queryset):
        self._step(
            request, queryset, lambda b: batch_services.batch_withdraw(batch=b, user=request.user), _("已撤回。")
        )

    @admin.action(description=_("列出到期待复核的认定"), permissions=["publish"])
    def add_due_reviews(self, request, queryset):
        self._step(
            request,
            queryset,
            lambda b: batch_services.batch_reviews_add_due(batch=b, user=request.user),
            _("已列出待复核的认定。"),
        )

    @admin.action(description=_("导出公示名单（xlsx）"))
    def export_publicity_list(self, request, queryset):
        return publicity_response(queryset.select_related("tier").first(), user=request.user)

    # The same steps as buttons on a batch's own page.

    STEPS = {
        "publicize": (lambda batch, user: batch_services.batch_publicize(batch=batch, user=user), _("已开始公示。")),
        "publish": (
            lambda batch, user: batch_services.batch_publish(batch=batch, user=user, published_on=timezone.localdate()),
            _("已发布，认定已生效。"),
        ),
        "withdraw": (lambda batch, user: batch_services.batch_withdraw(batch=batch, user=user), _("已撤回。")),
        "reviews": (
            lambda batch, user: batch_services.batch_reviews_add_due(batch=batch, user=user),
            _("已列出待复核的认定。"),
        ),
    }

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/step/<str:step>/", view(self.step_view), name="tracker_designationbatch_step"),
            path("<int:pk>/publicity.xlsx", view(self.publicity_view), name="tracker_designationbatch_publicity"),
            path(
                "<int:pk>/publicity.pdf", view(self.publicity_pdf_view), name="tracker_designationbatch_publicity_pdf"
            ),
            *super().get_urls(),
        ]

    def _batch(self, request, pk) -> DesignationBatch:
        return get_object_or_404(self.get_queryset(request).select_related("tier"), pk=pk)

    def step_view(self, request, pk, step):
        if request.method != "POST" or step not in self.STEPS or not self.has_publish_permission(request):
            raise PermissionDenied
        batch = self._batch(request, pk)
        run, done = self.STEPS[step]
        self._step(request, [batch], lambda b: run(b, request.user), done)
        return HttpResponseRedirect(reverse("admin:tracker_designationbatch_change", args=[pk]))

    def publicity_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return publicity_response(self._batch(request, pk), user=request.user)

    def publicity_pdf_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = self._batch(request, pk)
        response = HttpResponse(publicity_pdf(batch, user=request.user), content_type="application/pdf")
        response["Content-Disposition"] = f"attachment; filename=publicity-{batch.pk}.pdf"
        return response


def publicity_response(batch: DesignationBatch, *, user) -> HttpResponse:
    """The 公示 list in the official column order (序号, 企业名称, 统一社会信用代码, 设区市, 县（市、区）…),
    with the rows ``user`` may see."""
    headers, rows = batch_services.publicity_list(batch=batch, user=user)
    title = publicity_title(batch)
    notice = f"公示期：{publicity_period(batch)}。异议受理：{batch.objection_contact or '—'}"
    content = write_tables(
        [
            Table(
                title="公示名单",
                headers=headers,
                rows=rows,
                widths=[6, 36, 22, 12, 14, 24, 16, 14][: len(headers)],
                title_lines=[title, notice],
                text_columns=[2],
            )
        ]
    )
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename=publicity-{batch.pk}.xlsx"
    return response


@admin.action(description=_("加入认定批次（符合且未认定的）"), permissions=["add_to_batch"])
def add_to_batch(modeladmin, request, queryset):
    """Results → candidates of the open draft batch of their tier (one per tier expected)."""
    by_tier: dict[str, list] = {}
    for tier_id, enterprise_id, cluster_id in queryset.values_list("tier_id", "enterprise_id", "cluster_id"):
        by_tier.setdefault(tier_id, []).append((enterprise_id, cluster_id))
    for tier_id, pairs in by_tier.items():
        drafts = list(DesignationBatch.objects.filter(tier_id=tier_id, status="draft", kind="new"))
        if len(drafts) != 1:
            modeladmin.message_user(
                request, _("“%(tier)s”须有且只有一个草拟中的新认定批次。") % {"tier": tier_id}, messages.ERROR
            )
            continue
        outcome = batch_services.batch_candidates_add(batch=drafts[0], candidates=pairs, user=request.user)
        skipped = "；".join(f"{reason} {n} 家" for reason, n in outcome["skipped"].items())
        url = reverse("admin:tracker_designationbatch_change", args=[drafts[0].pk])
        modeladmin.message_user(
            request,
            format_html('已加入 <a href="{}">{}</a>：{} 家。{}', url, drafts[0], outcome["added"], skipped),
            messages.SUCCESS,
        )
