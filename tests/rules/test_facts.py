"""FactTable construction: encoding, missing values and clear errors."""

import datetime as dt

import numpy as np
import pytest

from tracker.rules import FactError, FactTable


def test_from_records_encodes_choices_bools_and_dates():
    table = FactTable.from_records([{
        "attributes": {"sector": "wholesale", "listed": False, "founded_on": "2020-02-03"},
        "metrics": [{"fiscal_year": 2025, "rd_institution_level": "provincial", "own_brand": True}],
        "designations": ["innovative_sme"],
    }])
    assert table.attribute("sector")[0] == 3  # position in SECTORS
    assert table.attribute("listed")[0] == 0
    assert table.attribute("founded_on")[0] == (dt.date(2020, 2, 3) - dt.date(1970, 1, 1)).days
    assert table.metric("rd_institution_level", 2025)[0] == 3
    assert table.metric("own_brand", 2025)[0] == 1
    assert table.holds("innovative_sme")[0] and not table.holds("little_giant")[0]


def test_none_and_absent_facts_are_nan():
    table = FactTable.from_records([{"metrics": [{"fiscal_year": 2025, "revenue": None}]}, {}])
    assert np.isnan(table.metric("revenue", 2025)).all()
    assert np.isnan(table.metric("revenue", 2019)).all()
    assert np.isnan(table.attribute("sector")).all()


def test_an_unknown_metric_name_raises_a_fact_error_naming_it():
    with pytest.raises(FactError) as info:
        FactTable.from_records([{"metrics": [{"fiscal_year": 2025, "revenu": 1}]}])
    assert info.value.field == "revenu" and "revenue" in str(info.value)


def test_a_metric_given_as_an_attribute_is_rejected():
    with pytest.raises(FactError) as info:
        FactTable.from_records([{"attributes": {"revenue": 1}}])
    assert info.value.field == "revenue"


def test_a_bad_choice_raises_a_fact_error_naming_the_field():
    with pytest.raises(FactError) as info:
        FactTable.from_records([{"metrics": [{"fiscal_year": 2025, "rd_institution_level": "ministerial"}]}])
    assert info.value.field == "rd_institution_level" and "ministerial" in str(info.value)


def test_a_metrics_entry_without_fiscal_year_is_rejected():
    with pytest.raises(FactError):
        FactTable.from_records([{"metrics": [{"revenue": 1}]}])


def test_from_columns_accepts_encoded_arrays_and_plain_values():
    table = FactTable.from_columns(
        attributes={"sector": np.array([1.0, np.nan]), "cluster_group": ["future", None],
                    "founded_on": np.array(["2020-01-01", "NaT"], dtype="datetime64[D]")},
        metrics={"revenue": {2025: np.array([1.0, np.nan])}},
        designations={"unicorn": [True, False]})
    assert table.n == 2
    assert table.attribute("cluster_group")[0] == 2 and np.isnan(table.attribute("cluster_group")[1])
    assert np.isnan(table.attribute("founded_on")[1])
    assert table.holds("unicorn").tolist() == [True, False]


def test_from_columns_rejects_out_of_range_choice_codes():
    with pytest.raises(FactError):
        FactTable.from_columns(attributes={"sector": np.array([99.0])})


def test_from_columns_rejects_columns_of_the_wrong_length():
    with pytest.raises(FactError):
        FactTable.from_columns(n=2, metrics={"revenue": {2025: [1.0]}})


def test_take_selects_rows_of_every_column():
    table = FactTable.from_records([{"metrics": [{"fiscal_year": 2025, "revenue": v}]} for v in (1, 2, 3)])
    assert table.take([2, 0]).metric("revenue", 2025).tolist() == [3, 1]
