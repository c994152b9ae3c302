"""Linkage scoring on Spark (Splink's SparkAPI, a real local session) against DuckDB: the same pairs,
levels and weights, the same clusters; and the DuckDB -> Spark SQL translation function by function."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from oe_platform.linkage import spark_backend
from oe_platform.linkage.pipeline import link_records
from oe_platform.linkage.records import prepare_records
from oe_platform.linkage.scoring import identity_term_frequencies, score_pairs, tf_columns
from oe_platform.linkage.spark_backend import (
    TranslationError,
    check_translation,
    register_functions,
    score_pairs_spark,
    scoring_conf,
    splink_spark_sql,
    term_frequency_lookup,
    to_spark_frame,
    translate_condition,
    translate_settings,
)
from oe_platform.linkage.standardise import nickname_pairs
from tests.linkage.conftest import COMPOUND_SURNAMES, FORENAMES_F, FORENAMES_M, OUTWARDS, SURNAMES, record

WEIGHT_TOLERANCE = 1e-6


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark session (local[2]) for every Spark test."""
    session = spark_backend.local_spark_session(tmp_path_factory.mktemp("spark"))
    yield session
    session.stop()


# --------------------------------------------------------------------------------------------------
# A realistic small input: people with the variations every comparison level is about


CHECK = "ZABCDEFGHJKLMNPQRTUVWXY"
STREETS = ["HIGH STREET", "CHURCH ROAD", "STATION ROAD", "MILL LANE", "VICTORIA STREET", "THE GREEN", "PARK AVENUE"]
# Surnames spelt differently that sound alike (same Soundex, Jaro-Winkler below 0.92)
SOUND_ALIKE = {"JOHNSTON": ["JANSEN"], "ROBINSON": ["RABINSUN"], "THOMPSON": ["TIMPSEN"], "MITCHELL": ["MACHAL"],
               "PHILLIPS": ["PHELPS"], "CAMPBELL": ["CAMPOLI"], "ALEXANDER": ["ALSANDER"], "WILLIAMS": ["WALMS"]}


def _pnc(year: int, serial: int) -> str:
    return f"{year:04d}/{serial:07d}{CHECK[int(f'{year % 100:02d}{serial:07d}') % 23]}"


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(len(word))
    kind = rng.choice("sdtx")
    if kind == "s":
        return word[:i] + rng.choice("AEIOULNRST") + word[i + 1:]
    if kind == "d" and len(word) > 3:
        return word[:i] + word[i + 1:]
    if kind == "t" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + rng.choice("AEIOULNRST") + word[i:]


def _dob_keying_error(rng: random.Random, dob: date) -> date | None:
    text = dob.isoformat()
    position = rng.choice([2, 3, 8, 9])
    candidate = text[:position] + str(rng.randrange(10)) + text[position + 1:]
    try:
        return date.fromisoformat(candidate)
    except ValueError:
        return None


def noisy_people(people: int = 260, seed: int = 23) -> list[dict]:
    """Persons with one to three records each, the later ones changed the way deliveries differ:
    typos, nicknames, initials, swapped names, middle names, transposed or mistyped dates of birth,
    moves within a sector or outward code, identifiers on one record only, aliases on file; plus
    relatives at the same address (a different person with the same surname, address and phone)."""
    rng = random.Random(seed)
    nicknames = [(n, f) for n, f in nickname_pairs() if " " not in n and " " not in f]
    surnames = SURNAMES + COMPOUND_SURNAMES
    rows: list[dict] = []
    for i in range(people):
        male = rng.random() < 0.5
        forename = rng.choice(FORENAMES_M if male else FORENAMES_F)
        if rng.random() < 0.15:
            nickname, forename = rng.choice(nicknames)
        else:
            nickname = None
        surname = rng.choice(surnames) if rng.random() < 0.9 else f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
        dob = date(1950, 1, 1) + timedelta(days=rng.randrange(20_000))
        middle = rng.choice([None, None, "ANNE", "JAMES", "LOUISE MAY", "PETER JOHN", "ROSE"])
        unit = f"{rng.randrange(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        outward = rng.choice(OUTWARDS)
        postcode = f"{outward} {unit}"
        address = f"{rng.randrange(1, 120)} {rng.choice(STREETS)}" if rng.random() < 0.8 else None
        phone = f"+4477009{rng.randrange(10**5):05d}" if rng.random() < 0.4 else None
        pnc = _pnc(rng.randrange(1990, 2024), rng.randrange(10**7)) if rng.random() < 0.3 else None
        cro = f"{rng.randrange(10**6):06d}/{rng.randrange(100):02d}K" if rng.random() < 0.1 else None
        nhs = f"{rng.randrange(10**10):010d}" if rng.random() < 0.1 else None
        sex = "M" if male else "F"
        base = dict(forename=forename, surname=surname, dob=dob, middle=middle, postcode=postcode, phone=phone,
                    pnc=pnc, cro=cro, nhs=nhs, sex=sex, aliases=None, address=address)
        copies = [dict(base)]
        for _ in range(rng.choice([0, 1, 1, 2, 2])):
            copy = dict(base)
            for change in rng.sample(range(16), k=rng.choice([1, 2, 3])):
                if change == 0:
                    copy["forename"] = _typo(rng, copy["forename"])
                elif change == 1:
                    copy["surname"] = _typo(rng, copy["surname"])
                elif change == 2:
                    copy["forename"] = nickname or copy["forename"][0]
                elif change == 3:
                    copy["forename"], copy["surname"] = copy["surname"], copy["forename"]
                elif change == 4 and dob.day <= 12:
                    copy["dob"] = date(dob.year, dob.day, dob.month)
                elif change == 5:
                    copy["dob"] = _dob_keying_error(rng, dob) or dob
                elif change == 6:
                    copy["dob"] = dob + timedelta(days=rng.choice([-200, -40, 31, 90, 300]))
                elif change == 7:
                    copy["dob"] = None
                elif change == 8:
                    copy["postcode"] = rng.choice([f"{outward} {unit[0]}ZZ", f"{outward} 9QQ", None,
                                                   f"{rng.choice(OUTWARDS)} 2AB"])
                elif change == 9:
                    copy.update(pnc=None, phone=None, cro=None, nhs=None)
                elif change == 10:
                    copy["middle"] = rng.choice([None, (middle or "KAY").split(" ")[0], (middle or "K")[0], "GRACE"])
                    if rng.random() < 0.5 and middle:
                        copy["forename"] = middle.split(" ")[0]
                elif change == 11:
                    copy["sex"] = None
                elif change == 12:
                    alias = f"{rng.choice(FORENAMES_M + FORENAMES_F)} {rng.choice(SURNAMES)}"
                    copy["aliases"] = f"{alias};{copy['forename']}Y"
                    copies.append({**base, "forename": alias.split(" ")[0], "surname": alias.split(" ")[1]})
                elif change == 13:
                    if " " in copy["surname"]:
                        copy["surname"] = rng.choice([copy["surname"].replace(" ", ""), copy["surname"].split(" ")[0]])
                    else:
                        copy["surname"] = f"{copy['surname']} {rng.choice(SURNAMES)}"
                elif change == 14:
                    copy["address"] = rng.choice([None, f"FLAT {rng.randrange(1, 9)} {address or 'THE COURT'}",
                                                  (address or "").replace("STREET", "ST") or None])
                elif change == 15:
                    copy["surname"] = rng.choice(SOUND_ALIKE.get(copy["surname"], [copy["surname"]]))
            copies.append(copy)
        if rng.random() < 0.15:  # a relative at the same address, with identifiers of their own
            copies.append({**base, "forename": rng.choice(FORENAMES_M + FORENAMES_F), "middle": None,
                           "dob": dob + timedelta(days=rng.choice([-9000, -700, 800, 9500])),
                           "sex": rng.choice(["M", "F"]), "aliases": None,
                           "phone": f"+4477008{rng.randrange(10**5):05d}" if rng.random() < 0.5 else phone,
                           "pnc": _pnc(rng.randrange(1990, 2024), rng.randrange(10**7)) if pnc else None,
                           "cro": f"{rng.randrange(10**6):06d}/{rng.randrange(100):02d}K" if cro else None,
                           "nhs": f"{rng.randrange(10**10):010d}" if nhs else None})
        for j, c in enumerate(copies):
            rows.append(record(
                f"np{i:04d}-{j}", c["forename"], c["surname"], c["dob"], postcode=c["postcode"], middle=c["middle"],
                sex=c["sex"], phone=c["phone"], pnc=c["pnc"], cro=c["cro"], nhs=c["nhs"], aliases=c["aliases"],
                address=c["address"],
                source=rng.choice(["crime", "custody", "intelligence"]),
                force=rng.choice(["norfolk", "suffolk", "essex"]),
                ref=f"NP{i:04d}{j}" if j else f"NP{i:04d}",
            ))
    return rows


@pytest.fixture(scope="module")
def people_frame() -> pd.DataFrame:
    return pd.DataFrame(noisy_people())


def _duckdb_with(frame: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("test_frame", frame)
    con.execute("create temp table test_records as select * from test_frame")
    con.unregister("test_frame")
    return con


@pytest.fixture(scope="module")
def scored_on_duckdb(people_frame, model):
    """The profiles of the input and DuckDB's scored pairs (scoring.score_pairs)."""
    con = _duckdb_with(people_frame)
    prepared = prepare_records(con, "test_records")
    settings = model.settings_for(prepared.profiles)
    scored = score_pairs(con, settings)
    return con, settings, scored, con.execute("select * from lk_pairs order by profile_id_l, profile_id_r").df()


# --------------------------------------------------------------------------------------------------
# The model on Spark


def test_spark_scores_the_same_pairs_with_the_same_levels_and_weights(spark, scored_on_duckdb):
    con, settings, _, duck = scored_on_duckdb
    profiles = con.execute("select * from lk_profiles").df()  # pandas in, as a caller would pass it
    on_spark = score_pairs_spark(spark, profiles, settings)

    assert list(on_spark.columns) == list(duck.columns)
    assert len(duck) > 300
    keys = ["profile_id_l", "profile_id_r"]
    assert (on_spark["profile_id_l"] < on_spark["profile_id_r"]).all()
    assert set(map(tuple, on_spark[keys].to_numpy())) == set(map(tuple, duck[keys].to_numpy()))
    both = duck.merge(on_spark, on=keys, suffixes=("_duckdb", "_spark"))
    assert np.abs(both["match_weight_duckdb"] - both["match_weight_spark"]).max() < WEIGHT_TOLERANCE
    assert np.abs(both["match_probability_duckdb"] - both["match_probability_spark"]).max() < 1e-9
    gamma_columns = [f"gamma_{c['output_column_name']}" for c in settings["comparisons"]]
    for column in gamma_columns:
        different = both[both[f"{column}_duckdb"] != both[f"{column}_spark"]]
        assert different.empty, f"{column} differs on {len(different)} pairs:\n{different.head()}"
        # the input exercises the comparison: more than one level is reached
        assert both[f"{column}_duckdb"].nunique() > 1, column
    # and nearly every level of the model is reached at least once
    levels = sum(len(c["comparison_levels"]) for c in settings["comparisons"])
    reached = sum(both[c + "_duckdb"].nunique() for c in gamma_columns)
    assert reached >= 0.9 * levels, f"{reached} of {levels} levels reached"


def test_term_frequencies_on_spark_count_source_keys_as_duckdb_does(spark, scored_on_duckdb):
    con, settings, _, _ = scored_on_duckdb
    to_spark_frame(spark, con.sql("select * from lk_profiles").to_arrow_table()).createOrReplaceTempView("tf_profiles")
    try:
        assert tf_columns(settings)
        for column in tf_columns(settings):
            duck = con.execute(f"select * from {identity_term_frequencies(con, 'lk_profiles', column)}").df()
            on_spark = term_frequency_lookup(spark, "tf_profiles", column).toArrow().to_pandas()
            both = duck.merge(on_spark, on=column, how="outer", suffixes=("_duckdb", "_spark"), indicator=True)
            assert (both["_merge"] == "both").all(), column
            assert (both[f"tf_{column}_duckdb"] == both[f"tf_{column}_spark"]).all(), column
    finally:
        spark.catalog.dropTempView("tf_profiles")


def test_a_run_on_spark_gives_the_same_clusters_as_on_duckdb(spark, people_frame, model):
    on_duckdb = link_records(_duckdb_with(people_frame), "test_records", model=model)
    on_spark = link_records(_duckdb_with(people_frame), "test_records", model=model, engine="spark", spark=spark)

    order = ["person_record_id"]
    duck_clusters = on_duckdb.clusters.sort_values(order).reset_index(drop=True)
    spark_clusters = on_spark.clusters.sort_values(order).reset_index(drop=True)
    pd.testing.assert_frame_equal(duck_clusters.drop(columns=["match_confidence", "cluster_mean_probability"]),
                                  spark_clusters.drop(columns=["match_confidence", "cluster_mean_probability"]))
    for column in ("match_confidence", "cluster_mean_probability"):
        assert np.allclose(duck_clusters[column].astype(float), spark_clusters[column].astype(float),
                           atol=1e-9, equal_nan=True), column
    assert duck_clusters["person_id"].nunique() < len(duck_clusters)  # records were linked

    keys = ["person_record_id_l", "person_record_id_r"]
    pairs = on_duckdb.pairs.merge(on_spark.pairs, on=keys, how="outer", suffixes=("_duckdb", "_spark"), indicator=True)
    assert (pairs["_merge"] == "both").all()
    assert (pairs["edge_status_duckdb"] == pairs["edge_status_spark"]).all()
    assert np.abs(pairs["match_weight_duckdb"] - pairs["match_weight_spark"]).max() < WEIGHT_TOLERANCE
    timings = {k for k in on_duckdb.summary if k.endswith("_seconds")}
    assert {k: v for k, v in on_duckdb.summary.items() if k not in timings} == pytest.approx(
        {k: v for k, v in on_spark.summary.items() if k not in timings}, rel=1e-9)


def test_link_records_refuses_an_unknown_engine(people_frame, model):
    with pytest.raises(ValueError, match="engine"):
        link_records(_duckdb_with(people_frame.head(5)), "test_records", model=model, engine="polars")


# --------------------------------------------------------------------------------------------------
# The translation, function by function: DuckDB's result is the reference


def _strings(rng: random.Random, n: int) -> list[tuple[str | None, str | None]]:
    names = FORENAMES_M + FORENAMES_F + SURNAMES + COMPOUND_SURNAMES
    pairs: list[tuple[str | None, str | None]] = [
        (None, "A"), ("A", None), (None, None), ("", ""), ("A", ""), ("A", "A"), ("A", "B"), ("AB", "BA"),
        ("MARTHA", "MARHTA"), ("DIXON", "DICKSONX"), ("JOHNSTON", "JOHUSON"), ("AB", "ABC"), ("AAAA", "AAAB"),
    ]
    for _ in range(n):
        a = rng.choice(names)
        b = rng.choice([_typo(rng, a), _typo(rng, _typo(rng, a)), rng.choice(names), a[: rng.randrange(len(a) + 1)]])
        pairs.append((a, b))
        pairs.append(("".join(rng.choice("ABC ") for _ in range(rng.randrange(9))),
                      "".join(rng.choice("ABC ") for _ in range(rng.randrange(9)))))
    return pairs


def test_jaro_winkler_and_damerau_levenshtein_on_spark_equal_duckdb_exactly(spark):
    """Splink's jar counts Jaro transpositions differently from DuckDB; the oe_ functions do not."""
    frame = pd.DataFrame(_strings(random.Random(5), 2500), columns=["a", "b"])
    frame.insert(0, "id", range(len(frame)))
    functions = ["jaro_winkler_similarity", "jaro_similarity", "damerau_levenshtein", "levenshtein"]
    duck = duckdb.connect()
    duck.register("t", frame)
    select = ", ".join(f"{f}(a, b) as {f}" for f in functions)
    expected = duck.execute(f"select id, {select} from t order by id").df()
    register_functions(spark)
    to_spark_frame(spark, frame).createOrReplaceTempView("similarity_pairs")
    translated = ", ".join(f"{translate_condition(f'{f}(a, b)')} AS {f}" for f in functions)
    actual = spark.sql(f"SELECT id, {translated} FROM similarity_pairs ORDER BY id").toArrow().to_pandas()
    spark.catalog.dropTempView("similarity_pairs")
    for function in functions:
        e, a = expected[function].astype(float), actual[function].astype(float)
        same = (e == a) | (e.isna() & a.isna())
        assert same.all(), f"{function}:\n{pd.concat([frame, e, a], axis=1)[~same].head()}"


# DuckDB SQL as the model may write it -> evaluated by DuckDB and, translated, by Spark
EXPRESSIONS = [
    "jaro_winkler_similarity(a, b) >= 0.92",
    "damerau_levenshtein(a, b) <= 1",
    "len(list_intersect(str_split(a, ' '), str_split(b, ' '))) > 0",
    "len(list_intersect(la, lb))",
    "length(list_intersect(la, lb)) = 0",
    "array_length(la)",
    "len(la) < 1",
    "len(a)",
    "list_contains(la, b)",
    "list_contains(str_split(a, ' '), b)",
    "list_has_any(la, lb)",
    "la && lb",
    "array_to_string(list_sort(list_distinct(la)), '|')",
    "len(regexp_split_to_array(a, '[ -]'))",
    "split_part(a, ' ', 2)",
    "str_split(a, ' ')[1]",
    "replace(a, ' ', '') = replace(b, ' ', '')",
    "substr(a, 1, 1) = substr(b, 1, 1)",
    "left(a, 2)",
    "prefix(a, 'J')",
    "suffix(a, 'N')",
    "regexp_full_match(a, '[A-Z]+')",
    "regexp_matches(a, 'AN')",
    "date_diff('day', d1, d2)",
    "abs(date_diff('day', d1, d2)) <= 365",
    "date_diff('week', d1, d2)",
    "date_diff('month', d1, d2)",
    "date_diff('quarter', d1, d2)",
    "date_diff('year', d1, d2)",
    "datediff('day', d1, d2)",
    "strftime(d1, '%Y-%m-%d')",
    "year(d1) = year(d2)",
    "d1 = d2",
    "coalesce(a, b)",
    "a || ' ' || b",
    "upper(a) = b",
    "NOT list_contains(la, b)",
    "list_has_any(str_split(a, ' '), str_split(b, ' '))",
    "levenshtein(a, b) <= 2",
    "jaro_similarity(a, b) > 0.8",
    "date_diff('day', d1, d2) BETWEEN -30 AND 30",
    "month(d1) = day(d2)",
    "strftime(d1, '%d/%m/%Y')",
    "d1 + INTERVAL 1 YEAR = d2",
    "concat_ws(' ', a, b)",
    "trim(a) = lower(b)",
    "contains(a, 'JO')",
    "starts_with(a, 'J')",
    "a LIKE 'J%'",
    "a ILIKE 'j%'",
    "regexp_replace(a, '[^A-Z]', '', 'g')",
    "regexp_replace(a, '[^a-z]', '_', 'gi')",
    "regexp_matches(a, 'jo', 'i')",
    "regexp_extract(a, '([A-Z]+) ', 1)",
    "regexp_extract(a, 'A.')",
    "nullif(a, '') IS NULL",
    "greatest(d1, d2) = d2",
    # the address comparison's "address line alike" level (spec.ADDRESS): house number, keying errors, a prefix
    "regexp_extract(a, '[0-9]+') = regexp_extract(b, '[0-9]+')",
    "prefix(a, b || ' ')",
    "regexp_extract(a, '[0-9]+') = regexp_extract(b, '[0-9]+') AND (damerau_levenshtein(a, b) <= 2 "
    "OR prefix(a, b || ' ') OR prefix(b, a || ' '))",
]


def _typed_rows() -> pd.DataFrame:
    rng = random.Random(11)
    names = ["JOHN", "JOHN PAUL", "ANNE-MARIE", "SMITH JONES", "JONES", "", "AN N", "JEAN", "O'NEILL", "MARTIN",
             "MARY ANNE-JO", "jo ann"]
    rows = []
    for i in range(400):
        d1 = date(1950, 1, 1) + timedelta(days=rng.randrange(25_000))
        d2 = d1 + timedelta(days=rng.randrange(-900, 900))
        la = rng.sample(names, k=rng.randrange(4))
        lb = rng.sample(names, k=rng.randrange(4))
        rows.append({
            "id": i,
            "a": rng.choice(names + [None]), "b": rng.choice(names + [None]),
            "la": rng.choice([la, la, None]), "lb": rng.choice([lb, lb, None]),
            "d1": rng.choice([d1, d1, d1, None]), "d2": rng.choice([d2, d2, d2, None]),
        })
    return pd.DataFrame(rows)


def test_every_translated_function_gives_duckdbs_result_on_spark(spark):
    frame = _typed_rows()
    duck = duckdb.connect()
    duck.register("frame", frame)
    duck.execute("""create table t as select id, a, b, la::varchar[] as la, lb::varchar[] as lb,
                    d1::date as d1, d2::date as d2 from frame""")
    expected = duck.execute(
        "select id, " + ", ".join(f"({e}) as e{i}" for i, e in enumerate(EXPRESSIONS)) + " from t order by id"
    ).df()
    register_functions(spark)
    to_spark_frame(spark, duck.sql("select * from t").to_arrow_table()).createOrReplaceTempView("typed_rows")
    # what Spark runs: the translation as Splink sends it (re-written by sqlglot's Spark dialect)
    translated = [splink_spark_sql(f"SELECT {translate_condition(e, array_columns={'la', 'lb'})}")
                  .removeprefix("SELECT").strip() for e in EXPRESSIONS]
    with scoring_conf(spark):
        selected = ", ".join(f"({t}) AS e{i}" for i, t in enumerate(translated))
        actual = spark.sql(f"SELECT id, {selected} FROM typed_rows ORDER BY id").toArrow().to_pandas()
    spark.catalog.dropTempView("typed_rows")
    for i, expression in enumerate(EXPRESSIONS):
        e, a = expected[f"e{i}"], actual[f"e{i}"]
        same = [(x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x))) and
                (y is None or y is pd.NA or (isinstance(y, float) and np.isnan(y))) or x == y
                for x, y in zip(e.astype(object), a.astype(object), strict=True)]
        bad = frame[~np.array(same)].assign(duckdb=e[~np.array(same)], spark=a[~np.array(same)])
        assert all(same), f"{expression} -> {translated[i]}:\n{bad.head()}"


def test_the_model_translates_and_every_condition_is_checked_on_spark(spark, scored_on_duckdb):
    con, settings, _, _ = scored_on_duckdb
    to_spark_frame(spark, con.sql("select * from lk_profiles").to_arrow_table()).createOrReplaceTempView("model_check")
    try:
        register_functions(spark)
        translated = translate_settings(settings, array_columns=["alias_names", "forename_names"])
        assert translated["sql_dialect"] == "spark"
        assert all(r["sql_dialect"] == "spark" for r in translated["blocking_rules_to_generate_predictions"])
        check_translation(spark, translated, "model_check")
        broken = translate_settings(settings)
        broken["comparisons"][0]["comparison_levels"][1]["sql_condition"] = "no_such_function(forename_std_l)"
        with pytest.raises(TranslationError, match="no_such_function"):
            check_translation(spark, broken, "model_check")
    finally:
        spark.catalog.dropTempView("model_check")


def test_a_condition_spark_cannot_run_is_reported_with_its_level(spark, scored_on_duckdb):
    con, settings, _, _ = scored_on_duckdb
    broken = json.loads(json.dumps(settings))
    broken["comparisons"][1]["comparison_levels"][2]["sql_condition"] = 'no_such_function("surname_std_l") > 0'
    profiles = con.sql("select * from lk_profiles order by profile_id limit 60").to_arrow_table()
    name = broken["comparisons"][1]["output_column_name"]
    with pytest.raises(TranslationError, match=f"(?i)^{name}, level .*no_such_function"):
        spark_backend.predict_on_spark(spark, profiles, broken)


@pytest.mark.parametrize("sql", ["jaccard(a, b) > 0.5", "date_diff('hour', d1, d2) < 3", "list_has_all(la, lb)",
                                 "regexp_replace(a, ' ', '')"])
def test_functions_without_a_checked_equivalent_are_refused(sql):
    with pytest.raises(TranslationError):
        translate_condition(sql, array_columns={"la", "lb"})


def test_translation_keeps_what_spark_reads_the_same():
    assert translate_condition("ELSE") == "ELSE"
    assert translate_condition('l."pnc_id" = r."pnc_id"') == "l.`pnc_id` = r.`pnc_id`"
    assert translate_condition('jaro_winkler_similarity("forename_std_l", "forename_std_r") >= 0.92').lower() == (
        "oe_jaro_winkler_similarity(`forename_std_l`, `forename_std_r`) >= 0.92")
    assert "0.25D" in splink_spark_sql("SELECT CAST(0.25 AS DOUBLE) AS x")
