"""Reference data: `bootstrap` loads Jiangsu's regions, the 51010 clusters, the tiers and the national
recognitions, and running it again changes nothing."""

from collections import Counter

import pytest
from django.core.management import call_command

from tracker.models import ChainSegment, Cluster, NationalRecognition, Region, Ruleset, Tier
from tracker.selectors.rulesets import size_standards
from tracker.services.reference_data import reference_data_load

pytestmark = pytest.mark.django_db


def table_counts():
    return {
        "regions": Region.objects.count(),
        "clusters": Cluster.objects.count(),
        "segments": ChainSegment.objects.count(),
        "tiers": Tier.objects.count(),
        "recognitions": NationalRecognition.objects.count(),
        "rulesets": Ruleset.objects.count(),
    }


def test_it_loads_jiangsu_and_its_13_cities():
    reference_data_load()
    jiangsu = Region.objects.get(code="320000")
    assert jiangsu.level == Region.Level.PROVINCE and jiangsu.parent is None
    cities = Region.objects.filter(parent=jiangsu, level=Region.Level.PREFECTURE)
    assert cities.count() == 13
    assert Region.objects.get(code="320500").name == "苏州市"


def test_it_loads_the_95_current_county_level_divisions_under_their_cities():
    reference_data_load()
    counties = Region.objects.current().filter(level=Region.Level.COUNTY)
    assert counties.count() == 95
    assert all(county.code[:4] == county.parent.code[:4] for county in counties.select_related("parent"))
    wuzhong = Region.objects.get(code="320506")
    assert (wuzhong.name, wuzhong.parent.code) == ("吴中区", "320500")
    # 55 districts, 21 county-level cities, 19 counties (GB/T 2260: 01–20 districts, 21–50 counties,
    # 81–99 county-level cities in the last two digits)
    kinds = Counter("city" if c.code[4:] >= "81" else "county" if c.code[4:] >= "21" else "district" for c in counties)
    assert kinds == {"district": 55, "city": 21, "county": 19}


def test_retired_codes_are_kept_with_their_successor():
    reference_data_load()
    gangzha = Region.objects.get(code="320611")
    assert gangzha.retired_in == 2020 and gangzha.successor.code == "320613"
    assert Region.objects.get(code="320684").successor.name == "海门区"
    assert not Region.objects.filter(retired_in__isnull=False, successor__isnull=True).exists()
    assert not Region.objects.filter(successor__retired_in__isnull=False).exists()


def test_it_loads_25_clusters_in_three_groups_with_segments():
    reference_data_load()
    assert Counter(Cluster.objects.values_list("group", flat=True)) == {
        "international": 5,
        "national_leading": 10,
        "future": 10,
    }
    assert Cluster.objects.filter(name_confirmed=True).count() == 9
    for cluster in Cluster.objects.prefetch_related("segments"):
        assert {s.position for s in cluster.segments.all()} == {"upstream", "midstream", "downstream"}
        if not cluster.name_confirmed:
            assert "未经" in cluster.reference


def test_it_loads_the_eight_tiers_on_their_tracks():
    reference_data_load()
    tiers = {t.code: t for t in Tier.objects.all()}
    assert len(tiers) == 8
    assert [t.code for t in sorted(tiers.values(), key=lambda t: t.ladder_order) if t.track == "quality_sme"] == [
        "innovative_sme",
        "specialized_sme",
        "little_giant",
        "single_champion",
    ]
    assert tiers["little_giant"].validity_years == 3
    assert tiers["gazelle"].validity_years is None
    assert tiers["chain_leader"].per_cluster is True and tiers["chain_leader"].track == "chain"


def test_it_records_national_recognitions_not_extra_clusters():
    reference_data_load()
    assert NationalRecognition.objects.filter(kind="sei_cluster").count() == 3
    assert NationalRecognition.objects.filter(kind="advanced_manufacturing").count() == 10
    suzhou_bio = NationalRecognition.objects.get(kind="sei_cluster", name__contains="苏州")
    assert list(suzhou_bio.regions.values_list("code", flat=True)) == ["320500"]
    assert list(suzhou_bio.clusters.values_list("code", flat=True)) == ["biomedicine"]


def test_it_changes_nothing_when_run_twice():
    first = reference_data_load()
    before = table_counts()
    second = reference_data_load()
    assert table_counts() == before
    assert first["regions"]["created"] == 139 and first["clusters"]["created"] == 25
    for table, counts in second.items():
        if table != "notices":
            assert counts["created"] == 0 and counts["updated"] == 0, table
    assert second["regions"]["unchanged"] == 139
    assert second["tiers"]["unchanged"] == 8


def test_it_updates_a_changed_row_back_to_the_fixture():
    reference_data_load()
    Cluster.objects.filter(code="biomedicine").update(name_en="Changed")
    counts = reference_data_load()
    assert counts["clusters"]["updated"] == 1
    assert Cluster.objects.get(code="biomedicine").name_en == "Biomedicine"


def test_it_leaves_an_active_ruleset_with_a_differing_definition_unchanged():
    reference_data_load()
    ruleset = Ruleset.objects.filter(status=Ruleset.Status.ACTIVE).first()
    if ruleset is None:
        pytest.skip("no active ruleset shipped yet")
    Ruleset.objects.filter(pk=ruleset.pk).update(definition={"id": "root", "kind": "all", "children": []})
    counts = reference_data_load()
    assert counts["rulesets"]["active_differs"] == 1
    assert counts["notices"]
    assert Ruleset.objects.get(pk=ruleset.pk).definition["children"] == []


def test_it_updates_a_draft_ruleset_to_its_fixture():
    reference_data_load()
    ruleset = Ruleset.objects.first()
    if ruleset is None:
        pytest.skip("no ruleset shipped yet")
    original = ruleset.definition
    Ruleset.objects.filter(pk=ruleset.pk).update(status=Ruleset.Status.DRAFT, definition={"id": "x"})
    counts = reference_data_load()
    assert counts["rulesets"]["updated"] == 1
    assert Ruleset.objects.get(pk=ruleset.pk).definition == original


def test_the_bootstrap_command_says_when_nothing_changed(capsys):
    call_command("bootstrap")
    call_command("bootstrap")
    assert "nothing changed" in capsys.readouterr().out


def test_the_shipped_size_standards_are_read():
    standards = size_standards()
    assert standards["industry"]["max_employees"] == 1000


def test_one_list_of_sectors_serves_the_model_the_engine_and_the_size_standards():
    import yaml

    from tracker.models.enterprises import Sector
    from tracker.rules.fields import SECTORS
    from tracker.services.reference_data import DEFAULT_FIXTURES_DIR

    assert tuple(Sector.values) == SECTORS
    with open(DEFAULT_FIXTURES_DIR / "size_standards.yaml", encoding="utf-8") as fh:
        assert tuple(yaml.safe_load(fh)) == SECTORS


@pytest.mark.django_db
def test_bootstrap_retires_superseded_rulesets_of_a_database_loaded_before():
    reference_data_load()
    superseded = ("MIIT-2022-63-A2", "MIIT-2026-2-A1", "MIIT-2026-2-A1-REVIEW")
    # A database loaded before revision 2: the superseded versions were active, the grant window unset.
    Ruleset.objects.filter(version__in=superseded).update(status="active")
    Ruleset.objects.filter(version="MIIT-2022-63-A3-REVIEW-2026").update(granted_to=None)
    counts = reference_data_load()
    assert counts["rulesets"]["active_differs"] == 0
    assert set(Ruleset.objects.filter(version__in=superseded).values_list("status", flat=True)) == {"retired"}
    assert str(Ruleset.objects.get(version="MIIT-2022-63-A3-REVIEW-2026").granted_to) == "2026-03-31"


def test_a_ruleset_the_load_changes_gets_a_new_revision():
    """A criteria table opened on a draft before the load is then refused as stale."""
    call_command("bootstrap", verbosity=0)
    ruleset = Ruleset.objects.filter(status="active").first()
    Ruleset.objects.filter(pk=ruleset.pk).update(status="draft", reference="changed in the database")
    call_command("bootstrap", verbosity=0)
    ruleset.refresh_from_db()
    assert ruleset.reference != "changed in the database" and ruleset.revision == 2
