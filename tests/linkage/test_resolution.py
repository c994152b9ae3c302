"""Who is who: the committed model with its guards on small, realistic record sets."""

from __future__ import annotations

from oe_platform.linkage.clustering import (
    DEFAULT_THRESHOLD,
    DOB_KEYED_WITH_ERRORS_MIN_SHARE,
    REGISTER_THRESHOLD,
    VALUE_REPLACED_MIN_SHARE,
)
from oe_platform.linkage.records import AREA_POSTCODE_MIN_ADDRESS_LINES
from oe_platform.linkage.spec import (
    ADDRESS_ALIKE,
    ADDRESS_SIMILAR,
    DOB_TWO_ERRORS,
    NAME_IN_OTHER_FIELD,
    SAME_ADDRESS,
    SWAPPED_MISTYPED,
    level_gammas,
    untrained_settings,
)
from tests.linkage.conftest import families, keyed_duplicates, pair_of, person_of, record, replaced_duplicates

CHECK = "ZABCDEFGHJKLMNPQRTUVWXY"


def pnc(year: int, serial: int) -> str:
    """A PNC ID with a valid check letter (DOMAIN.md)."""
    return f"{year:04d}/{serial:07d}{CHECK[int(f'{year % 100:02d}{serial:07d}') % 23]}"


def test_lookalikes_a_week_apart_at_different_addresses_are_not_merged(link):
    rows = [
        # one keying error apart (12 -> 19): a typo or a different person
        record("la-1", "JAMES", "HATHERSAGE", "1990-05-12", postcode="NR1 1AA", sex="M"),
        record("la-2", "JAMES", "HATHERSAGE", "1990-05-19", postcode="IP4 2BD", sex="M", force="suffolk"),
        # two characters apart (03 -> 10)
        record("lb-1", "SARAH", "PRIESTLEY", "1984-11-03", postcode="CB1 2DE", sex="F"),
        record("lb-2", "SARAH", "PRIESTLEY", "1984-11-10", postcode="SS1 3FG", sex="F", force="essex"),
    ]
    persons = person_of(link(rows))
    assert persons["la-1"] != persons["la-2"]
    assert persons["lb-1"] != persons["lb-2"]


def test_nickname_with_the_same_date_of_birth_is_merged(link):
    rows = [
        record("nn-1", "BILL", "SMITH", "1971-08-23", postcode="NR2 4HJ", sex="M", force="norfolk"),
        record("nn-2", "WILLIAM", "SMITH", "1971-08-23", sex="M", force="suffolk"),
    ]
    run = link(rows)
    persons = person_of(run)
    assert persons["nn-1"] == persons["nn-2"]
    assert pair_of(run, "nn-1", "nn-2")["edge_status"].tolist() == ["accepted"]


def test_ambiguous_and_mistyped_nicknames_are_merged(link):
    rows = [
        # SANDY is short for ALEXANDER or SANDRA; JACK for JACOB or JOHN: staging maps them to neither
        record("an-1", "SANDY", "MALLINSON", "1993-06-21", postcode="NR3 1TB", sex="M", force="norfolk"),
        record("an-2", "ALEXANDER", "MALLINSON", "1993-06-21", postcode="NR3 1TB", sex="M", force="suffolk"),
        record("an-3", "JACK", "OAKSHOTT", "1979-12-02", postcode="CB4 3JP", sex="M", force="essex"),
        record("an-4", "JOHN", "OAKSHOTT", "1979-12-02", postcode="CB4 3JP", sex="M", force="kent"),
        # a nickname against a mistyped formal name: DAVE (DAVID) and DQVID (one keying error from DAVID)
        record("an-5", "DAVE", "KIRKBRIDE", "1985-02-14", postcode="ME1 2LS", sex="M", force="kent"),
        record("an-6", "DQVID", "KIRKBRIDE", "1985-02-14", postcode="ME1 2LS", sex="M", force="essex"),
    ]
    run = link(rows)
    persons = person_of(run)
    assert persons["an-1"] == persons["an-2"]
    assert persons["an-3"] == persons["an-4"]
    assert persons["an-5"] == persons["an-6"]
    for a, b in (("an-1", "an-2"), ("an-3", "an-4"), ("an-5", "an-6")):
        assert pair_of(run, a, b)["edge_status"].tolist() == ["accepted"]


def test_a_false_name_on_file_as_an_alias_is_merged_and_without_it_is_not(link):
    rows = [
        # custody lists the false name the man gave when arrested in Kent
        record("al-1", "CALLUM", "DUNMORE", "1996-10-08", postcode="CT1 2EH", sex="M", force="custody-kent",
               source="custody", aliases="DUNNY;LEE FAIRHURST"),
        record("al-2", "LEE", "FAIRHURST", "1996-10-08", postcode="CT1 2EH", sex="M", force="kent"),
        # the same situation with no alias on file: a different name is a different person
        record("al-3", "RHYS", "LOVEDAY", "1991-01-30", postcode="WR1 1PQ", sex="M", force="west-mercia"),
        record("al-4", "OWEN", "JESSOP", "1991-01-30", postcode="WR1 1PQ", sex="M", force="warwickshire"),
    ]
    run = link(rows)
    persons = person_of(run)
    assert persons["al-1"] == persons["al-2"]
    assert persons["al-3"] != persons["al-4"]


def test_day_and_month_transposed_is_merged(link):
    rows = [
        record("tr-1", "REBECCA", "ELLWOOD", "1988-03-04", postcode="IP1 3QT", sex="F", force="suffolk"),
        record("tr-2", "REBECCA", "ELLWOOD", "1988-04-03", postcode="IP1 3QT", sex="F", force="essex"),
    ]
    persons = person_of(link(rows))
    assert persons["tr-1"] == persons["tr-2"]


def test_twins_with_different_forenames_are_not_merged(link):
    shared = {"postcode": "CM2 7LP", "phone": "+447700900321", "force": "essex"}
    rows = [
        record("tw-1", "OLIVER", "NETTLESHIP", "2004-09-17", sex="M", **shared),
        record("tw-2", "HARRY", "NETTLESHIP", "2004-09-17", sex="M", **shared),
        record("tw-3", "OLIVER", "NETTLESHIP", "2004-09-17", sex="M", postcode="CM2 7LP", force="kent"),
    ]
    persons = person_of(link(rows))
    assert persons["tw-1"] == persons["tw-3"]
    assert persons["tw-2"] not in {persons["tw-1"], persons["tw-3"]}


def test_family_at_one_address_is_not_merged(link):
    address = {"postcode": "LU1 3HT", "phone": "+441632960111", "force": "bedfordshire"}
    rows = [
        record("fa-1", "JOHN", "GOLIGHTLY", "1966-02-14", sex="M", **address),
        record("fa-2", "JOHN", "GOLIGHTLY", "1994-07-30", sex="M", **address),  # son named after father
        record("fa-3", "JACK", "GOLIGHTLY", "1997-01-05", sex="M", **address),
        record("fa-4", "EMMA", "GOLIGHTLY", "1968-10-09", sex="F", **address),
    ]
    persons = person_of(link(rows))
    assert len({persons[f"fa-{i}"] for i in range(1, 5)}) == 4


def test_the_same_pnc_id_links_an_alias(link):
    rows = [
        record("al-1", "DECLAN", "OAKSHOTT", "1989-12-01", postcode="ME1 2XY", pnc=pnc(2007, 123456)),
        record("al-2", "DEAN", "MALLINSON", "1989-12-01", force="kent", pnc=pnc(2007, 123456)),
    ]
    persons = person_of(link(rows))
    assert persons["al-1"] == persons["al-2"]


def test_records_of_one_source_key_are_one_person(link):
    rows = [
        record("sk-1", "FREYA", "LOVEDAY", "2001-04-22", postcode="CV1 2GT", ref="N7001"),
        record("sk-2", "FREYA", "HAWKSWORTH", None, ref="N7001"),  # alias row of the same nominal
    ]
    persons = person_of(link(rows))
    assert persons["sk-1"] == persons["sk-2"]


def test_two_valid_pnc_ids_in_one_component_are_split_and_reviewed(link):
    common = {"postcode": "NR3 2AB", "sex": "M"}
    rows = [
        record("pc-1", "DANIEL", "KIRKBRIDE", "1992-06-14", pnc=pnc(2010, 555001), force="norfolk", **common),
        record("pc-2", "DANIEL", "KIRKBRIDE", "1992-06-14", pnc=pnc(2012, 777002), force="suffolk", **common),
        record("pc-3", "DANIEL", "KIRKBRIDE", "1992-06-14", force="essex", **common),  # matches both
    ]
    run = link(rows)
    persons = person_of(run)
    assert persons["pc-1"] != persons["pc-2"]
    assert persons["pc-3"] in {persons["pc-1"], persons["pc-2"]}
    review = run.review
    conflicts = review[review["review_type"] == "cluster_conflict"]
    assert len(conflicts) == 1
    assert "pnc_id" in conflicts.iloc[0]["reason"]
    assert conflicts.iloc[0]["action"].startswith("split into 2 clusters")
    # the directly conflicting pair itself was never an edge
    assert pair_of(run, "pc-1", "pc-2")["edge_status"].tolist() == ["identifier_conflict"]


def test_a_record_without_date_of_birth_does_not_bridge_father_and_son(link):
    household = {"postcode": "WR1 4PQ", "force": "west-mercia"}
    rows = [
        record("br-1", "GEORGE", "FAIRHURST", "1960-03-02", sex="M", **household),
        record("br-2", "GEORGE", "FAIRHURST", "1990-08-19", sex="M", **household),
        record("br-3", "GEORGE", "FAIRHURST", None, sex="M", **household),
    ]
    persons = person_of(link(rows))
    assert persons["br-1"] != persons["br-2"]


def test_an_initial_without_date_of_birth_at_one_address_is_a_relative_only_where_people_live_in_households(link):
    """J DUNWORTH (no date of birth) and JASMINE DUNWORTH at one address: in a register of independent
    people the score decides (one person with an initial); among households she may be J's mother or
    daughter, and the household_relative guard keeps them apart."""
    home = {"postcode": "TN25 7PZ", "address": "37 REYNOLDS CRESCENT"}
    rows = [
        record("hr-1", "J", "DUNWORTH", None, sex="F", **home),
        record("hr-2", "JASMINE", "DUNWORTH", "1976-12-01", sex="F", force="kent", **home),
    ]
    register = link(rows)
    assert not register.households["full_guard"]
    assert register.households["relatives_per_1000_profiles"] < register.config.household_relatives_min
    assert pair_of(register, "hr-1", "hr-2")["edge_status"].tolist() == ["accepted"]
    assert person_of(register)["hr-1"] == person_of(register)["hr-2"]

    among_families = link(rows + families())
    assert among_families.households["full_guard"]
    assert pair_of(among_families, "hr-1", "hr-2")["edge_status"].tolist() == ["household_relative"]
    assert person_of(among_families)["hr-1"] != person_of(among_families)["hr-2"]
    # the families themselves stay apart: no parent is merged with a child
    persons = person_of(among_families)
    for family in {row["person_record_id"][:6] for row in families()}:
        members = [f"{family}-{j}" for j in range(4)]
        assert len({persons[m] for m in members}) == 4


def test_evident_relatives_are_counted_per_1000_profiles():
    """Parent and child at one address count; a record and its copy with the year mistyped do not
    (forenames alike), nor do namesakes at different addresses."""
    import duckdb

    from oe_platform.linkage.clustering import household_relatives_per_1000

    con = duckdb.connect()
    con.execute("""
        create temp table lk_profiles as select * from (values
            (1, 'MOSS', 'KAREN', 'KAREN', date '1961-04-02', '4 MILL LANE'),
            (2, 'MOSS', 'TYLER', 'TYLER', date '1992-09-30', '4 MILL LANE'),
            (3, 'MOSS', 'KAREN', 'KAREN', date '1981-04-02', '4 MILL LANE'),
            (4, 'HOLT', 'ALAN', 'ALAN', date '1950-01-01', '9 OAK WAY'),
            (5, 'HOLT', 'BRIAN', 'BRIAN', date '1990-01-01', '12 ELM ROAD'),
            (6, 'HOLT', 'CAROL', 'CAROL', null, '9 OAK WAY')
        ) t(profile_id, surname_std, forename_std, forename_formal, date_of_birth, address_std)
    """)
    # KAREN 1961 / TYLER 1992 and KAREN 1981 / TYLER 1992 (more than ten years, unalike forenames);
    # KAREN / KAREN is one person with the year mistyped; the HOLTs are not at one address with two dates
    assert household_relatives_per_1000(con) == 1000 * 2 / 6


def test_clusters_report_size_and_confidence(link):
    rows = [
        record("cs-1", "TOBIAS", "JESSOP", "1999-09-09", postcode="PE1 1AB", force="norfolk"),
        record("cs-2", "TOBIAS", "JESSOP", "1999-09-09", postcode="PE1 1AB", force="suffolk"),
        record("cs-3", "TOBIAS", "JESSOP", "1999-09-09", force="essex"),
    ]
    clusters = link(rows).clusters.set_index("person_record_id")
    assert clusters.loc[["cs-1", "cs-2", "cs-3"], "cluster_size"].tolist() == [3, 3, 3]
    assert (clusters.loc[["cs-1", "cs-2", "cs-3"], "match_confidence"] >= 0.99).all()
    singles = clusters[clusters["cluster_size"] == 1]
    assert len(singles) and singles["match_confidence"].isna().all()


def test_a_name_alone_is_not_linked_but_the_only_candidate_is_offered_for_review(link):
    rows = [
        record("no-1", "TOBIAS", "GOLIGHTLY", "1999-04-11", postcode="LU1 3ET", sex="M", force="bedfordshire"),
        record("no-2", "TOBY", "GOLIGHTLY", None, source="osint", force="national", ref="OS-1"),
        # two resolved people share this name: no single candidate to offer
        record("no-3", "FREYA", "CRISPIN", "1990-02-01", postcode="SG1 1AA", sex="F", force="hertfordshire"),
        record("no-4", "FREYA", "CRISPIN", "1972-07-19", postcode="MK40 2BB", sex="F", force="bedfordshire"),
        record("no-5", "FREYA", "CRISPIN", None, source="osint", force="national", ref="OS-2"),
    ]
    run = link(rows)
    persons = person_of(run)
    assert persons["no-2"] != persons["no-1"]
    assert persons["no-5"] not in {persons["no-3"], persons["no-4"]}
    review = run.review
    offered = review[review["review_type"] == "name_only_candidate"]
    assert offered[["person_record_id", "other_person_record_id"]].values.tolist() == [["no-2", "no-1"]]


def test_the_same_address_line_counts_where_there_is_no_uk_postcode(link):
    rows = [
        # a partner abroad: a foreign postal code (starts with a digit) and the address line
        record("ab-1", "MAISIE", "HATHERSAGE", None, address="14 RUE DES LILAS 75011 PARIS", postcode="75011",
               sex="F", source="canonical", force="interpol-demo"),
        record("ab-2", "MAISIE", "HATHERSAGE", None, address="14 RUE DES LILAS 75011 PARIS", sex="F",
               source="canonical", force="interpol-demo", ref="X-2"),
        # her sister at the same address: the same surname and address, another forename
        record("ab-3", "ISLA", "HATHERSAGE", None, address="14 RUE DES LILAS 75011 PARIS", sex="F",
               source="canonical", force="interpol-demo", ref="X-3"),
    ]
    run = link(rows)
    persons = person_of(run)
    assert persons["ab-1"] == persons["ab-2"]
    assert persons["ab-3"] != persons["ab-1"]
    address = level_gammas(untrained_settings())["address"][SAME_ADDRESS]
    assert run.pairs.loc[pair_of(run, "ab-1", "ab-2").index, "gamma_address"].tolist() == [address]


def test_a_forename_mistyped_twice_is_merged(link):
    """GARETH keyed as GAETH (two keying errors: beyond Jaro-Winkler 0.84 and one edit), with the
    same surname, date of birth and postcode, is one person."""
    rows = [
        record("ft-1", "GARETH", "KIRKBRIDE", "1991-09-28", postcode="MK40 8SE", sex="M", force="bedfordshire"),
        record("ft-2", "GAETH", "KIRKBRIDE", "1991-09-28", postcode="MK40 8SE", sex="M", source="custody"),
    ]
    persons = person_of(link(rows))
    assert persons["ft-1"] == persons["ft-2"]


def test_a_date_of_birth_with_two_keying_errors_is_merged_at_one_address(link):
    rows = [
        record("dt-1", "MAISIE", "LOVEDAY", "1986-03-14", postcode="SG1 4RT", sex="F", force="hertfordshire",
               phone="+447700900654"),
        record("dt-2", "MAISIE", "LOVEDAY", "1986-08-24", postcode="SG1 4RT", sex="F", source="intel",
               phone="+447700900654"),
    ]
    persons = person_of(link(rows))
    assert persons["dt-1"] == persons["dt-2"]


def test_a_date_of_birth_keyed_beyond_two_errors_is_one_person_only_where_people_live_without_families(link):
    """One person, one address, the date of birth keyed with day and month swapped and a digit changed
    (1988-12-05 / 1987-05-12: three keying errors, a year apart). In a register of independent people
    nothing else could share names, address and phone; among households a sibling could, so the
    dob_conflict guard holds there. Decades apart (a parent and child) stays apart in both."""
    home = {"postcode": "NR30 7DU", "address": "178 LOWE MEWS", "phone": "+447700900918", "sex": "F"}
    rows = [
        record("kb-1", "BETHAN", "WHITTAKER", "1988-12-05", force="norfolk", **home),
        record("kb-2", "BETHAN", "WHLTTAKER", "1987-05-12", source="intel", force="suffolk", **home),
        record("kb-3", "BETHAN", "WHITTAKER", "1961-03-27", source="custody", force="essex", **home),
    ]
    register = link(rows)
    assert not register.households["full_guard"]
    assert register.config.threshold == register.households["threshold"] == REGISTER_THRESHOLD
    assert pair_of(register, "kb-1", "kb-2")["edge_status"].tolist() == ["accepted"]
    persons = person_of(register)
    assert persons["kb-1"] == persons["kb-2"] != persons["kb-3"]

    among_families = link(rows + families())
    assert among_families.households["full_guard"]
    assert among_families.config.threshold == DEFAULT_THRESHOLD
    assert pair_of(among_families, "kb-1", "kb-2")["edge_status"].tolist() == ["dob_conflict"]
    persons = person_of(among_families)
    assert len({persons["kb-1"], persons["kb-2"], persons["kb-3"]}) == 3


def test_a_decade_digit_mistyped_is_one_person_only_in_a_register_keyed_with_errors(link):
    """The decade of the year and a digit of the day mistyped (1953-11-19 / 1993-11-18: two keying
    errors, forty years apart), the surname mistyped too, at one address. In a register whose own
    records show dates of birth keyed with errors (keyed_duplicates: names and address agreeing, dates of
    birth one keying error apart) that is one person; in a register that shows none (the tests'
    background: people with one date of birth each), as among households, the dob_conflict guard keeps
    it apart (a father and son: test_two_keying_errors_in_the_date_of_birth_are_no_excuse_decades_apart).
    A third date of birth far from both stays another person everywhere."""
    home = {"postcode": "TN30 5EQ", "address": "FLAT 1 223 PATTERSON PL", "sex": "M"}
    rows = [
        record("dd-1", "RICHARD", "BENNETT", "1953-11-19", force="kent", **home),
        record("dd-2", "RICHARD", "BENZETT", "1993-11-18", source="intel", force="essex", **home),
        record("dd-3", "RICHARD", "BENNETT", "1981-04-02", source="custody", force="suffolk", **home),
    ]
    keyed = link(rows + keyed_duplicates())
    assert not keyed.households["full_guard"]
    assert keyed.households["dob_keyed_with_errors"]
    assert keyed.households["dob_keying_error_share"] >= DOB_KEYED_WITH_ERRORS_MIN_SHARE
    assert pair_of(keyed, "dd-1", "dd-2")["edge_status"].tolist() == ["accepted"]
    persons = person_of(keyed)
    assert persons["dd-1"] == persons["dd-2"] != persons["dd-3"]

    clean = link(rows)
    assert not clean.households["full_guard"] and not clean.households["dob_keyed_with_errors"]
    assert pair_of(clean, "dd-1", "dd-2")["edge_status"].tolist() == ["dob_conflict"]
    among_families = link(rows + keyed_duplicates() + families())
    assert among_families.households["full_guard"]
    # among households the pair does not reach the threshold of 0.95 (and the guard would veto it)
    assert pair_of(among_families, "dd-1", "dd-2")["edge_status"].tolist() in (["dob_conflict"], ["below_threshold"])
    for run in (clean, among_families):
        persons = person_of(run)
        assert len({persons["dd-1"], persons["dd-2"], persons["dd-3"]}) == 3


def test_a_forename_misread_or_keyed_short_is_one_person_only_where_people_live_without_families(link):
    """Forenames a scanner misread (AMBER / UARNBER: M read as RN) or keyed short (SARAH / RAH), with the
    same surname, date of birth and address: one person in a register, a forename conflict among
    households (siblings born the same day). A twin's other forename is a conflict in both."""
    rows = [
        record("ocr-1", "AMBER", "ANDERSON", "1933-05-04", postcode="ME19 2GX", address="244 QUEENS AVE",
               sex="F", force="kent"),
        record("ocr-2", "UARNBER", "ANDERSON", "1933-05-04", address="244 QUEENS AVE", sex="F",
               source="intel", force="essex"),
        record("ks-1", "SARAH", "RUSSELL", "2006-03-08", postcode="WD3 4WP", address="85 BIBI MEWS",
               sex="F", force="hertfordshire"),
        record("ks-2", "RAH", "RUSSELL", "2006-03-08", postcode="WD3 4WP", address="85 BIBI MEWS",
               sex="F", source="intel", force="bedfordshire"),
        record("tw-1", "OLIVER", "NETTLESHIP", "2004-09-17", postcode="CM2 7LP", address="12 MILL RD",
               sex="M", force="essex"),
        record("tw-2", "HARRY", "NETTLESHIP", "2004-09-17", postcode="CM2 7LP", address="12 MILL RD",
               sex="M", source="intel", force="kent"),
    ]
    register = link(rows)
    assert not register.households["full_guard"]
    persons = person_of(register)
    assert persons["ocr-1"] == persons["ocr-2"]
    assert persons["ks-1"] == persons["ks-2"]
    assert persons["tw-1"] != persons["tw-2"]
    assert pair_of(register, "tw-1", "tw-2")["edge_status"].tolist() == ["forename_conflict"]

    among_families = link(rows + families())
    assert among_families.households["full_guard"]
    persons = person_of(among_families)
    assert persons["ks-1"] != persons["ks-2"]
    assert persons["tw-1"] != persons["tw-2"]


def test_a_mistyped_postcode_is_enough_evidence_only_where_people_live_without_families(link):
    """The same name, a date of birth one keying error apart, and postcodes one keying error apart
    (PE3 4TF / PE9 4TF) with one address line missing: in a register the postcode nearly agreeing is the
    evidence the thin_evidence guard asks for; among households it is not (a namesake nearby)."""
    rows = [
        record("pc-1", "TERRY", "NICHOLSON", "1943-08-14", postcode="PE3 4TF", address="80 HOLLY PL",
               sex="M", force="cambridgeshire"),
        record("pc-2", "TERRY", "NICHOLSON", "1943-04-14", postcode="PE9 4TF", sex="M", source="intel",
               force="norfolk"),
    ]
    register = link(rows)
    assert not register.households["full_guard"]
    assert pair_of(register, "pc-1", "pc-2")["edge_status"].tolist() == ["accepted"]
    among_families = link(rows + families())
    assert pair_of(among_families, "pc-1", "pc-2")["edge_status"].tolist() == ["thin_evidence"]


def test_a_person_whose_dates_of_birth_carry_different_keying_errors_stays_one_person(link):
    """Three records of one person at one address, each date of birth one keying error from the next:
    the first and last are two keying errors and three years apart, which the cluster guard must not
    take for two people (it did, and split the person)."""
    address = {"postcode": "SS8 6YS", "phone": "+447700900321", "force": "essex", "sex": "F"}
    rows = [
        record("kd-1", "DANIELLE", "HOLLINGWORTH", "2006-03-06", **address),
        record("kd-2", "DANIELLE", "HOLLINGWORTH", "2006-03-02", source="intel", **address),
        record("kd-3", "DANIELLE", "HOLLINGWORTH", "2009-03-02", source="custody", **address),
    ]
    run = link(rows)
    persons = person_of(run)
    assert persons["kd-1"] == persons["kd-2"] == persons["kd-3"]
    review = run.review
    conflicts = review[(review["review_type"] == "cluster_conflict")
                       & review["person_record_id"].isin(["kd-1", "kd-2", "kd-3"])]
    assert conflicts.empty


def test_a_record_with_mistyped_names_and_no_date_of_birth_is_compared_through_its_other_names(link):
    """An open-source record keys the forename as an initial and mistypes the surname, and has no date
    of birth or postcode; the other names it copies from the nominal (a street name and an AKA, listed in
    another order) still bring the pair to be scored, and the score decides."""
    rows = [
        record("ak-1", "JOSHUA", "MORTON", "2000-10-17", postcode="ME7 5HZ", sex="M", force="kent",
               aliases="DIZZY;SIMON ALLAN"),
        record("ak-2", "J", "MRTON", None, source="osint", force="kent", aliases="SIMON ALLAN;DIZZY"),
    ]
    run = link(rows)
    pair = pair_of(run, "ak-1", "ak-2")
    assert len(pair) == 1
    assert pair["gamma_aliases"].tolist() == [1]  # an other name in common


def test_two_keying_errors_in_the_date_of_birth_are_no_excuse_decades_apart(link):
    """A father and son with one name at one address: dates of birth two digits apart but decades apart."""
    address = {"postcode": "LU1 3HT", "phone": "+441632960111", "force": "bedfordshire"}
    rows = [
        record("fs-1", "JOHN", "GOLIGHTLY", "1966-02-14", sex="M", **address),
        record("fs-2", "JOHN", "GOLIGHTLY", "1996-02-19", sex="M", **address),
    ]
    persons = person_of(link(rows))
    assert persons["fs-1"] != persons["fs-2"]


def test_mistyped_names_and_postcode_are_still_compared(link):
    """Names both mistyped and the postcode mistyped: only the date of birth agrees, and the blocking
    rule on date of birth and surname initial still brings the pair together."""
    rows = [
        record("bk-1", "STEPHANIE", "FAIRHURST", "1979-12-02", postcode="CB4 1XY", sex="F", phone="+447700900777"),
        record("bk-2", "STEPAHNIE", "FAIRHRUST", "1979-12-02", postcode="CB4 7XY", sex="F", source="custody",
               phone="+447700900777"),
    ]
    run = link(rows)
    assert len(pair_of(run, "bk-1", "bk-2")) == 1


def test_noise_of_keyed_partner_files_is_merged_and_neighbours_are_not(link):
    """Model v3's levels for keying noise (FEBRL-style): a forename mistyped in its first letter too
    (SARAH / QARHA), forename and surname swapped with one of them mistyped, an address line mistyped
    with the postcode missing, the same line without its town, and the year of birth mistyped twice
    (day and month right). A neighbour at another house number of the same street is not an address
    line alike."""
    gammas = level_gammas(untrained_settings())
    rows = [
        record("kq-1", "SARAH", "INGLEBY", "1979-06-23", postcode="NR3 1TB", sex="F", force="norfolk"),
        record("kq-2", "QARHA", "INGLEBY", "1979-06-23", postcode="NR3 1TB", sex="F", force="suffolk"),
        record("ks-1", "GARETH", "FAIRHURST", "1988-02-11", postcode="IP4 2BD", force="suffolk"),
        record("ks-2", "FAIRHURST", "GARETJ", "1988-02-11", postcode="IP4 2BD", source="canonical", force="partner"),
        record("ka-1", "OWEN", "CRISPIN", "1990-10-05", address="14 CHESTNUT WALK CAMBOURNE", postcode="CB23 4SA",
               source="canonical", force="partner", ref="KA-1"),
        record("ka-2", "OWEN", "CRISPIN", "1990-10-05", address="14 CHESNUT WALK CAMBORNE", source="canonical",
               force="partner", ref="KA-2"),
        record("kt-1", "FREYA", "NETTLESHIP", "1975-01-30", address="162 WHITE CRESCENT WORCESTER",
               source="canonical", force="partner", ref="KT-1"),
        record("kt-2", "FREYA", "NETTLESHIP", "1975-01-30", address="162 WHITE CRES", source="canonical",
               force="partner", ref="KT-2"),
        record("kn-1", "TOBIAS", "ALDRIDGE", "1968-07-19", address="16 CHESTNUT WALK CAMBOURNE",
               source="canonical", force="partner", ref="KN-1"),
        record("ky-1", "DECLAN", "JESSOP", "1985-09-02", address="7 MILL LANE ELY", postcode="CB7 4AA",
               source="canonical", force="partner", ref="KY-1"),
        record("ky-2", "DECLAN", "JESSOP", "1968-09-02", address="7 MILL LANE ELY", postcode="CB7 4AA",
               source="canonical", force="partner", ref="KY-2"),
    ]
    run = link(rows)
    persons = person_of(run)
    for a, b in (("kq-1", "kq-2"), ("ks-1", "ks-2"), ("ka-1", "ka-2"), ("kt-1", "kt-2"), ("ky-1", "ky-2")):
        assert persons[a] == persons[b], (a, b)
    assert pair_of(run, "ks-1", "ks-2")["gamma_forename"].tolist() == [gammas["forename"][SWAPPED_MISTYPED]]
    for a, b in (("ka-1", "ka-2"), ("kt-1", "kt-2")):
        assert pair_of(run, a, b)["gamma_address"].tolist() == [gammas["address"][ADDRESS_ALIKE]], (a, b)
    assert pair_of(run, "ky-1", "ky-2")["gamma_date_of_birth"].tolist() == [gammas["date_of_birth"][DOB_TWO_ERRORS]]
    neighbour = pair_of(run, "ka-1", "kn-1")
    assert neighbour.empty or neighbour["gamma_address"].tolist() != [gammas["address"][ADDRESS_ALIKE]]
    assert persons["kn-1"] != persons["ka-1"]



def test_one_name_keyed_in_the_other_field_and_the_other_replaced_is_one_person_and_a_relative_is_not(link):
    """Model v4: the forename keyed as the surname and the surname replaced (RAQUEL LODGE / GARNETT RAQUEL),
    or the surname keyed as the forename (mistyped) and the forename replaced (HAYLEY FITZPATRICK /
    FITZPATRIKC BLAKE), with the date of birth and the address agreeing: the forename comparison's level
    for one name in the other field, one person. The same crossing with a date of birth decades apart (a
    parent whose forename is the child's surname at one address) stays two people."""
    gammas = level_gammas(untrained_settings())
    home = {"address": "12 TEMPLE ROW STOWMARKET", "postcode": "IP14 1AB", "sex": "F"}
    rows = [
        record("nx-1", "RAQUEL", "LODGE", "1983-05-17", source="canonical", force="partner", ref="NX-1", **home),
        record("nx-2", "GARNETT", "RAQUEL", "1983-05-17", source="canonical", force="partner", ref="NX-2", **home),
        record("ny-1", "HAYLEY", "FITZPATRICK", "1991-11-02", address="4 BARLEY CLOSE HADLEIGH", postcode="IP7 5DE",
               sex="F", source="canonical", force="partner", ref="NY-1"),
        record("ny-2", "FITZPATRIKC", "BLAKE", "1991-11-02", address="4 BARLEY CLOSE HADLEIGH", postcode="IP7 5DE",
               sex="F", source="canonical", force="partner", ref="NY-2"),
        record("np-1", "MORGAN", "HOLLIS", "1958-03-09", source="canonical", force="partner", ref="NP-1",
               address="30 FEN LANE ELY", postcode="CB7 4RT", sex="F"),
        record("np-2", "ELLIS", "MORGAN", "1990-08-21", source="canonical", force="partner", ref="NP-2",
               address="30 FEN LANE ELY", postcode="CB7 4RT", sex="F"),
    ]
    run = link(rows)
    persons = person_of(run)
    for a, b in (("nx-1", "nx-2"), ("ny-1", "ny-2")):
        assert pair_of(run, a, b)["gamma_forename"].tolist() == [gammas["forename"][NAME_IN_OTHER_FIELD]], (a, b)
        assert persons[a] == persons[b], (a, b)
    assert persons["np-1"] != persons["np-2"]
    # among households the crossing is still two unrelated forenames: the guard keeps them apart
    among_families = link(rows + families())
    assert among_families.households["full_guard"]
    persons = person_of(among_families)
    for a, b in (("nx-1", "nx-2"), ("ny-1", "ny-2")):
        assert pair_of(among_families, a, b)["edge_status"].tolist() == ["forename_conflict"], (a, b)
        assert persons[a] != persons[b], (a, b)


def test_an_address_line_keyed_with_several_errors_is_similar_and_a_neighbours_is_not(link):
    """Model v4: one address keyed with more than two keying errors between the two lines (a space moved,
    letters dropped from street and town), the postcode missing on one side and the date of birth on the other: the
    address comparison's level for a similar line (the same house number, Jaro-Winkler >= 0.9) joins
    them. The same house number of a same-named street in another town is not a similar line."""
    gammas = level_gammas(untrained_settings())
    rows = [
        record("as-1", "CORMAC", "FENWICKE", "1962-04-07", address="14 CHURCHILL AVENUE HAVERHILL",
               postcode="CB9 0AZ", sex="M", source="canonical", force="partner", ref="AS-1"),
        record("as-2", "CORMAC", "FENWICKE", None, address="14 CHURCHIL LAVENUE HAVRHIL", sex="M",
               source="canonical", force="partner", ref="AS-2"),
        record("at-1", "DESMOND", "ALCOTT", "1980-03-03", address="12 HIGH STREET IPSWICH", postcode="IP1 1DX",
               sex="M", source="canonical", force="partner", ref="AT-1"),
        record("at-2", "DESMOND", "ALCOTT", "1980-03-08", address="12 HIGH STREET NORWICH", postcode="NR1 3QB",
               sex="M", source="canonical", force="partner", ref="AT-2"),
    ]
    run = link(rows)
    persons = person_of(run)
    assert pair_of(run, "as-1", "as-2")["gamma_address"].tolist() == [gammas["address"][ADDRESS_SIMILAR]]
    assert persons["as-1"] == persons["as-2"]
    # one house number of a same-named street in two towns (postcodes in two outward codes) is no similar
    # line, and a date of birth one keying error apart with nothing else shared stays two people
    towns = pair_of(run, "at-1", "at-2")
    assert towns["gamma_address"].tolist() == [gammas["address"]["else"]]
    assert towns["edge_status"].tolist() == ["thin_evidence"]
    assert persons["at-1"] != persons["at-2"]

def test_a_forename_or_date_of_birth_replaced_wholesale_is_one_person_only_in_a_register_that_replaces_them(link):
    """A forename replaced by an unrelated one (LUCY / ARABELLA STUBBS, the same date of birth and address)
    and a date of birth replaced by an unrelated one (AMBER BLACKWELL 1916-02-11 / 1986-03-25 at one
    address). In a register whose own records show such replacements (replaced_duplicates: a quarter of
    its people's second records hold another forename, another quarter another date of birth) each is one
    person. In a register that shows none (the tests' background) the forename pair is the twins' pattern
    and the date pair a father and daughter's, and the guards keep both apart, as they do among
    households."""
    home = {"postcode": "CB4 3JP", "address": "33 ORCHARD CLOSE", "sex": "F"}
    elsewhere = {"postcode": "IP4 2BD", "address": "8 MANOR WAY", "sex": "F"}
    rows = [
        record("rf-1", "LUCY", "STUBBINGFORD", "1926-11-16", force="kent", **home),
        record("rf-2", "ARABELLA", "STUBBINGFORD", "1926-11-16", source="intel", force="essex", **home),
        record("rd-1", "AMBER", "BLACKWELLFORD", "1916-02-11", force="kent", **elsewhere),
        record("rd-2", "AMBER", "BLACKWELLFORD", "1986-03-25", source="intel", force="essex", **elsewhere),
    ]
    replaced = link(rows + replaced_duplicates())
    population = replaced.households
    assert not population["full_guard"]
    assert population["forenames_replaced"] and population["dobs_replaced"]
    assert population["forename_replaced_share"] >= VALUE_REPLACED_MIN_SHARE
    assert population["dob_replaced_share"] >= VALUE_REPLACED_MIN_SHARE
    assert pair_of(replaced, "rf-1", "rf-2")["edge_status"].tolist() == ["accepted"]
    assert pair_of(replaced, "rd-1", "rd-2")["edge_status"].tolist() == ["accepted"]
    persons = person_of(replaced)
    assert persons["rf-1"] == persons["rf-2"]
    assert persons["rd-1"] == persons["rd-2"]

    clean = link(rows)
    assert not clean.households["full_guard"]
    assert not clean.households["forenames_replaced"] and not clean.households["dobs_replaced"]
    assert clean.households["forename_replaced_pairs"] >= 20 and clean.households["dob_replaced_pairs"] >= 20
    assert pair_of(clean, "rf-1", "rf-2")["edge_status"].tolist() == ["forename_conflict"]
    assert pair_of(clean, "rd-1", "rd-2")["edge_status"].tolist() == ["dob_conflict"]
    among_families = link(rows + replaced_duplicates() + families())
    assert among_families.households["full_guard"]
    for run in (clean, among_families):
        persons = person_of(run)
        assert persons["rf-1"] != persons["rf-2"]
        assert persons["rd-1"] != persons["rd-2"]


def test_a_register_delivered_among_households_is_linked_as_a_register_and_the_forces_records_are_not(link):
    """A partner's register (600 people, two records each, a quarter with the forename replaced and a quarter
    the date of birth) delivered into a run of force records that hold families: the run holds households,
    the partner's own records hold none, so the partner's pairs take the register's rules and its replaced
    forename is one person; the same two records in a force's crime records are the twins' pattern and stay
    two people. A pair across the partner and a force takes the household rules."""
    partner = {"source": "canonical", "postcode": "CB4 3JP", "address": "33 ORCHARD CLOSE", "sex": "F"}
    force = {"source": "crime", "postcode": "IP4 2BD", "address": "8 MANOR WAY", "sex": "F"}
    rows = [
        record("pr-1", "LUCY", "STUBBINGFORD", "1926-11-16", force="reg-demo", **partner),
        record("pr-2", "ARABELLA", "STUBBINGFORD", "1926-11-16", force="reg-demo", **partner),
        record("fr-1", "LUCY", "HATHERWICK", "1931-04-02", force="kent", **force),
        record("fr-2", "ARABELLA", "HATHERWICK", "1931-04-02", force="essex", **force),
        record("xr-1", "LUCY", "OAKENWORTH", "1944-07-21", force="reg-demo", **partner | {"address": "2 MILL LANE",
                                                                                             "postcode": "NR1 1AA"}),
        record("xr-2", "EDITH", "OAKENWORTH", "1944-07-21", force="norfolk", **force | {"address": "2 MILL LANE",
                                                                                           "postcode": "NR1 1AA"}),
    ]
    register = replaced_duplicates(600, seed=23, source="canonical", forces=("reg-demo", "reg-demo"))
    run = link(rows + register + families())
    population = run.households
    assert population["full_guard"]
    assert population["register_sources"] == ["canonical/reg-demo"]
    assert population["forenames_replaced"]
    assert population["register_threshold"] == REGISTER_THRESHOLD
    assert pair_of(run, "pr-1", "pr-2")["edge_status"].tolist() == ["accepted"]
    assert pair_of(run, "fr-1", "fr-2")["edge_status"].tolist() == ["forename_conflict"]
    assert pair_of(run, "xr-1", "xr-2")["edge_status"].tolist() == ["forename_conflict"]
    persons = person_of(run)
    assert persons["pr-1"] == persons["pr-2"]
    assert persons["fr-1"] != persons["fr-2"]
    assert persons["xr-1"] != persons["xr-2"]


def _town_wide_code_rows(code: str, people: int) -> list[dict]:
    """`people` distinct residents of one town whose partner writes one postal code for all of them (a
    US ZIP code, a placeholder), each at an address line of their own."""
    forenames = ["ALDER", "BRAMWELL", "CATTERICK", "DUNSTAN", "EVERILD", "FENWICK", "GODRIC", "HILDRED"]
    surnames = ["ASHWORTH", "BRIGHOUSE", "CALDERWOOD", "DEWHIRST", "ELLERBY", "FAIRBURN", "GREENHALGH",
                "HOLROYD", "ILLINGWORTH", "JAGGER", "KERSHAW", "LONGBOTTOM", "MIDGLEY"]
    streets = ["MAPLE ST", "CEDAR AVE", "PINE HILL DR", "LAKEVIEW RD", "ORCHARD LN", "SUMMIT WAY"]
    rows = []
    for i in range(people):
        row = record(f"tw-{i}", forenames[i % len(forenames)], surnames[(i // len(forenames)) % len(surnames)],
                     f"{1940 + i % 60}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                     address=f"{100 + i} {streets[i % len(streets)]} SPRINGFIELD", source="canonical",
                     force="town-register", ref=f"TW-{i}")
        row.update(postcode_std=code, postcode_outward=None, postcode_sector=None)
        rows.append(row)
    return rows


def test_a_postal_code_shared_by_a_whole_town_is_no_evidence_of_a_shared_address(link):
    """A partner whose every record carries one postal code (a US ZIP code, or 00000 written for all): a
    code under which the run holds more address lines than any postcode unit has addresses
    (records.AREA_POSTCODE_MIN_ADDRESS_LINES) is set aside, so two people with one forename and middle
    initial, no date of birth and different address lines are not one person through it, while one
    person keyed twice at one address line still is. A UK postcode unit is kept."""
    town = _town_wide_code_rows("98101", AREA_POSTCODE_MIN_ADDRESS_LINES + 40)

    def in_town(row: dict) -> dict:
        return {**row, "postcode_std": "98101", "postcode_outward": None, "postcode_sector": None}

    rows = town + [
        in_town(record("zt-1", "TONYA", "SALMONS", None, middle="T", address="7 SHELBY AVE SPRINGFIELD",
                       source="canonical", force="town-register", ref="ZT-1")),
        in_town(record("zt-2", "TONYA", "HERRERA", None, middle="T", address="1923 NORTH MICHIGAN AVE SPRINGFIELD",
                       source="canonical", force="tax-register", ref="ZT-2")),
        in_town(record("zp-1", "MARJORIE", "BLACKWELLFORD", "1958-06-01", address="32 DELACORTE DR SPRINGFIELD",
                       source="canonical", force="town-register", ref="ZP-1")),
        in_town(record("zp-2", "MARJORIE", "BLACKWELLFORD", None, address="32 DELACORTE DR SPRINGFIELD",
                       source="canonical", force="tax-register", ref="ZP-2")),
    ]
    run = link(rows)
    persons = person_of(run)
    assert run.summary["area_postcodes_set_aside"] == 1
    assert run.summary["area_postcode_records"] == len(rows)
    gammas = level_gammas(untrained_settings())
    strangers = pair_of(run, "zt-1", "zt-2")
    assert strangers.empty or strangers["gamma_address"].tolist() == [gammas["address"]["else"]]
    assert persons["zt-1"] != persons["zt-2"]
    assert pair_of(run, "zp-1", "zp-2")["gamma_address"].tolist() == [gammas["address"][SAME_ADDRESS]]
    assert persons["zp-1"] == persons["zp-2"]
    # the background's UK postcodes are units: none is set aside
    uk = link([])
    assert uk.summary["area_postcodes_set_aside"] == 0


def test_a_placeholder_postal_code_of_a_small_register_is_set_aside_and_one_building_is_kept(link):
    """A register of a few dozen people whose partner writes one placeholder code for all (00000) holds
    far fewer address lines than the run-wide bound, but more than half of its source's records at 30
    lines or more (records.PLACEHOLDER_POSTCODE_*): the code is set aside and two strangers with one
    forename and middle initial are not one person through it. A source of one building (a hostel: one
    real postcode, a few address lines written many times) keeps its postcode."""
    from oe_platform.linkage.records import PLACEHOLDER_POSTCODE_MIN_ADDRESS_LINES

    register = _town_wide_code_rows("00000", PLACEHOLDER_POSTCODE_MIN_ADDRESS_LINES + 20)
    hostel = []
    for i in range(60):
        row = record(f"hs-{i}", ["WREN", "ODELL", "PRYCE", "QUAYLE"][i % 4], f"RESIDENT{chr(65 + i % 26)}{i}",
                     f"{1960 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}", postcode="LS6 2QB",
                     address=f"FLAT {1 + i % 5} 12 HOSTEL ROW LEEDS", source="canonical", force="hostel",
                     ref=f"HS-{i}")
        hostel.append(row)

    def placeholder(row: dict) -> dict:
        return {**row, "postcode_std": "00000", "postcode_outward": None, "postcode_sector": None}

    strangers = [
        placeholder(record("zt-1", "TONYA", "SALMONS", None, middle="T", address="7 SHELBY AVE SPRINGFIELD",
                           source="canonical", force="town-register", ref="ZT-1")),
        placeholder(record("zt-2", "TONYA", "HERRERA", None, middle="T", address="1923 NORTH MICHIGAN AVE SPRINGFIELD",
                           source="canonical", force="tax-register", ref="ZT-2")),
    ]
    rows = register + hostel + strangers
    run = link(rows)
    persons = person_of(run)
    assert run.summary["area_postcodes_set_aside"] == 1
    assert run.summary["area_postcode_records"] == len(register) + len(strangers)
    gammas = level_gammas(untrained_settings())
    pair = pair_of(run, "zt-1", "zt-2")
    assert pair.empty or pair["gamma_address"].tolist() == [gammas["address"]["else"]]
    assert persons["zt-1"] != persons["zt-2"]


def test_twins_sharing_middle_initials_are_not_merged_and_a_garbled_forename_with_its_middle_names_is(link):
    """Unrelated forenames with the date of birth and the middle names agreeing are one person only when
    the middle names agree as names (a forename keyed beyond recognition: MELVIN JAMES / JELVKB JAMES),
    not as initials: twins at one address often share a middle initial (GAIL L / MALIA L MORGAN, ROWAN
    A J / ELSPETH A J ASHCROFT)."""
    home = {"postcode": "NR2 4PF", "address": "19 ST GILES STREET NORWICH", "force": "norfolk"}
    other = {"postcode": "IP1 3QR", "address": "4 ORWELL PLACE IPSWICH", "force": "suffolk"}
    rows = [
        record("gm-1", "GAIL", "MORGANFIELD", "2016-03-05", middle="L", sex="F", **home),
        record("gm-2", "MALIA", "MORGANFIELD", "2016-03-05", middle="L", sex="F", source="intel", **home),
        record("ra-1", "ROWAN", "ASHCROFTE", "2011-07-21", middle="A J", sex="F", **other),
        record("ra-2", "ELSPETH", "ASHCROFTE", "2011-07-21", middle="A J", sex="F", source="intel", **other),
        record("mj-1", "MELVIN", "SCHNEIDERMAN", "1963-04-18", middle="JAMES", sex="M", **home),
        record("mj-2", "JELVKB", "SCHNEIDERMAN", "1963-04-18", middle="JAMES", sex="M", source="intel", **home),
    ]
    run = link(rows)
    persons = person_of(run)
    assert pair_of(run, "gm-1", "gm-2")["edge_status"].tolist() == ["forename_conflict"]
    assert persons["gm-1"] != persons["gm-2"]
    assert pair_of(run, "ra-1", "ra-2")["edge_status"].tolist() == ["forename_conflict"]
    assert persons["ra-1"] != persons["ra-2"]
    assert pair_of(run, "mj-1", "mj-2")["edge_status"].tolist() == ["accepted"]
    assert persons["mj-1"] == persons["mj-2"]
