from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.text import validate_no_control_characters


class Cluster(models.Model):
    """A strategic-emerging-industry cluster of Jiangsu's "51010" system (editable data, not an enum)."""

    class Group(models.TextChoices):
        INTERNATIONAL = "international", _("具有国际竞争力的战略性新兴产业集群")
        NATIONAL_LEADING = "national_leading", _("国内领先的战略性新兴产业集群")
        FUTURE = "future", _("引领突破的未来产业集群")

    code = models.SlugField(_("代码"), max_length=64, unique=True)
    name_zh = models.CharField(_("中文名称"), max_length=64, validators=[validate_no_control_characters])
    name_en = models.CharField(_("英文名称"), max_length=128, blank=True, validators=[validate_no_control_characters])
    group = models.CharField(_("集群类别"), max_length=32, choices=Group.choices)
    name_confirmed = models.BooleanField(
        _("名称已核实"), default=False, help_text=_("未核实的名称来自公开资料推测，请以省级文件为准修改。")
    )
    operating_org = models.CharField(
        _("运营机构"), max_length=128, blank=True, validators=[validate_no_control_characters]
    )
    core_regions = models.ManyToManyField(
        "tracker.Region", verbose_name=_("核心承载区"), blank=True, related_name="core_clusters"
    )
    reference = models.TextField(_("依据"), blank=True, validators=[validate_no_control_characters])

    class Meta:
        verbose_name = _("产业集群")
        verbose_name_plural = _("产业集群")
        ordering = ["group", "code"]

    def __str__(self) -> str:
        return self.name_zh


class ChainSegment(models.Model):
    """A node of a cluster's industrial chain (upstream / midstream / downstream)."""

    class Position(models.TextChoices):
        UPSTREAM = "upstream", _("上游")
        MIDSTREAM = "midstream", _("中游")
        DOWNSTREAM = "downstream", _("下游")

    cluster = models.ForeignKey(Cluster, verbose_name=_("产业集群"), on_delete=models.CASCADE, related_name="segments")
    position = models.CharField(_("链条位置"), max_length=16, choices=Position.choices)
    name = models.CharField(_("环节名称"), max_length=64, validators=[validate_no_control_characters])
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("产业链环节")
        verbose_name_plural = _("产业链环节")
        ordering = ["cluster", "position", "sort_order"]
        constraints = [models.UniqueConstraint(fields=["cluster", "name"], name="segment_unique_name_per_cluster")]

    def __str__(self) -> str:
        return f"{self.cluster.name_zh} · {self.get_position_display()} · {self.name}"


class NationalRecognition(models.Model):
    """A national recognition held by a Jiangsu cluster area (not an extra 51010 cluster)."""

    class Kind(models.TextChoices):
        SEI_CLUSTER = "sei_cluster", _("国家级战略性新兴产业集群")
        ADVANCED_MANUFACTURING = "advanced_manufacturing", _("国家先进制造业集群")

    kind = models.CharField(_("类别"), max_length=32, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=128, validators=[validate_no_control_characters])
    batch = models.CharField(_("批次"), max_length=32, blank=True, validators=[validate_no_control_characters])
    regions = models.ManyToManyField("tracker.Region", verbose_name=_("所在地区"), related_name="recognitions")
    clusters = models.ManyToManyField(
        Cluster, verbose_name=_("对应的 51010 集群"), blank=True, related_name="national_recognitions"
    )
    reference = models.TextField(_("依据"), blank=True, validators=[validate_no_control_characters])

    class Meta:
        verbose_name = _("国家级集群认定")
        verbose_name_plural = _("国家级集群认定")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="recognition_unique_name_per_kind")]

    def __str__(self) -> str:
        return self.name
