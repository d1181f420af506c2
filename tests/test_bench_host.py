"""The bench records whether the host pages out idle page cache (tracker/bench/report.py)."""

from pathlib import Path

from tracker.bench.report import file_cache_paged_out_after


def _scheme(root: Path, *, state="on", action="pageout", aggr_us="5000000", min_age="12") -> None:
    context = root / "0" / "contexts" / "0"
    scheme = context / "schemes" / "0"
    (context / "monitoring_attrs" / "intervals").mkdir(parents=True)
    (scheme / "access_pattern" / "age").mkdir(parents=True)
    (root / "0" / "state").write_text(f"{state}\n")
    (context / "monitoring_attrs" / "intervals" / "aggr_us").write_text(f"{aggr_us}\n")
    (scheme / "action").write_text(f"{action}\n")
    (scheme / "access_pattern" / "age" / "min").write_text(f"{min_age}\n")


def test_a_running_pageout_scheme_gives_the_idle_time(tmp_path):
    _scheme(tmp_path)  # pages idle for 12 aggregation intervals of 5 s
    assert file_cache_paged_out_after(tmp_path) == 60


def test_no_damon_or_another_action_or_stopped_is_none(tmp_path):
    assert file_cache_paged_out_after(tmp_path / "absent") is None
    for options in ({"action": "stat"}, {"state": "off"}):
        root = tmp_path / next(iter(options.values()))
        _scheme(root, **options)
        assert file_cache_paged_out_after(root) is None
