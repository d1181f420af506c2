from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tracker import uscc
from tracker.models.row_rules import RowRule, check_instance, year_of
from tracker.models.scoping import RegionScopedQuerySet
from tracker.models.versioning import version_field
from tracker.rules.fields import SECTOR_LABELS
from tracker.text import NUL_MESSAGE, validate_no_control_characters


def _bilingual(zh: str, en: str):
    """A label carried as data in both languages (the engine's sector list), shown in the active one."""
    return lazy(lambda: en if (get_language() or "").startswith("en") else zh, str)()


# Sectors of the SME size standard (工信部联企业〔2011〕300号): the engine's one list, with its labels; the
# size thresholds live in fixtures/size_standards.yaml, keyed by the same codes.
Sector = models.TextChoices(
    "Sector", [(code.upper(), (code, _bilingual(zh, en))) for code, (zh, en) in SECTOR_LABELS.items()]
)


def validate_uscc_shape(value: str) -> None:
    if not uscc.has_valid_shape(uscc.normalize(value)):
        raise ValidationError(
            _("统一社会信用代码应为 18 位，由数字和大写字母组成（不含 I、O、S、V、Z），第 3–8 位为行政区划代码。"),
            code="uscc_shape",
        )


def validate_enterprise_key(key: str) -> None:
    """An enterprise key is an id (ASCII digits) or an 18-character USCC (ASCII letters and digits).

    Anything else is refused with a message saying so rather than read as "no such enterprise": a
    full-width (９１…) or Arabic-Indic digit looks right on screen but is not a USCC, which GB 32100
    writes in ASCII only; we refuse it instead of guessing (the client should send what it stores).
    """
    key = (key or "").strip()
    if "\x00" in key:
        raise ValidationError(NUL_MESSAGE, code="null_characters_not_allowed")
    if key.isascii() and ((key.isdigit() and len(key) < 18) or (len(key) == 18 and key.isalnum())):
        return
    raise ValidationError(
        _(
            "“%(key)s”不是企业 id 或统一社会信用代码：id 为半角数字，统一社会信用代码为 18 位半角数字和大写字母"
            "（全角数字、上标或其他文字的数字不被接受，请改为半角）。"
        ),
        code="enterprise_key",
        params={"key": key[:40]},
    )


def enterprise_key_q(key: str, prefix: str = "") -> Q:
    """The one reading of an enterprise key: 18 characters are a USCC (normalised), ASCII digits an id.

    Anything else matches nothing (a ``²`` or a full-width digit is not an id). ``prefix`` reaches the
    enterprise through a relation (``enterprise__``).
    """
    key = (key or "").strip()
    if "\x00" in key:  # PostgreSQL rejects NUL in a string; such a key names nothing
        return Q(pk__in=[])
    if len(key) == 18:
        return Q(**{f"{prefix}uscc": uscc.normalize(key)})
    if key.isascii() and key.isdigit() and len(key) < 18:
        return Q(**{f"{prefix}pk": int(key)})
    return Q(pk__in=[])


class EnterpriseQuerySet(RegionScopedQuerySet):
    region_lookup = "region"

    def by_key(self, key: str) -> "Enterprise":
        """The enterprise with this id or USCC, or Enterprise.DoesNotExist."""
        return self.get(enterprise_key_q(key))

    def ids_for_keys(self, keys: list[str]) -> tuple[list[int], list[str]]:
        """Ids of the enterprises named by ids or USCCs (one query), and the keys that named none."""
        keys = [(key or "").strip() for key in keys]
        found = dict(self.filter(_any_key(keys)).values_list("pk", "uscc"))
        known_ids, known_codes = set(found), set(found.values())
        unknown = []
        for key in keys:
            if len(key) == 18:
                hit = uscc.normalize(key) in known_codes
            else:
                hit = key.isascii() and key.isdigit() and int(key) in known_ids
            if not hit:
                unknown.append(key)
        return sorted(found), unknown

    def active(self):
        """Enterprises in the register (not archived): what lists show by default and runs evaluate."""
        return self.filter(archived_at__isnull=True)

    def archived(self):
        return self.filter(archived_at__isnull=False)


def _any_key(keys: list[str]) -> Q:
    ids = {int(k) for k in keys if k.isascii() and k.isdigit() and len(k) < 18}
    codes = {uscc.normalize(k) for k in keys if len(k) == 18 and "\x00" not in k}
    return Q(pk__in=ids) | Q(uscc__in=codes)


class Enterprise(models.Model):
    """An enterprise, identified by its 统一社会信用代码."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc_shape])
    uscc_check_override = models.TextField(
        _("校验位例外说明"),
        blank=True,
        help_text=_("校验位不符但依法核发的代码（如早期试点地区），由有权限的人员填写理由后方可保存。"),
        validators=[validate_no_control_characters],
    )
    name = models.CharField(_("企业名称"), max_length=128, db_index=True, validators=[validate_no_control_characters])
    # Indexed with the id below: scoping resolves a city to its enterprises' ids from the index alone.
    region = models.ForeignKey(
        "tracker.Region",
        verbose_name=_("所在地区"),
        on_delete=models.PROTECT,
        related_name="enterprises",
        db_index=False,
    )
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    listed = models.BooleanField(_("已上市"), default=False)
    listed_on = models.DateField(_("上市日期"), null=True, blank=True)
    sector = models.CharField(_("行业（划型）"), max_length=32, choices=Sector.choices, default=Sector.INDUSTRY)
    niche_since = models.PositiveSmallIntegerField(
        _("进入细分市场年份"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
    )
    main_product = models.CharField(
        _("主导产品"), max_length=128, blank=True, validators=[validate_no_control_characters]
    )
    product_code = models.CharField(
        _("统计用产品分类代码"), max_length=10, blank=True, validators=[validate_no_control_characters]
    )
    vc_backed = models.BooleanField(_("获专业投资机构投资"), null=True, blank=True)
    group_has_little_giant = models.BooleanField(
        _("同一集团已有小巨人"),
        null=True,
        blank=True,
        help_text=_("控股或被控股企业已是小巨人，或集团内同类产品已有小巨人。"),
    )
    clusters = models.ManyToManyField(
        "tracker.Cluster", through="ClusterMembership", verbose_name=_("所属集群"), related_name="enterprises"
    )
    # Archived (注销/归档) rather than deleted once official records hang on it: left out of lists and
    # runs, restorable (services/enterprise_archive.py).
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True, editable=False)
    version = version_field()
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["id"]
        permissions = [
            ("override_uscc_check", _("可保存校验位不符的统一社会信用代码")),
            ("hard_delete_enterprise", _("可彻底删除企业及其认定、指标和评价结果")),
        ]
        indexes = [
            models.Index(fields=["region", "id"], name="enterprise_region_id"),
            # The region of each id, in id order, read from the index alone: a list of results (or
            # metrics, changes) in enterprise order filtered by region checks each enterprise it walks
            # past here instead of in the table (the table's pages: seconds at a million, cold).
            models.Index(fields=["id"], include=["region"], name="enterprise_id_region"),
            # The few archived enterprises: their list, and "not archived" asked of the many.
            models.Index(fields=["id"], condition=Q(archived_at__isnull=False), name="enterprise_archived"),
            # The few listed ones (已上市, a filter of the list), with their region for a city's list.
            models.Index(fields=["id"], include=["region"], condition=Q(listed=True), name="enterprise_listed"),
            # On PostgreSQL, GIN indexes on the name (trigrams, two-character pieces) and the USCC serve
            # searches by a fragment: created by migration 0019, not declared here (SQLite has no GIN;
            # tracker/models/name_search.py).
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        check_instance(ENTERPRISE_RULES, self)


# Cross-field rules (row_rules.py): checked by clean() on one row and by the importer on whole files.
ENTERPRISE_RULES = (
    RowRule(
        "listed_on",
        _("未上市企业不应填写上市日期。"),
        reads=("listed_on", "listed"),
        needs=("listed_on",),
        violated=lambda c: c["listed"] != True,  # noqa: E712 (elementwise on an object column)
    ),
    RowRule(
        "listed_on",
        _("上市日期不能早于成立日期。"),
        reads=("listed_on", "founded_on"),
        needs=("listed_on", "founded_on"),
        violated=lambda c: c["listed_on"] < c["founded_on"],
    ),
    RowRule(
        "niche_since",
        _("进入细分市场年份不能早于成立年份。"),
        reads=("niche_since", "founded_on"),
        needs=("niche_since", "founded_on"),
        violated=lambda c: c["niche_since"] < year_of(c["founded_on"]),
    ),
)


class MembershipQuerySet(RegionScopedQuerySet):
    region_lookup = "enterprise__region"


class ClusterMembership(models.Model):
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="memberships"
    )
    cluster = models.ForeignKey(
        "tracker.Cluster", verbose_name=_("产业集群"), on_delete=models.PROTECT, related_name="memberships"
    )
    segment = models.ForeignKey(
        "tracker.ChainSegment",
        verbose_name=_("产业链环节"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="memberships",
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("集群成员")
        verbose_name_plural = _("集群成员")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "cluster"], name="membership_unique_enterprise_cluster")
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} @ {self.cluster}"

    def clean(self) -> None:
        if self.segment_id and self.cluster_id and self.segment.cluster_id != self.cluster_id:
            raise ValidationError({"segment": _("所选环节不属于该集群。")})
