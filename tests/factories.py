"""factory_boy factories for the domain models."""

import itertools
from datetime import date

import factory
from django.contrib.auth import get_user_model

from tracker import uscc
from tracker.models import AnnualMetrics, ChainSegment, Cluster, Designation, Enterprise, Region, Tier, UserOffice

_org_codes = itertools.count(10_000_001)


def make_uscc(region_code: str = "320500", serial: int | None = None) -> str:
    """A valid USCC for an enterprise registered in the given region."""
    serial = next(_org_codes) if serial is None else serial
    first17 = f"91{region_code}{serial:09d}"[:17]
    return first17 + uscc.check_character(first17)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "320500"
    name = "苏州市"
    name_en = "Suzhou"
    level = Region.Level.PREFECTURE


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier
        django_get_or_create = ("code",)

    code = "specialized_sme"
    name_zh = "专精特新中小企业"
    name_en = "Specialized and sophisticated SME"
    track = Tier.Track.QUALITY_SME
    ladder_order = 2
    validity_years = 3


class ClusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cluster

    code = factory.Sequence(lambda n: f"cluster-{n}")
    name_zh = factory.Sequence(lambda n: f"测试产业集群{n}")
    name_en = factory.Sequence(lambda n: f"Test cluster {n}")
    group = Cluster.Group.INTERNATIONAL


class ChainSegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChainSegment

    cluster = factory.SubFactory(ClusterFactory)
    position = ChainSegment.Position.MIDSTREAM
    name = factory.Sequence(lambda n: f"环节{n}")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    region = factory.SubFactory(RegionFactory)
    uscc = factory.LazyAttribute(lambda o: make_uscc(o.region.code))
    name = factory.Sequence(lambda n: f"苏州测试科技有限公司{n}")
    founded_on = date(2012, 5, 1)
    niche_since = 2014


class AnnualMetricsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnnualMetrics

    enterprise = factory.SubFactory(EnterpriseFactory)
    fiscal_year = 2025
    revenue = 50_000_000
    main_business_revenue = 45_000_000
    rd_expense = 2_500_000
    employees = 120
    rd_staff = 30


class DesignationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Designation

    enterprise = factory.SubFactory(EnterpriseFactory)
    tier = factory.SubFactory(TierFactory)
    batch = "2024年第一批"
    document_no = "苏工信中小〔2024〕1号"
    recognized_on = date(2024, 6, 1)
    valid_until = date(2027, 5, 31)
    status = Designation._meta.get_field("status").default


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.cn")
    password = factory.django.Password("correct-horse-battery")


PROVINCE = {"code": "320000", "name": "江苏省", "name_en": "Jiangsu", "level": Region.Level.PROVINCE}


def region(code: str, name: str = "", parent: Region | None = None) -> Region:
    """A region by code, its level read from the code (320000 province, 320500 city, 320506 county)."""
    if code.endswith("0000"):
        level = Region.Level.PROVINCE
    elif code.endswith("00"):
        level = Region.Level.PREFECTURE
    else:
        level = Region.Level.COUNTY
    if parent is None and level != Region.Level.PROVINCE:
        parent = region(code[:2] + "0000") if level == Region.Level.PREFECTURE else region(code[:4] + "00")
    return RegionFactory(code=code, name=name or code, level=level, parent=parent)


def give_office(user, code: str = "320000") -> UserOffice:
    """Place a test user in an office (the province by default: they see every region)."""
    office, _ = UserOffice.objects.update_or_create(user=user, defaults={"region": region(code)})
    user.__dict__.pop("_tidu_region_scope", None)
    return office
