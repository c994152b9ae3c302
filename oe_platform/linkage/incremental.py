"""Incremental linkage: score only the pairs a new delivery can change, reuse the rest.

A full run scores every blocked pair of profiles. Most of those pairs are the same from one delivery
day to the next: a pair's score is a function of the two profiles' attributes, the model, and the
term frequencies of the names they agree on. So each DuckDB run keeps, under <lake>/linkage/state/:

- profiles-<generation>.parquet: the `scoring_key` of every profile version whose pairs the state
  holds (a hash of every attribute Splink sees, the source key and the population-derived ones
  included: the forename's name set, the rare-name blocking keys; unique per profile version) and
  whether the last run had it (`live`);
- pairs-<generation>.parquet, one file per run since the state was last written whole: the pairs
  that run scored, kept at the scoring floor, by the two scoring keys, with the Bayes factor as log2
  *without* the run's prior and without the term-frequency part of its weight (`base_weight`), the
  gamma (level) columns and the evidence the edge guards read besides the levels
  (clustering.PAIR_EVIDENCE: keying errors between the dates of birth and the names, a function of
  the two profiles alone);
- manifest.json: the fingerprint of what scored them (the model's settings without the prior, the
  Splink and DuckDB versions, the code of the modules that make and score profiles), the files and
  their row counts. The manifest is written last: a file it does not list is not part of the state.

An incremental run prepares the profiles as a full run does, then calls a profile *new* when its
scoring_key is not live in the state; it scores only the blocked pairs with at least one new profile
(the run's blocking rules restricted to a new profile on either side), takes every stored pair of two
unchanged profiles (pairs of profile versions that are gone drop out), re-expresses those under this
run's trained prior and this run's term frequencies (which are recomputed, exactly as a full run
does), and hands the union to the prior, the guards and the ids as a full run would. It then appends
only its own new pairs to the state (a new pairs file and the profile list), unless the state has
gathered too many files or pairs of versions that are gone, or a version came back: then the state is
written whole (compacted) from the run's pairs. See docs/linkage.md, "Incremental linkage", for how
the result can differ from a full relink.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from oe_platform.linkage.clustering import PAIR_EVIDENCE
from oe_platform.linkage.scoring import (
    SCORING_FLOOR_PROBABILITY,
    ScoredPairs,
    identity_term_frequencies,
    score_pairs,
    tf_columns,
)

STATE_DIR = "state"
STATE_FORMAT = 3  # 2: the pairs carry the PAIR_EVIDENCE columns; 3: keyed by scoring key, one pairs file a run
FULL_ENV = "OE_LINKAGE_FULL"
MAX_NEW_SHARE = 0.2
"""Above this share of new (or changed) profiles an incremental run is not worth it: full relink."""

NEW_FLAG = "lk_new"
MANIFEST_FILE = "manifest.json"
MAX_PAIR_FILES = 16
"""A state with this many pairs files is written whole (compacted) by the next run."""
MAX_STALE_SHARE = 0.25
"""Nor may more than this share of the profile versions it holds pairs of be versions that are gone."""

# profile columns that are not attributes Splink compares or blocks on
_NOT_SCORED = ("profile_id", "representative_record_id", "record_count", NEW_FLAG)
# the code a pair's score depends on: a change to any of them invalidates the state
_FINGERPRINT_MODULES = ("records.py", "standardise.py", "scoring.py", "spec.py", "incremental.py")


@dataclass(frozen=True)
class Mode:
    """Which kind of run this is and why."""

    incremental: bool
    reason: str
    new_profiles: int = 0
    unchanged_profiles: int = 0
    may_append: bool = False
    """An incremental run may add its pairs to the state as one more file (see capture_state): the
    state has fewer than MAX_PAIR_FILES pairs files and was written in the same bronze epoch (after
    an erasure the state is written whole, so no key of an erased record outlives the run)."""

    @property
    def name(self) -> str:
        return "incremental" if self.incremental else "full"


def full_forced_by_env() -> bool:
    return os.environ.get(FULL_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def fingerprint(settings: dict[str, Any]) -> str:
    """What a stored pair's score depends on, other than the two profiles and the term frequencies."""
    import splink

    scoring = {k: v for k, v in settings.items() if k != "probability_two_random_records_match"}
    document = {"state_format": STATE_FORMAT, "splink": splink.__version__, "duckdb": duckdb.__version__,
                "settings": scoring, "code": _code_hashes(), "pair_evidence": PAIR_EVIDENCE}
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode("utf-8")).hexdigest()


@functools.cache
def _code_hashes() -> dict[str, str]:
    """The source of the modules a score depends on, as loaded by this process."""
    here = Path(__file__).parent
    return {name: hashlib.sha256((here / name).read_bytes()).hexdigest() for name in _FINGERPRINT_MODULES}


def build_profile_keys(con: duckdb.DuckDBPyConnection) -> None:
    """lk_profile_keys (profile_id, scoring_key) from lk_profiles: the scoring key is a hash of every
    column Splink sees (the source key and the matching attributes among them, so one per profile)."""
    columns = [row[0] for row in con.execute("describe lk_profiles").fetchall() if row[0] not in _NOT_SCORED]
    packed = ", ".join(f'"{c}" := p."{c}"' for c in columns)
    con.execute(f"""
        create or replace temp table lk_profile_keys as
        select p.profile_id, md5(cast(to_json(struct_pack({packed})) as varchar)) as scoring_key
        from lk_profiles p
    """)


@dataclass(frozen=True)
class StateFiles:
    """The files of a state as its manifest lists them."""

    profiles: Path
    pairs: tuple[tuple[Path, int], ...]  # each pairs file and its rows
    generation: int
    epoch: str | None  # the bronze epoch it was written in (oe_platform/staging_state.py)


def state_files(directory: Path) -> StateFiles | None:
    """The files the manifest under `directory` lists; None when there is no readable manifest."""
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
        return StateFiles(directory / manifest["profiles_file"]["file"],
                          tuple((directory / entry["file"], int(entry["rows"])) for entry in manifest["pair_files"]),
                          int(manifest["generation"]), manifest.get("bronze_epoch"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _parquet_rows(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    return con.execute(f"select count(*) from read_parquet('{path}')").fetchall()[0][0]


def load_state(con: duckdb.DuckDBPyConnection, directory: Path, expected_fingerprint: str) -> str | None:
    """Load the state under `directory`: its profile versions into lk_state_profiles, its pairs as the
    view lk_state_pairs over its pairs files (read where they are used, never copied whole). None
    when it is usable, else why not (never raises for a missing, partial, corrupt or foreign state)."""
    manifest_file = directory / MANIFEST_FILE
    if not manifest_file.exists():
        return f"no linkage state at {directory}"
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("manifest is not a JSON object")
    except (OSError, ValueError) as error:
        return f"linkage state unreadable ({manifest_file.name}: {error})"
    if manifest.get("state_format") != STATE_FORMAT:
        return f"linkage state format {manifest.get('state_format')!r}, this code writes {STATE_FORMAT}"
    if manifest.get("fingerprint") != expected_fingerprint:
        return "linkage state was scored with another model, settings or code (fingerprint differs)"
    try:
        entries = [manifest["profiles_file"], *manifest["pair_files"]]
        listed = [(directory / entry["file"], int(entry["rows"])) for entry in entries]
    except (KeyError, TypeError, ValueError):
        return "linkage state unreadable (manifest.json lists no files)"
    try:
        for path, rows in listed:
            if not path.exists():
                return f"linkage state incomplete ({path.name} missing)"
            found = _parquet_rows(con, path)
            if found != rows:
                return f"linkage state inconsistent ({path.name} has {found} rows, the manifest says {rows})"
        profiles, pairs = listed[0][0], [str(path) for path, _ in listed[1:]]
        con.execute(f"create or replace temp table lk_state_profiles as select * from read_parquet('{profiles}')")
        if not pairs:
            return "linkage state incomplete (no pairs file)"
        con.execute(f"create or replace temp view lk_state_pairs as select * from read_parquet({pairs!r})")
        have = {r[0] for r in con.execute("describe lk_state_pairs").fetchall()}
        wanted = {"scoring_key_l", "scoring_key_r", "base_weight", *manifest.get("gamma_columns", []),
                  *PAIR_EVIDENCE}
        if not wanted <= have or not {"scoring_key", "live"} <= {
                r[0] for r in con.execute("describe lk_state_profiles").fetchall()}:
            return "linkage state unreadable (columns missing)"
    except duckdb.Error as error:
        return f"linkage state unreadable ({str(error).splitlines()[0]})"
    return None


def decide(
    con: duckdb.DuckDBPyConnection,
    directory: Path | None,
    settings: dict[str, Any],
    engine: str,
    adapted: bool,
    force_full: bool,
    max_new_share: float,
    epoch: str | None = None,
) -> Mode:
    """Incremental or full, and why. Builds lk_profile_keys; when incremental, marks the new profiles
    (lk_profiles_marked) and leaves the state in lk_state_profiles / lk_state_pairs."""
    if engine != "duckdb":
        return Mode(False, f"engine {engine}: incremental linkage runs on duckdb only")
    build_profile_keys(con)
    if directory is None:
        return Mode(False, "no state directory given")
    if force_full:
        return Mode(False, "full relink requested")
    if full_forced_by_env():
        return Mode(False, f"full relink requested (${FULL_ENV})")
    if adapted:
        return Mode(False, "m and u adapted to this run's records: no earlier score is reusable")
    reason = load_state(con, directory, fingerprint(settings))
    if reason:
        return Mode(False, reason)
    con.execute(f"""
        create or replace temp table lk_profiles_marked as
        select p.*, s.scoring_key is null as {NEW_FLAG}
        from lk_profiles p
        join lk_profile_keys k using (profile_id)
        left join (select scoring_key from lk_state_profiles where live) s using (scoring_key)
        order by p.profile_id
    """)
    new, total = con.execute(f"select count(*) filter (where {NEW_FLAG}), count(*) from lk_profiles_marked"
                             ).fetchall()[0]
    share = new / total if total else 1.0
    if share > max_new_share:
        return Mode(False, f"{new} of {total} profiles new or changed ({share:.1%} > {max_new_share:.0%})",
                    new, total - new)
    files = state_files(directory)
    may_append = files is not None and len(files.pairs) < MAX_PAIR_FILES and files.epoch == epoch
    return Mode(True, f"{new} of {total} profiles new or changed ({share:.1%} <= {max_new_share:.0%})",
                new, total - new, may_append)


PAIR_TOKENS = "lk_pair_tokens"


def score_new_pairs(con: duckdb.DuckDBPyConnection, settings: dict[str, Any]) -> ScoredPairs | None:
    """Score, into lk_pairs, the blocked pairs with at least one new profile of lk_profiles_marked;
    None when there are none.

    The candidates are what the run's blocking rules admit (each with the lower profile id on the
    left, as Splink joins them) with a new profile on either side, found with plain joins: a condition
    on one side is pushed into that side's scan, so each join pairs the new profiles with the
    population, not the population with itself. (Splink 5 also accepts the rules restricted with
    `AND l.lk_new` / `AND r.lk_new` and gives the same pairs, but its one query for 66 rules, each
    excluding the pairs of every earlier one, costs seconds to plan whatever the data.) Splink then
    scores exactly those pairs: each profile carries the ids of its candidate pairs as an array, and
    one exploding blocking rule (`arrays_to_explode`) joins on them.
    """
    rules = [rule["blocking_rule"] for rule in settings["blocking_rules_to_generate_predictions"]]
    joins = [
        f"select l.profile_id as profile_id_l, r.profile_id as profile_id_r "
        f"from lk_profiles_marked l join lk_profiles_marked r on ({rule}) and {side}.{NEW_FLAG} "
        f"where l.profile_id < r.profile_id"
        for rule in rules for side in ("l", "r")
    ]
    con.execute("create or replace temp table lk_candidate_pairs as select distinct * from ("
                + " union all ".join(joins) + ")")
    if not con.execute("select count(*) from lk_candidate_pairs").fetchall()[0][0]:
        return None
    con.execute(f"""
        create or replace temp table lk_profiles_paired as
        with tokens as (
            select profile_id, list(token) as {PAIR_TOKENS}
            from (
                select profile_id_l as profile_id, profile_id_l || '-' || profile_id_r as token
                from lk_candidate_pairs
                union all
                select profile_id_r, profile_id_l || '-' || profile_id_r from lk_candidate_pairs
            )
            group by profile_id
        )
        select p.* exclude ({NEW_FLAG}), coalesce(t.{PAIR_TOKENS}, []) as {PAIR_TOKENS}
        from lk_profiles_marked p left join tokens t using (profile_id)
        order by p.profile_id
    """)
    paired = {**settings, "blocking_rules_to_generate_predictions": [{
        "blocking_rule": f'l."{PAIR_TOKENS}" = r."{PAIR_TOKENS}"', "arrays_to_explode": [PAIR_TOKENS],
        "sql_dialect": "duckdb",
    }]}
    scored = score_pairs(con, paired, table="lk_profiles_paired")
    con.execute("drop table lk_profiles_paired")
    return scored


def gamma_columns(settings: dict[str, Any]) -> list[str]:
    return [f"gamma_{c['output_column_name']}" for c in settings["comparisons"]]


def _tf_levels(settings: dict[str, Any]) -> list[tuple[str, int, str, float, float]]:
    """(gamma column, level value, tf column, weight, minimum u) of each term-frequency-adjusted level."""
    levels = []
    for comparison in settings["comparisons"]:
        non_null = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for position, level in enumerate(non_null):
            column = level.get("tf_adjustment_column")
            weight = float(level.get("tf_adjustment_weight", 1.0))
            if column and weight:
                levels.append((f"gamma_{comparison['output_column_name']}", len(non_null) - 1 - position,
                               column, weight, float(level.get("tf_minimum_u_value") or 0.0)))
    return levels


def build_profile_term_frequencies(con: duckdb.DuckDBPyConnection, settings: dict[str, Any]) -> list[str]:
    """lk_profile_tf (profile_id, tf_<column>…): this run's term frequencies (scoring.py's, over all
    of this run's profiles) of each profile's values. Returns the tf columns."""
    columns = tf_columns(settings)
    joins, selected = [], []
    for i, column in enumerate(columns):
        lookup = identity_term_frequencies(con, "lk_profiles", column)
        joins.append(f'left join {lookup} t{i} on t{i}."{column}" = p."{column}"')
        selected.append(f't{i}."tf_{column}"')
    con.execute(f"""
        create or replace temp table lk_profile_tf as
        select p.profile_id{''.join(', ' + s for s in selected)}
        from lk_profiles p {' '.join(joins)}
    """)
    return columns


def tf_weight_sql(settings: dict[str, Any], pair: str = "p", left: str = "tl", right: str = "tr") -> str:
    """The term-frequency part of a pair's match weight (Splink's formula, in bits): for a pair at a
    tf-adjusted level, weight × (log2 u − log2 max(tf_l, tf_r, minimum u)), else 0. `left` / `right`
    are lk_profile_tf rows of the pair's profiles."""
    terms = ["cast(0 as double)"]
    for gamma, value, column, weight, minimum in _tf_levels(settings):
        u = _level_u(settings, gamma, value)
        tf_l, tf_r = f'{left}."tf_{column}"', f'{right}."tf_{column}"'
        terms.append(
            f"case when {pair}.{gamma} = {value} and coalesce({tf_l}, {tf_r}) is not null then "
            f"{weight} * ({math.log2(u)} - log2(greatest(coalesce({tf_l}, {tf_r}), coalesce({tf_r}, {tf_l}), "
            f"cast({minimum} as double)))) else 0 end"
        )
    return " + ".join(terms)


def _level_u(settings: dict[str, Any], gamma: str, value: int) -> float:
    for comparison in settings["comparisons"]:
        if f"gamma_{comparison['output_column_name']}" != gamma:
            continue
        non_null = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        return float(non_null[len(non_null) - 1 - value]["u_probability"])
    raise KeyError(gamma)


def logit2(p: float) -> float:
    return math.log2(p / (1.0 - p))


def reuse_pairs(con: duckdb.DuckDBPyConnection, settings: dict[str, Any]) -> int:
    """Add to lk_pairs every stored pair of two unchanged profiles, re-expressed under this run's
    trained prior and term frequencies, kept when at or above the scoring floor, with its stored
    PAIR_EVIDENCE (lk_pairs already has those columns: clustering.add_pair_evidence). Returns how many."""
    prior_bits = logit2(settings["probability_two_random_records_match"])
    gammas = gamma_columns(settings)
    floor_bits = logit2(SCORING_FLOOR_PROBABILITY)
    con.execute(f"""
        create or replace temp table lk_pairs_reused as
        with unchanged as (
            select k.profile_id, k.scoring_key
            from lk_profiles_marked m join lk_profile_keys k using (profile_id)
            where not m.{NEW_FLAG}
        ),
        rescored as (
            select
                a.profile_id as profile_id_l,
                b.profile_id as profile_id_r,
                s.base_weight + {prior_bits} + ({tf_weight_sql(settings, 's')}) as match_weight,
                {", ".join(f"s.{g}" for g in gammas)},
                {", ".join(f"s.{e}" for e in PAIR_EVIDENCE)}
            from lk_state_pairs s
            join unchanged a on a.scoring_key = s.scoring_key_l
            join unchanged b on b.scoring_key = s.scoring_key_r
            left join lk_profile_tf tl on tl.profile_id = a.profile_id
            left join lk_profile_tf tr on tr.profile_id = b.profile_id
        )
        select
            profile_id_l, profile_id_r, match_weight,
            1.0 / (1.0 + pow(2.0, -match_weight)) as match_probability,
            {", ".join(gammas)}, {", ".join(PAIR_EVIDENCE)}
        from rescored
        where match_weight >= {floor_bits}
    """)
    reused = con.execute("select count(*) from lk_pairs_reused").fetchall()[0][0]
    columns = ", ".join(["profile_id_l", "profile_id_r", "match_weight", "match_probability", *gammas,
                         *PAIR_EVIDENCE])
    con.execute(f"insert into lk_pairs ({columns}) select {columns} from lk_pairs_reused")
    con.execute("drop table lk_pairs_reused")
    return reused


def capture_state(con: duckdb.DuckDBPyConnection, settings: dict[str, Any], mode: Mode) -> None:
    """What the next run may reuse, from lk_pairs (scored under this run's trained prior, before the
    estimated prior is applied, with the PAIR_EVIDENCE columns): lk_state_pairs_next, the pairs to
    store, and lk_state_profiles_next, the profile versions the stored pairs belong to.

    After an incremental run whose state can take one more file (`_appendable`) that is the run's
    new pairs only (those with a new profile), and the stored profile versions with this run's added
    (`live` says which this run had); otherwise every pair of lk_pairs and this run's profiles: the
    state is then written whole. lk_state_append (one row, `append`) says which."""
    prior_bits = logit2(settings["probability_two_random_records_match"])
    gammas = gamma_columns(settings)
    append = mode.incremental and mode.may_append and _appendable(con)
    if append:
        con.execute("""
            create or replace temp table lk_state_profiles_next as
            select scoring_key, bool_or(live) as live
            from (
                select scoring_key, false as live from lk_state_profiles
                union all
                select scoring_key, true from lk_profile_keys
            )
            group by scoring_key
        """)
        new_only = f"""
            join lk_profiles_marked na on na.profile_id = p.profile_id_l
            join lk_profiles_marked nb on nb.profile_id = p.profile_id_r
            where na.{NEW_FLAG} or nb.{NEW_FLAG}"""
    else:
        con.execute("""
            create or replace temp table lk_state_profiles_next as
            select scoring_key, true as live from lk_profile_keys
        """)
        new_only = ""
    con.execute(f"create or replace temp table lk_state_append as select {append} as append")
    con.execute(f"""
        create or replace temp table lk_state_pairs_next as
        select
            a.scoring_key as scoring_key_l,
            b.scoring_key as scoring_key_r,
            p.match_weight - {prior_bits} - ({tf_weight_sql(settings, 'p')}) as base_weight,
            {", ".join(f"p.{g}" for g in gammas)},
            {", ".join(f"p.{e}" for e in PAIR_EVIDENCE)}
        from lk_pairs p
        join lk_profile_keys a on a.profile_id = p.profile_id_l
        join lk_profile_keys b on b.profile_id = p.profile_id_r
        left join lk_profile_tf tl on tl.profile_id = p.profile_id_l
        left join lk_profile_tf tr on tr.profile_id = p.profile_id_r
        {new_only}
    """)


def _appendable(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this incremental run (Mode.may_append) may add its new pairs to the state as one more
    file: at most MAX_STALE_SHARE of the profile versions it
    holds pairs of are versions this run does not have (their pairs are read and dropped every run
    until the state is written whole), and no new profile of this run is a version the state holds
    pairs of already (a version that went and came back: its old pairs would be stored twice)."""
    # one pass over the stored versions: how many, how many this run still has, and how many of those
    # are new profiles of this run
    stored, live, returned = con.execute(f"""
        select count(*), count(k.profile_id), coalesce(count(*) filter (where m.{NEW_FLAG}), 0)
        from lk_state_profiles s
        left join lk_profile_keys k using (scoring_key)
        left join lk_profiles_marked m using (profile_id)
    """).fetchall()[0]
    return not returned and (stored - live) <= MAX_STALE_SHARE * max(stored, 1)


def write_state(con: duckdb.DuckDBPyConnection, directory: Path, settings: dict[str, Any],
                model_version: int, adaptation: dict[str, Any] | None = None, epoch: str | None = None) -> list[Path]:
    """Write lk_state_*_next under `directory`. Appended (lk_state_append): the pairs as one more
    file and the profile list as a new one, beside the state's files, then the manifest listing them
    (the commit), then the replaced profile list removed. Whole: into a sibling folder first, then
    swapped in. Either way a reader sees the old state, the new one, or none (never half of one).
    The manifest keeps the m and u the pairs were scored with and `adaptation` (how they were
    chosen), for `stored_parameters`."""
    previous = state_files(directory)
    append = previous is not None and con.execute("select append from lk_state_append").fetchall()[0][0]
    generation = previous.generation + 1 if previous else 0
    directory.parent.mkdir(parents=True, exist_ok=True)
    target = directory if append else directory.with_name(f".{directory.name}.tmp")
    old = directory.with_name(f".{directory.name}.old")
    if not append:
        for leftover in (target, old):
            if leftover.exists():
                shutil.rmtree(leftover)
        target.mkdir()
    profiles_file, pairs_file = f"profiles-{generation:04d}.parquet", f"pairs-{generation:04d}.parquet"
    rows = {}
    for table, file_name in (("lk_state_profiles_next", profiles_file), ("lk_state_pairs_next", pairs_file)):
        count = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        if append and file_name == pairs_file and not count:
            continue  # nothing new scored: no file to add
        tmp = target / f".{file_name}.tmp"
        con.execute(f"copy (select * from {table}) to '{tmp}' (format parquet)")
        tmp.replace(target / file_name)
        rows[file_name] = count
    pair_files = [{"file": path.name, "rows": count} for path, count in previous.pairs] if append else []
    if pairs_file in rows:
        pair_files.append({"file": pairs_file, "rows": rows[pairs_file]})
    manifest = {"state_format": STATE_FORMAT, "fingerprint": fingerprint(settings), "model_version": model_version,
                "gamma_columns": gamma_columns(settings), "generation": generation, "bronze_epoch": epoch,
                "profiles_file": {"file": profiles_file, "rows": rows[profiles_file]}, "pair_files": pair_files,
                "scoring_settings": {k: v for k, v in settings.items() if k != PRIOR_KEY},
                "adaptation": adaptation}
    tmp = target / f".{MANIFEST_FILE}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    tmp.replace(target / MANIFEST_FILE)
    if append:
        listed = {profiles_file, MANIFEST_FILE, *(entry["file"] for entry in pair_files)}
        for path in directory.iterdir():  # the replaced profile list, and anything a killed run left
            if path.name not in listed:
                path.unlink()
    else:
        if directory.exists():
            directory.rename(old)
        target.rename(directory)
        if old.exists():
            shutil.rmtree(old)
    return [directory / profiles_file, *([directory / pairs_file] if pairs_file in rows else []),
            directory / MANIFEST_FILE]


PRIOR_KEY = "probability_two_random_records_match"


def stored_parameters(directory: Path | None, settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The settings (m and u) the state under `directory` was scored with, on the prior of `settings`,
    and the adaptation report that chose them; None when there is no readable state, it does not say
    how its m and u were chosen, or they were chosen from other committed settings than `settings`
    (another model, blocking rules or code: the report's base_fingerprint).

    An adapting run keeps the m and u of the run that last relinked everyone while it links
    incrementally: the parameters change only with a full relink, so stored scores stay valid and a
    person's id does not move because a day's records nudged an estimate."""
    if directory is None:
        return None
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    stored, report = manifest.get("scoring_settings"), manifest.get("adaptation")
    if not isinstance(stored, dict) or not isinstance(report, dict) or "comparisons" not in stored:
        return None
    if report.get("base_fingerprint") != fingerprint(settings):  # another model, blocking or code
        return None
    # the stored m and u themselves are checked by decide(): the state's fingerprint is of them
    return {**json.loads(json.dumps(stored)), PRIOR_KEY: settings[PRIOR_KEY]}, report


def remove_state(directory: Path) -> None:
    """Remove the state under `directory` (and any half-written sibling), if there is one."""
    for path in (directory, directory.with_name(f".{directory.name}.tmp"),
                 directory.with_name(f".{directory.name}.old")):
        if path.exists():
            shutil.rmtree(path)
