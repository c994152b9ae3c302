"""Identifier generators and validators against the examples of DOMAIN.md."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oe_platform.synth import identifiers as ids
from oe_platform.synth import reference as ref


@pytest.mark.parametrize("value, valid", [
    ("1979/0163001B", True), ("2002/0073319Z", True), ("2001/0012345H", True), ("2001/0012345X", False),
    ("2001/0012345", False), ("01/0012345H", False), ("", False), (None, False),
])
def test_pnc_examples(value, valid):
    assert ids.validate_pnc_id(value) is valid


def test_pnc_short_form_expands():
    assert ids.expand_pnc_id("81/34U") == "1981/0000034U"
    assert ids.validate_pnc_id(ids.expand_pnc_id("81/34U"))
    assert ids.shorten_pnc_id("1981/0000034U") == "81/34U"
    assert ids.expand_pnc_id("not a pnc") is None


@pytest.mark.parametrize("value, valid", [
    ("065656/91H", True), ("065656/91J", False), ("SF91/065656H", True), ("SF91/065656A", False), ("65656/91", False),
])
def test_cro_examples(value, valid):
    assert ids.validate_cro_number(value) is valid


def test_made_identifiers_validate():
    rng = np.random.default_rng(1)
    for year, serial in zip(rng.integers(1960, 2025, 200), rng.integers(0, 9_999_999, 200), strict=True):
        pnc = ids.make_pnc_id(int(year), int(serial))
        assert ids.validate_pnc_id(pnc)
        assert ids.validate_pnc_id(ids.expand_pnc_id(ids.shorten_pnc_id(pnc)))
        cro = ids.make_cro_number(int(year), int(serial) % 999_999 + 1, bool(serial % 2))
        assert ids.validate_cro_number(cro)


def test_nhs_numbers_synthetic_range_and_check_digit():
    numbers = ids.make_nhs_numbers(np.random.default_rng(2), 5000)
    assert len(set(numbers)) == 5000
    assert all(ids.validate_nhs_number(n, synthetic_only=True) for n in numbers)
    assert ids.validate_nhs_number("943 476 5919")  # a well-known valid test number
    assert not ids.validate_nhs_number("9434765918")
    assert not ids.validate_nhs_number("9434765919", synthetic_only=True)


def test_a_population_larger_than_the_synthetic_nhs_range_numbers_as_many_as_the_range_holds():
    # tier L (1,160,000 persons) asked the 999 range for more numbers than it has, and failed
    with pytest.raises(ValueError, match="fewer valid numbers"):
        ids.make_nhs_numbers(np.random.default_rng(4), ids.NHS_SYNTHETIC_MAX + 1)
    small = ids.nhs_numbers_for(np.random.default_rng(4), 300, capacity=500)
    assert list(small) == list(ids.make_nhs_numbers(np.random.default_rng(4), 300))
    large = ids.nhs_numbers_for(np.random.default_rng(4), 800, capacity=500)
    held = [n for n in large if n]
    assert len(large) == 800 and len(held) == len(set(held)) == 500
    assert all(ids.validate_nhs_number(n, synthetic_only=True) for n in held)
    # the holders are spread over the population, not its first 500
    assert 0 < sum(1 for n in large[500:] if n) < 300
    # the whole range, as a population near its size needs: distinct, valid, and quick
    everyone = ids.make_nhs_numbers(np.random.default_rng(5), ids.NHS_SYNTHETIC_MAX)
    assert len(ids._synthetic_nhs_numbers()) == ids.NHS_SYNTHETIC_MAX == len(set(everyone)) == 909_091
    assert ids.validate_nhs_number(everyone[0], synthetic_only=True)


def test_phones_are_drama_numbers_in_any_format():
    assert ids.is_drama_number("07700 900123") and ids.is_drama_number("+44 7700 900999")
    assert ids.is_drama_number("01632 960001")
    assert not ids.is_drama_number("07700 901000") and not ids.is_drama_number("07911 123456")
    assert ids.normalise_phone("(07700) 900123") == "+447700900123"
    assert ids.normalise_phone("0044 7700 900123") == "+447700900123"
    assert ids.validate_uk_mobile("07700-900-123")
    assert not ids.validate_uk_mobile("01632 960001")


def test_postcodes():
    assert ids.validate_postcode("CM1 4AB") and ids.validate_postcode("NR20 5GG")
    assert not ids.validate_postcode("CM1 4AC") and not ids.validate_postcode("QA1 1AA")


def test_truth_identifiers_valid(run):
    persons = run.truth_table("persons")
    pnc = persons.loc[persons["pnc_id"] != "", "pnc_id"]
    assert len(pnc) > 100 and pnc.map(ids.validate_pnc_id).all()
    cro = persons.loc[persons["cro_number"] != "", "cro_number"]
    assert len(cro) > 50 and cro.map(ids.validate_cro_number).all()
    assert persons["nhs_number"].map(lambda n: ids.validate_nhs_number(n, synthetic_only=True)).all()
    phones = pd.concat([persons["mobile"], persons["landline"]])
    phones = phones[phones != ""]
    assert len(phones) > 500 and phones.map(ids.is_drama_number).all()
    assert not persons.loc[persons["mobile"] != "", "mobile"].duplicated().any()


def test_truth_addresses_in_the_right_force(run):
    residences = run.truth_table("residences")
    areas = {f.code: set(f.areas) for f in ref.forces()}
    assert residences["postcode"].map(ids.validate_postcode).all()
    ok = [ids.postcode_area(pc) in areas[force]
          for pc, force in zip(residences["postcode"], residences["force_code"], strict=True)]
    assert all(ok)
    # People move, some across force borders.
    moved = residences.groupby("person_id")["force_code"].nunique()
    assert (moved > 1).sum() > 20
