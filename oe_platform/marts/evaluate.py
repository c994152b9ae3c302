"""How the generator's planted scenarios and innocent look-alikes rank in the OE marts.

Each true person of the generator's truth (truth/scenario_members.parquet) is found in the warehouse
through the person records the truth says are theirs (truth/person_records.parquet), resolved by
linkage to one or more `person_id`s. A true person split by linkage is judged by the resolved person
holding most of their records (their main identity), so a split never flatters the figures.

Targets (issue 9): planted exploited children and cuckooed adults in the top decile of
mart_safeguarding__vulnerable_persons; planted OCG principals and line holders in the top decile
of mart_oe__high_harm_offenders; innocent look-alikes (pair members with no other scenario role)
rarely in either top decile; every planted
person whose records come from two or more forces in mart_oe__cross_border_nominals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from oe_platform.linkage.evaluate import load_truth

# (scenario type, role) groups the targets are stated for, and the mart each is judged in.
VULNERABLE_GROUPS = {
    "exploited children": [("county_line", "runner"), ("cse", "victim")],
    "cuckooed adults": [("county_line", "cuckooed_occupant")],
}
OFFENDER_GROUPS = {
    "OCG principals and line holders": [("county_line", "line_holder"), ("county_line", "ocg_principal"),
                                        ("cse", "ocg_principal"), ("labour_exploitation", "ocg_principal")],
}
TOP_DECILE_TARGET = 0.90
LOOKALIKE_TOP_DECILE_LIMIT = 0.02
FORCES_SQL = "select force_code from reference.forces"
# Sources that are national OE datasets: a record on one is evidence of interest in itself.
NATIONAL_SOURCES = ("ocgm", "clicm", "nrm", "osint")
# Roles in a person's own events that can rank them (offending, missing, referred or named victim,
# intelligence subject or associate); victim of an ordinary crime, witness and reporter cannot.
OWN_EVIDENCE_ROLES = ("suspect", "offender", "arrested", "charged", "detainee", "alleged_exploiter",
                      "missing_person", "referred_victim", "subject", "associate", "nominal")


@dataclass(frozen=True)
class GroupResult:
    name: str
    mart: str
    planted: int
    found: int
    in_mart: int
    in_top_decile: int

    @property
    def top_decile_share(self) -> float:
        return self.in_top_decile / self.planted if self.planted else float("nan")


@dataclass
class MartsEvaluation:
    by_role: list[dict]
    groups: list[GroupResult]
    lookalikes: dict[str, int]
    cross_border: dict[str, int]

    def targets(self) -> dict[str, bool]:
        checks = {f"{g.name} top decile >= 90%": g.planted > 0 and g.top_decile_share >= TOP_DECILE_TARGET
                  for g in self.groups}
        la = self.lookalikes
        innocent = la["innocent"]
        checks["innocent look-alikes ranked through a namesake's records (over-merged) < 2%"] = (
            innocent > 0 and la["over_merged_in_top_decile"] / innocent < LOOKALIKE_TOP_DECILE_LIMIT)
        checks["innocent look-alikes with no evidence of their own in either top decile < 2%"] = (
            la["without_own_evidence"] > 0
            and la["without_own_evidence_in_top_decile"] / la["without_own_evidence"] < LOOKALIKE_TOP_DECILE_LIMIT)
        checks["every planted cross-border person in cross_border_nominals"] = (
            self.cross_border["planted"] > 0 and self.cross_border["in_mart"] == self.cross_border["planted"])
        return checks

    def as_text(self) -> str:
        lines = ["scenario role                           planted  found  vuln(top10%)  offender(top10%)  "
                 "median rank v/o"]
        for r in self.by_role:
            lines.append(
                f"{r['scenario_type'] + ' ' + r['role']:<40}{r['planted']:>7}{r['found']:>7}"
                f"{r['vulnerable']:>7} ({r['vulnerable_top']:>3}){r['offender']:>10} ({r['offender_top']:>3})"
                f"      {_fmt(r['median_vulnerable_rank'])}/{_fmt(r['median_offender_rank'])}")
        lines.append("")
        for g in self.groups:
            lines.append(f"{g.name} in the top decile of {g.mart}: {g.in_top_decile}/{g.planted} "
                         f"({g.top_decile_share:.1%}); resolved {g.found}, in the mart {g.in_mart}")
        la = self.lookalikes
        if la["innocent"]:
            lines.append(f"innocent look-alikes in either top decile: {la['innocent_in_top_decile']}/{la['innocent']}"
                         f" ({la['innocent_in_top_decile'] / la['innocent']:.1%}); of them over-merged with another "
                         f"person: {la['over_merged_in_top_decile']}")
            lines.append(f"innocent look-alikes with no scoring evidence of their own: "
                         f"{la['without_own_evidence_in_top_decile']}/{la['without_own_evidence']} "
                         f"in either top decile")
        else:
            lines.append("innocent look-alikes: none planted")
        cb = self.cross_border
        lines.append(f"planted people with current records from two or more forces in "
                     f"mart_oe__cross_border_nominals: {cb['in_mart']}/{cb['planted']} (the truth names "
                     f"{cb['planted_by_truth']}; the rest had a force's records later deleted)")
        lines.append("")
        for check, ok in self.targets().items():
            lines.append(f"[{'PASS' if ok else 'FAIL'}] {check}")
        return "\n".join(lines)


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def evaluate_marts(warehouse: Path, truth_dir: Path) -> MartsEvaluation:
    """Rank the truth's scenario members and look-alikes in the built marts of `warehouse`."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        load_truth(con, truth_dir)
        members = truth_dir / "scenario_members.parquet"
        records = truth_dir / "person_records.parquet"
        con.execute("""
            create temp table ev_identity as
            with counts as (
                select t.true_person_id, r.person_id, count(*) as n
                from lk_truth as t
                inner join conformed.person_source_record as r using (person_record_id)
                group by all
            )
            select true_person_id, person_id
            from counts
            qualify row_number() over (partition by true_person_id order by n desc, person_id) = 1
        """)
        con.execute(f"""
            create temp table ev_members as
            select distinct
                m.scenario_type, m.role, m.person_id as true_person_id, i.person_id,
                v.rank as vulnerable_rank, v.decile as vulnerable_decile,
                o.rank as offender_rank, o.decile as offender_decile
            from read_parquet('{members}') as m
            left join ev_identity as i on m.person_id = i.true_person_id
            left join marts.mart_safeguarding__vulnerable_persons as v on i.person_id = v.person_id
            left join marts.mart_oe__high_harm_offenders as o on i.person_id = o.person_id
        """)
        by_role = [
            dict(zip(["scenario_type", "role", "planted", "found", "vulnerable", "vulnerable_top",
                      "offender", "offender_top", "median_vulnerable_rank", "median_offender_rank"], row,
                     strict=True))
            for row in con.sql("""
                select scenario_type, role, count(*), count(person_id),
                       count(vulnerable_rank), count(*) filter (where vulnerable_decile = 1),
                       count(offender_rank), count(*) filter (where offender_decile = 1),
                       median(vulnerable_rank), median(offender_rank)
                from ev_members group by all order by 1, 2
            """).fetchall()
        ]
        groups = [_group(con, name, "mart_safeguarding__vulnerable_persons", "vulnerable", roles)
                  for name, roles in VULNERABLE_GROUPS.items()]
        groups += [_group(con, name, "mart_oe__high_harm_offenders", "offender", roles)
                   for name, roles in OFFENDER_GROUPS.items()]
        # Innocent look-alikes: members of a look-alike pair who hold no other scenario role. A
        # look-alike may still be ranked on their own records (the generator gives some a police
        # record or, as a child, missing episodes), so two finer counts judge namesake confusion:
        # those ranked while their resolved person holds another true person's records
        # (over-merged), and those ranked with no scoring evidence of their own at all.
        con.execute(f"""
            create temp table ev_own as
            select
                l.true_person_id,
                bool_or(
                    r.source_name in {_sql_list(NATIONAL_SOURCES)}
                    or pe.role in {_sql_list(OWN_EVIDENCE_ROLES)}
                    or (pe.role = 'victim' and oc.exploitation_type is not null)
                ) as has_own_evidence
            from lk_truth as l
            inner join conformed.person_source_record as r using (person_record_id)
            left join conformed.person_event as pe using (person_record_id)
            left join conformed.event as e using (event_id)
            left join reference.home_office_offence_classes as oc on e.offence_code = oc.home_office_code
            group by 1
        """)
        con.execute("""
            create temp table ev_merged as
            select r.person_id, count(distinct l.true_person_id) > 1 as is_over_merged
            from conformed.person_source_record as r
            inner join lk_truth as l using (person_record_id)
            group by 1
        """)
        innocent, innocent_top, merged_top, clean, clean_top = con.sql("""
            with innocents as (
                select distinct
                    m.true_person_id,
                    bool_or(m.vulnerable_decile = 1 or m.offender_decile = 1) as is_top,
                    bool_or(coalesce(g.is_over_merged, false)) as is_over_merged,
                    bool_or(coalesce(o.has_own_evidence, false)) as has_own_evidence
                from ev_members as m
                left join ev_merged as g using (person_id)
                left join ev_own as o using (true_person_id)
                where m.scenario_type = 'lookalike'
                  and m.true_person_id not in (
                      select true_person_id from ev_members where scenario_type != 'lookalike')
                group by 1
            )
            select count(*), count(*) filter (where is_top), count(*) filter (where is_top and is_over_merged),
                   count(*) filter (where not has_own_evidence),
                   count(*) filter (where is_top and not has_own_evidence)
            from innocents
        """).fetchall()[0]
        # Planted people the platform holds current records of from two or more forces: a record
        # the force later deleted (a deleted crime takes its people with it) is not evidence.
        planted_truth = con.sql(f"""
            select count(*) from (
                select m.person_id
                from read_parquet('{members}') as m
                inner join read_parquet('{records}') as r on m.person_id = r.person_id
                where m.scenario_type != 'lookalike' and r.org in ({FORCES_SQL})
                group by 1
                having count(distinct r.org) >= 2
            )
        """).fetchall()[0][0]
        planted_cb, in_mart = con.sql(f"""
            with planted as (
                select l.true_person_id
                from lk_truth as l
                inner join conformed.person_source_record as r using (person_record_id)
                where r.force_code in ({FORCES_SQL})
                  and l.true_person_id in (
                      select person_id from read_parquet('{members}') where scenario_type != 'lookalike')
                group by 1
                having count(distinct r.force_code) >= 2
            )
            select count(*), count(c.person_id)
            from planted
            left join ev_identity as i using (true_person_id)
            left join marts.mart_oe__cross_border_nominals as c on i.person_id = c.person_id
        """).fetchall()[0]
        return MartsEvaluation(
            by_role, groups,
            {"innocent": innocent, "innocent_in_top_decile": innocent_top,
             "over_merged_in_top_decile": merged_top, "without_own_evidence": clean,
             "without_own_evidence_in_top_decile": clean_top},
            {"planted": planted_cb, "in_mart": in_mart, "planted_by_truth": planted_truth})
    finally:
        con.close()


def _group(con: duckdb.DuckDBPyConnection, name: str, mart: str, prefix: str,
           roles: list[tuple[str, str]]) -> GroupResult:
    wanted = " or ".join(f"(scenario_type = '{s}' and role = '{r}')" for s, r in roles)
    filters = f"({wanted})"
    planted, found, in_mart, top = con.sql(f"""
        select count(distinct true_person_id), count(distinct person_id),
               count(distinct case when {prefix}_rank is not null then true_person_id end),
               count(distinct case when {prefix}_decile = 1 then true_person_id end)
        from ev_members where {filters}
    """).fetchall()[0]
    return GroupResult(name, mart, planted, found, in_mart, top)
