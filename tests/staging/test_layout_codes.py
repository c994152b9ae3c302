"""The contracts' layout code sets and the dbt macro staging maps codes with must not drift apart."""

from tests.staging.layout_codes import MACRO_PATH, code_key, render_macro


def test_contract_code_sets_macro_matches_the_contracts():
    assert MACRO_PATH.read_text(encoding="utf-8") == render_macro(), (
        f"{MACRO_PATH} differs from the contracts' layout code sets: "
        "run `.venv/bin/python -m tests.staging.layout_codes` and commit the result"
    )


def test_code_key_matches_the_sql_macro_rules():
    assert code_key(" Person Reporting ") == "PERSON_REPORTING"
    assert code_key("(V)") == "V"
    assert code_key("Drugs - County Lines") == "DRUGS_COUNTY_LINES"
    assert code_key("01") == "01"
