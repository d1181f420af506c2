"""`bench --repeat N`: N rounds of cold → T_io → nightly → incremental, each with its own floor, and
the ratio targets judged on the median of the rounds (tracker/bench/rounds.py, report.targets)."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tracker.bench import report


def _round(*, cold, read, write, nightly, incremental, nightly_changed=0):
    return {
        "cold": {"seconds": cold, "changed": 100, "timings": {"evaluate": 1.0}},
        "t_io": {"seconds": read + write, "read_inputs": {"seconds": read}, "write": {"seconds": write}},
        "nightly": {"seconds": nightly, "changed": nightly_changed},
        "incremental": {"seconds": incremental},
    }


def _by_name(targets):
    return {t["target"]: t for t in targets}


def test_the_ratio_targets_take_the_median_of_the_rounds():
    # The last round is neither the median nor on the same side of every line as the median.
    rounds = [
        _round(cold=140, read=20, write=80, nightly=18, incremental=9),  # 1.40 × T_io, 0.90 × T_read, 6.4 %
        _round(cold=120, read=20, write=80, nightly=25, incremental=6),  # 1.20 ×, 1.25 ×, 5.0 %
        _round(cold=170, read=20, write=80, nightly=15, incremental=5),  # 1.70 ×, 0.75 ×, 2.9 %
    ]
    figures = {**rounds[-1], "rounds": rounds, "peak_rss_bytes": 1}

    targets = _by_name(report.targets(figures))

    cold = targets["cold full recompute ≤ 1.5 × T_io"]
    assert cold["value"] == "1.40 × T_io (median of 3)" and cold["pass"]
    assert cold["note"] == "rounds: 1.40, 1.20, 1.70"
    nightly = targets["nightly (nothing changed) ≤ 1.0 × T_read_inputs"]
    assert nightly["value"] == "0.90 × T_read (median of 3)" and nightly["pass"]
    incremental = targets["incremental (1 % changed) ≤ 5 % of cold"]
    assert incremental["value"] == "5.0 % (median of 3)" and incremental["pass"]
    assert targets["cold full recompute < 5 min"]["value"] == "140.0 s (median of 3)"

    # One round that wrote in its nightly fails that target, whatever the others did.
    rounds[0]["nightly"]["changed"] = 3
    assert not _by_name(report.targets(figures))["nightly writes 0 rows"]["pass"]


def test_one_round_is_judged_on_its_own_figures():
    figures = {**_round(cold=160, read=20, write=80, nightly=21, incremental=7), "peak_rss_bytes": 1}

    targets = _by_name(report.targets(figures))

    cold = targets["cold full recompute ≤ 1.5 × T_io"]
    assert (cold["value"], cold["pass"], cold["note"]) == ("1.60 × T_io", False, "")
    assert targets["nightly (nothing changed) ≤ 1.0 × T_read_inputs"]["value"] == "1.05 × T_read"
    assert targets["incremental (1 % changed) ≤ 5 % of cold"]["value"] == "4.4 %"


def test_the_command_refuses_fewer_than_one_round(db):
    with pytest.raises(CommandError, match="--repeat"):
        call_command("bench", enterprises=10, repeat=0, stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)  # the bench vacuums the emptied results: outside a transaction
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bench measures PostgreSQL's fast path")
def test_two_rounds_each_measure_the_whole_sequence_and_print_their_table():
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    out = io.StringIO()
    call_command(
        "bench", enterprises=60, repeat=2, no_workers=True, orm_sample=0, floor_repeats=1, json=True,
        stdout=out, stderr=io.StringIO(),
    )
    figures = json.loads(out.getvalue())

    assert len(figures["rounds"]) == 2
    first, second = figures["rounds"]
    for one in (first, second):
        assert one["cold"]["changed"] > 0 and one["nightly"]["changed"] == 0
        assert one["t_io"]["seconds"] == pytest.approx(
            one["t_io"]["read_inputs"]["seconds"] + one["t_io"]["write"]["seconds"]
        )
    # Each round's cold run starts from no results and writes them all again.
    assert first["cold"]["changed"] == second["cold"]["changed"]
    assert figures["cold"]["run_id"] == second["cold"]["run_id"] != first["cold"]["run_id"]
    values = [report.ratios(one)["cold_over_t_io"] for one in (first, second)]
    cold = _by_name(figures["targets"])["cold full recompute ≤ 1.5 × T_io"]
    assert cold["note"] == "rounds: " + ", ".join(f"{v:.2f}" for v in values)

    text = report.render(figures)
    assert "the rows below are round 2 of 2; every round is in the table after them" in text
    assert "rounds (2; the targets below take the median of each ratio):" in text
    assert "(median of 2)" in text
