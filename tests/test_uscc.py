import pytest

from tracker import uscc

VALID = ["91350200776049653A", "913502000728319549", "91440101MA5CJQ4N59", "91350100M000100Y43"]


@pytest.mark.parametrize("code", VALID)
def test_it_accepts_the_published_test_vectors(code):
    assert uscc.has_valid_check_digit(code)


@pytest.mark.parametrize("code", VALID)
def test_it_rejects_each_vector_with_another_check_character(code):
    wrong = next(ch for ch in uscc.CHARSET if ch != code[17])
    assert not uscc.has_valid_check_digit(code[:17] + wrong)


def test_it_rejects_an_early_pilot_code_that_fails_the_check():
    # Legally issued but fails GB 32100 (criteria.md §5.4): needs an override, not silent acceptance.
    assert not uscc.has_valid_check_digit("91350203M0001QAY9B")


@pytest.mark.parametrize(
    "code",
    ["9135020077604965", "91350200776049653AA", "9135020077604965IA", "91AB0200776049653A", ""],
)
def test_it_rejects_codes_of_the_wrong_shape(code):
    assert not uscc.has_valid_shape(code)


def test_it_normalises_case_and_spaces():
    assert uscc.normalize(" 91440101ma5cjq4n59 ") == "91440101MA5CJQ4N59"


def test_it_reads_the_region_code():
    assert uscc.region_code("91350200776049653A") == "350200"
