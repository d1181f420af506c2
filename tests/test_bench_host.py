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


def test_the_text_report_says_what_memory_the_figures_had():
    from tracker.bench.report import _memory_line

    assert _memory_line({"nproc": 2}) == "memory: not recorded"
    recorded = {"shared_buffers": "128MB", "file_cache_paged_out_after_s": 60.0}
    assert _memory_line(recorded) == "memory: shared_buffers 128MB; the kernel pages out file pages idle 60 s (DAMON)"
    recorded["file_cache_paged_out_after_s"] = None
    assert _memory_line(recorded) == "memory: shared_buffers 128MB; no page-out of idle page cache found"
