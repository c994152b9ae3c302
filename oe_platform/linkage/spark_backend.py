"""Person-linkage scoring on Apache Spark: Splink's SparkAPI with the committed model.

The model (spec.py, linkage/models/) is written in DuckDB SQL. `translate_settings` rewrites every
comparison-level condition and blocking rule into Spark SQL at run time, so a new level in spec.py
needs no Spark copy: sqlglot transpiles the SQL, and the functions whose Spark namesake is missing
or means something else are rewritten here (see `translate_condition`). `score_pairs_spark` then
predicts with the same model, the same term-frequency lookups (counted over source record keys, as
`scoring.identity_term_frequencies` does) and the same floor as DuckDB: the same pairs, the same
comparison levels, match weights equal to within rounding.

Similarity functions. Splink ships Jaro-Winkler and Damerau-Levenshtein for Spark as Scala UDFs in a
jar (`splink.backends.spark.similarity_jar_location`). Its Damerau-Levenshtein equals DuckDB's, but
its Jaro and Jaro-Winkler do not (they count transpositions differently: JOHNSTON/JOHUSON is 0.869
in DuckDB and 0.850 in the jar, so pairs change level at the 0.92 and 0.84 thresholds). The
`oe_jaro_similarity` and `oe_jaro_winkler_similarity` SQL functions registered here are DuckDB's
algorithm in Spark SQL (window max(len)/2 - 1, first unmatched character in the window, integer half
transpositions, prefix of up to four characters weighted 0.1 above 0.7, the boost as one fused
multiply-add), bit-for-bit equal to DuckDB on the test strings. `oe_damerau_levenshtein` is the
jar's, returning NULL for a NULL argument as DuckDB does (the jar returns 100).

Splink on Spark. Splink writes its Spark SQL through a Python subclass of sqlglot's Spark generator,
which sqlglot's compiled build (sqlglotc, installed by dagster-dbt) cannot instantiate; the SparkAPI
here uses sqlglot's own Spark dialect instead (`splink_spark_sql`). DuckDB's NULL semantics hold
while scoring (`SCORING_CONF`). docs/linkage.md, "Running on Spark", has the whole picture.

    spark = local_spark_session(Path("/tmp/spark-oe"))
    pairs = score_pairs_spark(spark, profiles, model.settings_for(n))   # pandas, like lk_pairs
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import pyarrow as pa
import sqlglot
from sqlglot import exp

from oe_platform.linkage.scoring import SCORING_FLOOR_PROBABILITY, ScoredPairs, tf_columns
from oe_platform.linkage.spec import UNIQUE_ID

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql import SparkSession

SPARK_DIR_ENV = "OE_SPARK_DIR"
"""Folder of the default local session (warehouse, scratch, checkpoints) [default: <tmp>/oe-spark]."""


class TranslationError(ValueError):
    """A DuckDB SQL condition of the model that has no checked Spark SQL equivalent."""


# --------------------------------------------------------------------------------------------------
# The local session


LOG4J2_PROPERTIES = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
# pyspark's JVM counts as a shell, whose level Spark otherwise sets to WARN (and says so)
logger.pyspark.name = org.apache.spark.api.python.PythonGatewayServer
logger.pyspark.level = error
"""


QUICK_JIT = "-XX:TieredStopAtLevel=1"
"""Only the JVM's quick (C1) compiler. A local linkage run is short: while the optimising compiler
works it takes one of two cores from the run, and pays back only over minutes. Measured on the test
input: 21, 9 and 8 s for three runs from a cold start, against 31, 16 and 12 s with both compilers."""


def default_spark_dir() -> Path:
    return Path(os.environ.get(SPARK_DIR_ENV) or Path(tempfile.gettempdir()) / "oe-spark")


def local_spark_session(
    workdir: Path | str | None = None,
    cores: int = 2,
    shuffle_partitions: int | None = None,
    driver_memory: str = "2g",
    conf: Mapping[str, str] | None = None,
    java_options: str = QUICK_JIT,
) -> SparkSession:
    """A local Spark session for linkage: `local[cores]`, few shuffle partitions, no UI, errors-only
    logging, UTC, an in-memory catalogue, Splink's similarity jar on the class path, and its
    warehouse, scratch space and checkpoints under `workdir` [default: $OE_SPARK_DIR, else
    <tmp>/oe-spark]; `conf` adds or overrides Spark settings; `java_options` are the driver JVM's
    (QUICK_JIT by default). A session already active in this process (dbt-spark's) is returned as it
    is, given a checkpoint folder if it has none."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    workdir = Path(workdir or default_spark_dir()).resolve()
    active = SparkSession.getActiveSession()
    if active is not None:
        if active.sparkContext._jsc.sc().getCheckpointDir().isEmpty():
            active.sparkContext.setCheckpointDir(str(workdir / "checkpoints"))
        return active
    scratch = workdir / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    log_config = workdir / "log4j2.properties"
    log_config.write_text(LOG4J2_PROPERTIES, encoding="utf-8")
    java_options = (f"-Djava.io.tmpdir={scratch} -Dlog4j2.configurationFile={log_config.as_uri()} "
                    f"-Dderby.system.home={workdir / 'derby'} {java_options}").strip()
    partitions = shuffle_partitions or 2 * cores
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("oe-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", driver_memory)
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.default.parallelism", str(partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.sql.warehouse.dir", str(workdir / "warehouse"))
        .config("spark.local.dir", str(scratch))
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    with _quiet_pandas_warning():
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(str(workdir / "checkpoints"))
    return spark


# --------------------------------------------------------------------------------------------------
# Functions the translated conditions call


def _let(name: str, value: str, body: str) -> str:
    """`body` with `name` bound to `value`, evaluated once (a lambda over a one-element array)."""
    return f"transform(array({value}), {name} -> {body})[0]"


TWO_27_PLUS_1 = "134217729.0D"  # Veltkamp's splitting constant for doubles
ULP_BELOW_ONE = repr(2.0**-53) + "D"  # spacing of doubles in [0.5, 1)
ULP_ONE = repr(2.0**-52) + "D"  # spacing of doubles in [1, 2)
TWO_53 = repr(2.0**53) + "D"


def _fma_sql(a: str, b: str, c: str) -> str:
    """a × b + c rounded once, as a fused multiply-add (C's fma, Java's Math.fma), in plain double
    arithmetic, for 0.5 < c ≤ 1 and 0 ≤ a × b < c / 2 (the Winkler boost). `a`, `b` and `c` must be
    cheap to repeat (columns or lambda variables).

    Dekker's product gives a × b = ph + pl exactly (Veltkamp's split), Fast2Sum gives c + ph = sh + sl
    exactly, and the exact sum sh + (sl + pl) is rounded to nearest, ties to even, by comparing
    sl + pl with half the spacing of doubles at sh (a tie is settled by the sign of the exact
    remainder). Deterministic, unlike calling Math.fma through reflect(), which Spark will not
    evaluate inside a lambda or an aggregate."""
    a, b, c = f"({a})", f"({b})", f"({c})"
    split = (f"named_struct('ah', {TWO_27_PLUS_1} * {a} - ({TWO_27_PLUS_1} * {a} - {a}), "
             f"'bh', {TWO_27_PLUS_1} * {b} - ({TWO_27_PLUS_1} * {b} - {b}))")
    product = (f"named_struct('ph', {a} * {b}, 'ah', fma_s.ah, 'bh', fma_s.bh, "
               f"'al', {a} - fma_s.ah, 'bl', {b} - fma_s.bh)")
    exact = ("named_struct('sh', " + c + " + fma_p.ph, "
             "'sl', fma_p.ph - ((" + c + " + fma_p.ph) - " + c + "), "
             "'pl', ((fma_p.ah * fma_p.bh - fma_p.ph) + fma_p.ah * fma_p.bl + fma_p.al * fma_p.bh) "
             "+ fma_p.al * fma_p.bl)")
    odd = f"(fma_e.sh * {TWO_53}) % 2.0D = 1.0D"
    up = f"IF(fma_e.sh >= 1.0D, {ULP_ONE}, {ULP_BELOW_ONE})"
    down = ULP_BELOW_ONE
    rounded = (
        "CASE "
        f"WHEN fma_e.sl + fma_e.pl > {up} / 2 THEN fma_e.sh + {up} "
        f"WHEN fma_e.sl + fma_e.pl = {up} / 2 THEN IF((fma_e.sl - {up} / 2) + fma_e.pl > 0 "
        f"OR ((fma_e.sl - {up} / 2) + fma_e.pl = 0 AND {odd}), fma_e.sh + {up}, fma_e.sh) "
        f"WHEN fma_e.sl + fma_e.pl < -{down} / 2 THEN fma_e.sh - {down} "
        f"WHEN fma_e.sl + fma_e.pl = -{down} / 2 THEN IF((fma_e.sl + {down} / 2) + fma_e.pl < 0 "
        f"OR ((fma_e.sl + {down} / 2) + fma_e.pl = 0 AND {odd}), fma_e.sh - {down}, fma_e.sh) "
        "ELSE fma_e.sh END"
    )
    return _let("fma_s", split, _let("fma_p", product, _let("fma_e", exact, rounded)))


def _jaro_sql(p: str, t: str, winkler: bool) -> str:
    """DuckDB's jaro_similarity / jaro_winkler_similarity(p, t) as a Spark SQL expression.

    Matching walks t: its j-th character takes the first not yet matched equal character of p within
    max(len)/2 - 1 positions (p with matched characters masked by char(0) is the state, so `locate`
    finds it). Half the matched characters that differ in order are the transpositions (integer
    division). Winkler: + prefix × 0.1 × (1 − jaro) when jaro > 0.7, rounded as DuckDB's compiled
    code does it, as one fused multiply-add (`_fma_sql`). Strings containing char(0) are refused
    (raise_error), since char(0) is the mask."""
    pl, tl = f"length({p})", f"length({t})"
    bound = f"(greatest({pl}, {tl}) div 2 - 1)"
    char = f"substr({t}, jw_j, 1)"
    low, high = f"greatest(1, jw_j - {bound})", f"least({pl}, jw_j + {bound})"
    found = f"locate({char}, jw_a.pmask, {low})"
    step = (f"(jw_a, jw_j) -> IF({found} BETWEEN 1 AND {high}, "
            f"named_struct('pmask', overlay(jw_a.pmask PLACING char(0) FROM {found} FOR 1), "
            f"'tm', concat(jw_a.tm, {char})), jw_a)")
    matched = "length(jw_a.tm)"
    p_matched = (f"array_join(transform(sequence(1, {pl}), "
                 f"jw_i -> IF(substr(jw_a.pmask, jw_i, 1) = char(0), substr({p}, jw_i, 1), '')), '')")
    transpositions = (f"size(filter(sequence(1, {matched}), "
                      f"jw_i -> substr(jw_pm, jw_i, 1) <> substr(jw_a.tm, jw_i, 1))) div 2")
    finish = (f"jw_a -> IF({matched} = 0, 0.0D, " + _let("jw_pm", p_matched,
              f"({matched} / {pl} + {matched} / {tl} + ({matched} - {transpositions}) / {matched}) / 3.0D") + ")")
    score = f"aggregate(sequence(1, {tl}), named_struct('pmask', {p}, 'tm', ''), {step}, {finish})"
    if winkler:
        prefix = " ".join(f"WHEN substr({p}, 1, {n}) = substr({t}, 1, {n}) THEN least({n}, {pl}, {tl})"
                          for n in (4, 3, 2, 1))
        boost = _let("jw_w", f"(CASE {prefix} ELSE 0 END) * 0.1D", _fma_sql("jw_w", "1.0D - jw_s", "jw_s"))
        score = _let("jw_s", score, f"IF(jw_s > 0.7D, {boost}, jw_s)")
    return (f"CASE WHEN {p} IS NULL OR {t} IS NULL THEN CAST(NULL AS DOUBLE) "
            f"WHEN instr({p}, char(0)) > 0 OR instr({t}, char(0)) > 0 "
            f"THEN raise_error('Jaro similarity of a string containing char(0)') "
            f"WHEN {pl} = 0 OR {tl} = 0 THEN 0.0D "
            f"WHEN {pl} = 1 AND {tl} = 1 THEN IF({p} = {t}, 1.0D, 0.0D) "
            f"ELSE {score} END")


SQL_FUNCTIONS: dict[str, str] = {
    "oe_jaro_similarity": f"(a STRING, b STRING) RETURNS DOUBLE RETURN {_jaro_sql('a', 'b', winkler=False)}",
    "oe_jaro_winkler_similarity": f"(a STRING, b STRING) RETURNS DOUBLE RETURN {_jaro_sql('a', 'b', winkler=True)}",
    # the jar's UDF returns 100.0 for a NULL argument; DuckDB returns NULL
    "oe_damerau_levenshtein": "(a STRING, b STRING) RETURNS BIGINT RETURN "
    "CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE CAST(damerau_levenshtein(a, b) AS BIGINT) END",
}
"""Temporary SQL functions `register_functions` creates in a session: name -> signature and body."""


def register_functions(spark: SparkSession) -> None:
    """Make the functions translated conditions call available in `spark`: Splink's similarity UDFs
    (adding its jar to a session started without it) and the oe_ SQL functions."""
    from pyspark.errors import AnalysisException
    from splink.backends.spark import similarity_jar_location
    from splink.internals.spark.jar_location import get_scala_udfs

    def register_udfs() -> None:
        for name, java_class, return_type in get_scala_udfs():
            spark.udf.registerJavaFunction(name, java_class, return_type)

    try:
        register_udfs()
    except AnalysisException:
        spark.sql(f"ADD JAR '{similarity_jar_location()}'")
        register_udfs()
    for name, definition in SQL_FUNCTIONS.items():
        spark.sql(f"CREATE OR REPLACE TEMPORARY FUNCTION {name}{definition}")


# --------------------------------------------------------------------------------------------------
# DuckDB SQL -> Spark SQL


RENAMED_FUNCTIONS = {
    "JARO_WINKLER_SIMILARITY": "oe_jaro_winkler_similarity",
    "JARO_SIMILARITY": "oe_jaro_similarity",
    "DAMERAU_LEVENSHTEIN": "oe_damerau_levenshtein",
    "PREFIX": "startswith",
    "SUFFIX": "endswith",
}
"""DuckDB functions sqlglot leaves as they are (or maps to a Spark function that does not exist) ->
the Spark function with the same result, NULLs included."""

# DuckDB's list functions ignore NULL elements (list_contains([1, NULL], 2) is false, Spark's
# array_contains NULL), and list_intersect(list, NULL) is an empty list (Spark: NULL). Spark SQL
# templates over the arguments ({0}, {1}) with DuckDB's results.
LIST_TEMPLATES = {
    "intersect": "IF(({1}) IS NULL, filter({0}, oe_x -> false), "
                 "array_intersect(array_compact({0}), array_compact({1})))",
    "has_any": "arrays_overlap(array_compact({0}), array_compact({1}))",
    "contains": "array_contains(array_compact({0}), {1})",
    "distinct": "array_distinct(array_compact({0}))",
}
LIST_FUNCTIONS = {"LIST_INTERSECT": "intersect", "ARRAY_INTERSECT": "intersect", "LIST_HAS_ANY": "has_any",
                  "ARRAY_HAS_ANY": "has_any"}

REGEX_SPLIT_FUNCTIONS = {"REGEXP_SPLIT_TO_ARRAY", "STRING_SPLIT_REGEX", "STR_SPLIT_REGEX"}
"""DuckDB's split on a regular expression: Spark's split is one."""

UNSUPPORTED_FUNCTIONS = {
    "JACCARD": "DuckDB's jaccard has no checked Spark equivalent",
    "HAMMING": "DuckDB's hamming has no checked Spark equivalent",
    "MISMATCHES": "DuckDB's mismatches has no checked Spark equivalent",
    "LIST_HAS_ALL": "DuckDB's list_has_all has no checked Spark equivalent",
    "ARRAY_HAS_ALL": "DuckDB's array_has_all has no checked Spark equivalent",
}

ARRAY_FUNCTIONS = {"ARRAY_INTERSECT", "LIST_INTERSECT", "ARRAY_UNION", "ARRAY_EXCEPT", "ARRAY_DISTINCT",
                   "LIST_DISTINCT", "ARRAY_SORT", "LIST_SORT", "SPLIT", "STR_SPLIT", "STRING_SPLIT",
                   "REGEXP_SPLIT_TO_ARRAY", "STRING_SPLIT_REGEX", "STR_SPLIT_REGEX", "LIST_FILTER", "FILTER",
                   "LIST_TRANSFORM", "LIST_CONCAT", "ARRAY_CONCAT", "LIST_SLICE", "ARRAY_SLICE", "ARRAY_COMPACT"}
ARRAY_EXPRESSIONS = tuple(
    getattr(exp, name) for name in (
        "Split", "RegexpSplit", "ArrayIntersect", "ArrayUnion", "ArrayExcept", "ArrayDistinct", "ArraySort",
        "ArrayFilter", "Transform", "Array", "ArrayConcat", "ArraySlice", "ArrayCompact",
    ) if hasattr(exp, name)
)

DATE_DIFF_UNITS = ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")


def _call(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _template(template: str, *args: exp.Expr) -> exp.Expr:
    """A Spark SQL template with the (already translated) arguments in place of {0}, {1}…"""
    return exp.Paren(this=sqlglot.parse_one(template.format(*(a.sql(dialect="spark") for a in args)), read="spark"))


def _is_array(node: exp.Expr, array_columns: set[str]) -> bool:
    """Whether `node` is a list: a list column of the profiles or a function returning one."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Column):
        name = node.name
        return name in array_columns or (name[-2:] in ("_l", "_r") and name[:-2] in array_columns)
    if isinstance(node, ARRAY_EXPRESSIONS):
        return True
    if isinstance(node, exp.Anonymous):
        return node.name.upper() in ARRAY_FUNCTIONS
    if isinstance(node, exp.Coalesce):
        return _is_array(node.this, array_columns)
    if isinstance(node, exp.If):
        return _is_array(node.args["true"], array_columns)
    if isinstance(node, exp.Case):
        return any(_is_array(branch.args["true"], array_columns) for branch in node.args.get("ifs", []))
    return False


def _date_diff(node: exp.DateDiff) -> exp.Expr:
    """DuckDB's date_diff(unit, start, end) counts unit boundaries (weeks: whole weeks); Spark's
    datediff(unit, …) counts whole units. Written with Spark functions per unit."""
    unit = (node.text("unit") or "DAY").upper().removesuffix("S")
    end, start = node.this, node.expression
    if unit not in DATE_DIFF_UNITS:
        raise TranslationError(f"date_diff unit {unit!r} is not translated (only {', '.join(DATE_DIFF_UNITS)})")
    days = _call("datediff", end.copy(), start.copy())
    if unit == "DAY":
        return days
    if unit == "WEEK":
        return exp.Paren(this=exp.IntDiv(this=days, expression=exp.Literal.number(7)))

    def part(function: str) -> exp.Expr:
        return exp.Sub(this=_call(function, end.copy()), expression=_call(function, start.copy()))

    if unit == "YEAR":
        return exp.Paren(this=part("year"))
    per_year = 12 if unit == "MONTH" else 4
    within = part("month" if unit == "MONTH" else "quarter")
    years = exp.Mul(this=exp.Paren(this=part("year")), expression=exp.Literal.number(per_year))
    return exp.Paren(this=exp.Add(this=years, expression=exp.Paren(this=within)))


def _rewrite(node: exp.Expr, array_columns: set[str]) -> exp.Expr:
    if isinstance(node, exp.JarowinklerSimilarity):
        return _call("oe_jaro_winkler_similarity", node.this, node.expression)
    if isinstance(node, exp.Anonymous):
        name = node.name.upper()
        if name in UNSUPPORTED_FUNCTIONS:
            raise TranslationError(UNSUPPORTED_FUNCTIONS[name])
        if name in RENAMED_FUNCTIONS:
            return _call(RENAMED_FUNCTIONS[name], *node.expressions)
        if name in LIST_FUNCTIONS:
            return _template(LIST_TEMPLATES[LIST_FUNCTIONS[name]], *node.expressions)
        if name in REGEX_SPLIT_FUNCTIONS:
            return _call("split", *node.expressions)
        return node
    if isinstance(node, exp.ArrayOverlaps):  # DuckDB &&
        return _template(LIST_TEMPLATES["has_any"], node.this, node.expression)
    if isinstance(node, exp.ArrayIntersect):
        return _template(LIST_TEMPLATES["intersect"], *node.expressions)
    if isinstance(node, exp.ArrayContains):  # list_contains, list_has, array_has
        return _template(LIST_TEMPLATES["contains"], node.this, node.expression)
    if isinstance(node, exp.ArrayDistinct):
        return _template(LIST_TEMPLATES["distinct"], node.this)
    if isinstance(node, exp.ArrayContainsAll):  # DuckDB @>
        raise TranslationError(UNSUPPORTED_FUNCTIONS["LIST_HAS_ALL"])
    if isinstance(node, exp.ArraySize) or (isinstance(node, exp.Length) and _is_array(node.this, array_columns)):
        # DuckDB len/length/array_length of a list; NULL for NULL (spark.sql.legacy.sizeOfNull is off while scoring)
        return _call("array_size", node.this)
    if isinstance(node, exp.DateDiff):
        return _date_diff(node)
    if isinstance(node, exp.RegexpFullMatch):
        anchored = exp.Concat(expressions=[exp.Literal.string("^(?:"), node.expression, exp.Literal.string(")$")])
        return exp.RegexpLike(this=node.this, expression=anchored)
    if isinstance(node, exp.RegexpLike) and node.args.get("flag") is not None:  # regexp_matches(s, p, 'i')
        return exp.RegexpLike(this=node.this, expression=_regex_options(node.expression, node.args["flag"], False))
    if isinstance(node, exp.RegexpReplace):  # sqlglot drops DuckDB's options; without 'g' only the first match
        pattern = _regex_options(node.expression, node.args.get("modifiers"), True)
        return _call("regexp_replace", node.this, pattern, node.args.get("replacement") or exp.Literal.string(""))
    if isinstance(node, exp.RegexpExtract):  # DuckDB's default group is 0 (the match), Spark's 1
        group = node.args.get("group") or exp.Literal.number(0)
        return _call("regexp_extract", node.this, node.expression, group)
    return node


def _regex_options(pattern: exp.Expr, options: exp.Expr | None, replace: bool) -> exp.Expr:
    """A DuckDB regular expression with its options ('i': case-insensitive; for regexp_replace, 'g':
    every match) as a Java pattern. Spark's regexp_replace replaces every match: DuckDB's default,
    the first match only, is refused."""
    if options is not None and not isinstance(options, exp.Literal):
        raise TranslationError("regular expression options must be a literal")
    flags = options.name if options is not None else ""
    if replace and "g" not in flags:
        raise TranslationError("regexp_replace without the 'g' option (first match only) is not translated")
    unknown = set(flags) - {"g", "i", "c"}
    if unknown or (not replace and "g" in flags):
        raise TranslationError(f"regular expression options {flags!r} are not translated "
                               "(only 'i', and 'g' to replace)")
    if "i" in flags:
        return exp.Concat(expressions=[exp.Literal.string("(?i)"), pattern])
    return pattern


def translate_condition(sql: str, array_columns: Iterable[str] = (), read: str = "duckdb") -> str:
    """A comparison-level condition or blocking rule in DuckDB SQL, as Spark SQL.

    sqlglot transpiles; then functions whose Spark namesake is missing or different are rewritten:
    Jaro(-Winkler) and Damerau-Levenshtein (the oe_ functions of `register_functions`), list
    functions (list_intersect, list_has_any / &&, regexp_split_to_array, and len / length of a list,
    which needs `array_columns`: the profile columns that are lists), date_diff (DuckDB counts unit
    boundaries), regexp_full_match, prefix / suffix. Functions known to have no checked equivalent
    raise TranslationError; anything Spark does not know fails `check_translation`."""
    if sql.strip().upper() == "ELSE":
        return sql
    if read == "spark":
        return sql
    columns = set(array_columns)
    try:
        tree = sqlglot.parse_one(sql, read=read)
    except sqlglot.errors.ParseError as error:
        raise TranslationError(f"cannot parse {sql!r} as {read} SQL: {error}") from error
    return _rewrite_tree(tree, columns).sql(dialect="spark")


def _rewrite_tree(node: exp.Expr, array_columns: set[str]) -> exp.Expr:
    """`_rewrite` bottom-up: a node is rewritten once its arguments are (len of a list_intersect)."""
    for child in list(node.iter_expressions()):
        child.replace(_rewrite_tree(child, array_columns))
    return _rewrite(node, array_columns)


def translate_settings(settings: Mapping[str, Any], array_columns: Iterable[str] = ()) -> dict[str, Any]:
    """A copy of Splink settings written in DuckDB SQL with every comparison-level condition and
    blocking rule in Spark SQL (sql_dialect "spark"). Derived from the settings each time: nothing
    here knows the comparisons of spec.py."""
    translated: dict[str, Any] = json.loads(json.dumps(settings))
    dialect = translated.get("sql_dialect") or "duckdb"
    if dialect not in ("duckdb", "spark"):
        raise TranslationError(f"settings in {dialect} SQL: only duckdb is translated")
    columns = set(array_columns)
    for comparison in translated["comparisons"]:
        for level in comparison["comparison_levels"]:
            try:
                level["sql_condition"] = translate_condition(level["sql_condition"], columns, dialect)
            except TranslationError as error:
                raise TranslationError(f"{comparison.get('output_column_name')}, level "
                                       f"{level.get('label_for_charts')!r}: {error}") from error
    rules = []
    for rule in translated.get("blocking_rules_to_generate_predictions", []):
        rule = dict(rule) if isinstance(rule, dict) else {"blocking_rule": rule}
        rule_dialect = rule.get("sql_dialect") or dialect
        rule["blocking_rule"] = translate_condition(rule["blocking_rule"], columns, rule_dialect)
        rule["sql_dialect"] = "spark"
        rules.append(rule)
    translated["blocking_rules_to_generate_predictions"] = rules
    translated["sql_dialect"] = "spark"
    return translated


def check_translation(spark: SparkSession, settings: Mapping[str, Any], table: str) -> None:
    """Analyse (not run) every condition of translated `settings` over `table` in `spark`, so that
    an untranslatable function is reported with its comparison and level rather than deep inside
    Splink's SQL. Raises TranslationError."""
    from pyspark.errors import AnalysisException, ParseException

    empty = f"(SELECT * FROM {table} WHERE false)"
    sides = ", ".join(f"l.`{c}` AS `{c}_l`, r.`{c}` AS `{c}_r`" for c in spark.table(table).columns)
    levels = f"(SELECT {sides} FROM {empty} AS l CROSS JOIN {empty} AS r)"
    checks = [
        (f"{c['output_column_name']}, level {level.get('label_for_charts')!r}", level["sql_condition"], levels)
        for c in settings["comparisons"] for level in c["comparison_levels"]
        if level["sql_condition"].strip().upper() != "ELSE"
    ] + [
        (f"blocking rule {i}", rule["blocking_rule"], f"{empty} AS l CROSS JOIN {empty} AS r")
        for i, rule in enumerate(settings["blocking_rules_to_generate_predictions"], start=1)
    ]

    def analyse(group: list[tuple[str, str, str]]) -> None:
        for source in dict.fromkeys(source for _, _, source in group):
            selected = ", ".join(f"({sql}) AS c{i}" for i, (_, sql, s) in enumerate(group) if s == source)
            spark.sql(f"SELECT {selected} FROM {source}")

    # pyspark logs every failed analysis with its stack trace: here failures are expected and reported
    query_log = logging.getLogger("SQLQueryContextLogger")
    was_disabled, query_log.disabled = query_log.disabled, True
    try:
        analyse(checks)  # two analyses when all is well, then one per condition to name the culprit
    except (AnalysisException, ParseException):
        for check in checks:
            try:
                analyse([check])
            except (AnalysisException, ParseException) as error:
                message = str(error).splitlines()[0]
                raise TranslationError(f"{check[0]}: Spark cannot run {check[1]!r}: {message}") from error
        raise
    finally:
        query_log.disabled = was_disabled


# --------------------------------------------------------------------------------------------------
# Scoring


def _splink_spark_api(spark: SparkSession, **kwargs: Any):
    """Splink's SparkAPI, writing its SQL with sqlglot's own Spark dialect.

    Splink transpiles each statement to its "customspark" dialect, a Python subclass of sqlglot's
    Spark generator. sqlglot's compiled build (sqlglotc, which dagster-dbt's sqlglot[rs] installs)
    cannot instantiate such a subclass ("TypeError: interpreted classes cannot inherit from
    compiled"), so every Splink statement would fail. customspark's one change, a number cast to
    DOUBLE written as a double literal (0.5D) rather than a decimal Spark casts, is an AST rewrite
    here."""
    from splink.backends.spark import SparkAPI

    class OESparkAPI(SparkAPI):
        def _setup_for_execute_sql(self, sql: str, physical_name: str) -> str:
            return splink_spark_sql(sql)

    return OESparkAPI(spark_session=spark, **kwargs)


def splink_spark_sql(sql: str) -> str:
    """A Splink statement as it is sent to Spark: re-read and written by sqlglot's Spark dialect,
    numbers cast to DOUBLE as double literals (what Splink's customspark dialect does)."""
    tree = sqlglot.parse(sql, read="spark")[0]
    return tree.transform(_double_literal).sql(dialect="spark", pretty=True)


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _double_literal(node: exp.Expr) -> exp.Expr:
    if (isinstance(node, (exp.Cast, exp.TryCast)) and node.to.is_type(exp.DataType.Type.DOUBLE)
            and isinstance(node.this, exp.Literal) and _NUMBER.match(node.this.name)):
        return exp.Var(this=f"{node.this.name}D")
    return node


SCORING_CONF = {
    # DuckDB SQL returns NULL where ANSI Spark raises (a list index out of range, division by zero):
    # the model's conditions are evaluated with Spark's NULL-returning semantics…
    "spark.sql.ansi.enabled": "false",
    # …except size(NULL), which is -1 without ANSI: DuckDB's len(NULL) is NULL
    "spark.sql.legacy.sizeOfNull": "false",
}


@contextmanager
def scoring_conf(spark: SparkSession) -> Iterator[None]:
    """The SQL settings of SCORING_CONF for the duration of a block, then the session's own again."""
    previous = {key: spark.conf.get(key, None) for key in SCORING_CONF}
    for key, value in SCORING_CONF.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def to_spark_frame(spark: SparkSession, frame: pd.DataFrame | pa.Table | SparkDataFrame) -> SparkDataFrame:
    """`frame` as a Spark DataFrame of `spark`, through Arrow."""
    from pyspark.sql import DataFrame as SparkDataFrame

    if isinstance(frame, SparkDataFrame):
        return frame
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    with _quiet_pandas_warning():
        return spark.createDataFrame(table)


@contextmanager
def _quiet_pandas_warning() -> Iterator[None]:
    """pyspark 4.3 warns that it does not fully support pandas 3 whenever it checks the pandas version
    (at start-up and on every Arrow conversion). Data goes between DuckDB and Spark through Arrow
    here, never through pyspark's pandas conversion."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        yield


def term_frequency_lookup(spark: SparkSession, table: str, column: str) -> SparkDataFrame:
    """scoring.identity_term_frequencies in Spark SQL: `column` and tf_<column>, a value counting
    once per source record key of `table`."""
    return spark.sql(f"""
        WITH carriers AS (
            SELECT DISTINCT `{column}`, source_key FROM {table} WHERE `{column}` IS NOT NULL
        )
        SELECT `{column}`, count(*) / sum(count(*)) OVER () AS `tf_{column}`
        FROM carriers
        GROUP BY `{column}`
    """)


@dataclass(frozen=True)
class SparkScores:
    pairs: pa.Table
    """profile_id_l < profile_id_r, match_weight, match_probability, gamma_<comparison>…"""
    compared: int | None
    """Candidate pairs of the blocking rules (when counted)."""
    seconds: dict[str, float]


def predict_on_spark(
    spark: SparkSession,
    profiles: pd.DataFrame | pa.Table | SparkDataFrame,
    settings: Mapping[str, Any],
    floor_probability: float = SCORING_FLOOR_PROBABILITY,
    count_compared: bool = True,
) -> SparkScores:
    """Score the blocked pairs of `profiles` (the lk_profiles columns, source_key included) with the
    DuckDB-SQL `settings` on Spark; keep pairs at or above the floor. When Spark cannot run Splink's
    SQL, `check_translation` names the comparison level or blocking rule (TranslationError)."""
    from pyspark.errors import AnalysisException, ParseException
    from splink import Linker
    from splink.internals.exceptions import SplinkException

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    _ensure_checkpoint_folder(spark)
    register_functions(spark)
    # held in memory once: every blocking rule reads the profiles twice, and a frame made from local
    # data would otherwise be shipped from the driver for each read (25,000 profiles: 30 s, not 3)
    frame = to_spark_frame(spark, profiles)
    cached_here = not frame.is_cached
    if cached_here:
        frame = frame.persist()
        frame.count()
    # a fresh name per run: Splink and the lookups refer to it by name in a shared session
    suffix = f"{os.getpid()}_{time.monotonic_ns()}"
    input_view = f"oe_lk_profiles_{suffix}"
    frame.createOrReplaceTempView(input_view)
    array_columns = [f.name for f in frame.schema.fields if f.dataType.typeName() == "array"]
    spark_settings = translate_settings(settings, array_columns)
    spark_settings.update(retain_intermediate_calculation_columns=False, retain_matching_columns=True)
    seconds["spark_prepare"] = time.perf_counter() - started

    views = [input_view]
    checkpoints_before = _checkpoint_entries(spark)
    try:
        with scoring_conf(spark):
            started = time.perf_counter()
            db_api = _splink_spark_api(spark, register_udfs_automatically=False)
            linker = Linker(db_api.register(input_view, table_name=f"{input_view}_input"), spark_settings,
                            log_level=logging.WARNING)
            for column in tf_columns(spark_settings):
                lookup = f"oe_lk_tf_{column}_{suffix}"
                term_frequency_lookup(spark, input_view, column).createOrReplaceTempView(lookup)
                views.append(lookup)
                linker.table_management.register_term_frequency_lookup(
                    db_api.register(lookup, table_name=f"{lookup}_input"), column
                )
            # the candidate pairs, materialised once: counted here, then scored by predict (Splink's cache)
            blocked = linker.inference.compute_blocked_pairs_for_predict()
            compared = spark.table(blocked.physical_name).count() if count_compared else None
            seconds["spark_block"] = time.perf_counter() - started
            started = time.perf_counter()
            predictions = linker.inference.predict(threshold_match_probability=floor_probability,
                                                   warning_mode="never")
            gammas = ", ".join(f"`gamma_{c['output_column_name']}`" for c in spark_settings["comparisons"])
            pairs = spark.sql(f"""
                SELECT
                    least({UNIQUE_ID}_l, {UNIQUE_ID}_r) AS profile_id_l,
                    greatest({UNIQUE_ID}_l, {UNIQUE_ID}_r) AS profile_id_r,
                    match_weight,
                    match_probability,
                    {gammas}
                FROM {predictions.physical_name}
                ORDER BY profile_id_l, profile_id_r
            """).toArrow()
            seconds["spark_predict"] = time.perf_counter() - started
            linker.table_management.delete_tables_created_by_splink_from_db()
    except (SplinkException, AnalysisException, ParseException):
        check_translation(spark, spark_settings, input_view)  # raises TranslationError naming the culprit
        raise
    finally:
        for view in views:
            spark.catalog.dropTempView(view)
        if cached_here:
            frame.unpersist()
        _remove_new_checkpoints(spark, checkpoints_before)
    return SparkScores(pairs=pairs, compared=compared, seconds=seconds)


def score_pairs_spark(
    spark: SparkSession,
    profiles: pd.DataFrame | pa.Table | SparkDataFrame,
    settings: Mapping[str, Any],
    floor_probability: float = SCORING_FLOOR_PROBABILITY,
) -> pd.DataFrame:
    """The scored pairs of `profiles` on Spark, as a pandas frame with the columns of DuckDB's lk_pairs
    (profile_id_l < profile_id_r, match_weight, match_probability, gamma_<comparison>…), ordered by
    profile_id_l, profile_id_r."""
    scores = predict_on_spark(spark, profiles, settings, floor_probability, count_compared=False)
    return scores.pairs.to_pandas()


def score_pairs_on_spark(
    con: duckdb.DuckDBPyConnection,
    settings: Mapping[str, Any],
    spark: SparkSession | None = None,
    floor_probability: float = SCORING_FLOOR_PROBABILITY,
) -> ScoredPairs:
    """scoring.score_pairs with Spark doing the scoring: lk_profiles (in `con`) goes to Spark, the
    pairs come back as the DuckDB temp table lk_pairs with the same columns and types."""
    spark = spark or local_spark_session()
    profiles = con.sql("select * from lk_profiles").to_arrow_table()
    scores = predict_on_spark(spark, profiles, settings, floor_probability, count_compared=True)
    con.register("lk_pairs_spark", scores.pairs)
    gammas = ", ".join(f"cast(gamma_{c['output_column_name']} as integer) as gamma_{c['output_column_name']}"
                       for c in settings["comparisons"])
    con.execute(f"""
        create or replace temp table lk_pairs as
        select
            cast(profile_id_l as bigint) as profile_id_l,
            cast(profile_id_r as bigint) as profile_id_r,
            cast(match_weight as double) as match_weight,
            cast(match_probability as double) as match_probability,
            {gammas}
        from lk_pairs_spark
    """)
    con.unregister("lk_pairs_spark")
    return ScoredPairs(compared=scores.compared or 0, kept=scores.pairs.num_rows)


def _checkpoint_folder(spark: SparkSession) -> Path | None:
    """The session's checkpoint folder when it is on the local file system."""
    folder = spark.sparkContext._jsc.sc().getCheckpointDir()
    if folder.isEmpty():
        return None
    location = str(folder.get())
    if location.startswith("file:"):
        location = location.removeprefix("file:")
    elif "://" in location:
        return None
    return Path(location)


def _ensure_checkpoint_folder(spark: SparkSession) -> None:
    """Splink writes intermediate tables to the checkpoint folder: give a session without one
    <default spark dir>/checkpoints."""
    if spark.sparkContext._jsc.sc().getCheckpointDir().isEmpty():
        spark.sparkContext.setCheckpointDir(str(default_spark_dir() / "checkpoints"))


def _checkpoint_entries(spark: SparkSession) -> set[str]:
    folder = _checkpoint_folder(spark)
    return {p.name for p in folder.iterdir()} if folder and folder.exists() else set()


def _remove_new_checkpoints(spark: SparkSession, before: set[str]) -> None:
    """Splink writes its intermediate tables as Parquet under the checkpoint folder: remove this run's."""
    folder = _checkpoint_folder(spark)
    if folder is None or not folder.exists():
        return
    for entry in folder.iterdir():
        if entry.name not in before and entry.name.startswith("__splink__"):
            shutil.rmtree(entry, ignore_errors=True)
