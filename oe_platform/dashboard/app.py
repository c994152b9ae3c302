"""OE dashboard (Streamlit). Started by `oe dashboard`; reads only <lake>/serving/*.duckdb.

Views (sidebar, or ?view= in the address): strategic (monthly by force, suppression shown),
high_harm, vulnerable, county_lines. A view whose mart is not in any serving file says so."""

from __future__ import annotations

import altair as alt
import streamlit as st

from oe_platform.config import load_settings
from oe_platform.dashboard import data

VIEWS = {
    "strategic": "Strategic: monthly by force",
    "high_harm": "High-harm offenders",
    "vulnerable": "Vulnerable persons",
    "county_lines": "County lines",
}


def provenance(served: data.ServedMart) -> None:
    st.caption(
        f"{served.mart} v{served.version} · {served.rows} rows · serving file {served.path.name} "
        f"({served.audience} audience) · published {served.built_at} · run {served.run_id or 'cli'}"
    )


def missing(mart: str, serving_dir) -> None:
    st.warning(f"{mart} is not in any serving file under {serving_dir}: run the pipeline (oe run) or oe publish.")


def strategic_view(served: data.ServedMart) -> None:
    cells = data.strategic_monthly(served)
    forces = sorted(cells["force_name"].unique())
    chosen = st.multiselect("Forces", forces, default=forces)
    cells = cells[cells["force_name"].isin(chosen)]
    by_type = cells[~cells["is_total"]]
    shown = by_type[~by_type["is_suppressed"]]
    withheld = by_type[by_type["is_suppressed"]]
    totals = cells[cells["is_total"] & ~cells["is_suppressed"]]
    a, b, c, d = st.columns(4)
    a.metric("Events (published cells)", f"{int(shown['event_count'].sum()):,}")
    b.metric("Events (published force-month totals)", f"{int(totals['event_count'].sum()):,}")
    c.metric("Crime harm, days (published cells)", f"{shown['harm_days'].sum():,.0f}")
    d.metric("Withheld cells", f"{len(withheld)} of {len(by_type)}")

    st.subheader("Events by month and force")
    chart = (
        alt.Chart(shown)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month_start):O", title="Month"),
            y=alt.Y("sum(event_count):Q", title="Events (published cells)"),
            color=alt.Color("force_name:N", title="Force"),
            tooltip=["force_name", "event_type", "month_start", "event_count"],
        )
    )
    st.altair_chart(chart, use_container_width=True)

    st.subheader("Cells withheld (small-number suppression)")
    reasons = withheld.assign(reason=withheld["suppression_reason"].fillna("suppressed"))
    st.altair_chart(
        alt.Chart(reasons).mark_bar().encode(
            x=alt.X("count():Q", title="Withheld cells"),
            y=alt.Y("force_name:N", title="Force"),
            color=alt.Color("reason:N", title="Why", scale=alt.Scale(range=["#b34", "#e9a"])),
        ),
        use_container_width=True,
    )

    st.subheader("Monthly counts by force and event type ('all': the force-month total)")
    table = cells.assign(month=cells["month_start"].astype(str).str[:7]).pivot_table(
        index=["force_name", "event_type"], columns="month", values="shown", aggfunc="first", fill_value="–"
    )
    st.table(table)
    st.caption(
        "withheld (primary): fewer events or people than the suppression threshold; withheld "
        "(secondary): withheld so that a primary cell cannot be worked out from the published total."
    )


def ranked_view(served: data.ServedMart, title: str) -> None:
    limit = st.slider("Show the top", min_value=10, max_value=500, value=50, step=10)
    ranked = data.ranked_list(served, limit)
    st.subheader(f"{title}: top {len(ranked)} by score")
    st.altair_chart(
        alt.Chart(ranked).mark_bar().encode(
            x=alt.X("decile:O", title="Decile (1 = highest)"), y=alt.Y("count():Q", title="People")
        ),
        use_container_width=True,
    )
    first = [c for c in ("rank", "person_id", "score", "decile", "reasons") if c in ranked.columns]
    st.table(ranked[first + [c for c in ranked.columns if c not in first]])


def county_lines_view(served: data.ServedMart) -> None:
    lines = data.county_lines(served)
    st.metric("County lines", len(lines))
    counts = lines.groupby(["exporting_force", "line_status"]).size().reset_index(name="lines")
    st.altair_chart(
        alt.Chart(counts).mark_bar().encode(
            x=alt.X("lines:Q", title="Lines"),
            y=alt.Y("exporting_force:N", title="Exporting force"),
            color=alt.Color("line_status:N", title="Status"),
        ),
        use_container_width=True,
    )
    st.table(lines)


def main() -> None:
    st.set_page_config(page_title="OE dashboard", layout="wide")
    serving_dir = load_settings().serving
    marts = data.served_marts(serving_dir) if serving_dir.exists() else {}
    requested = st.query_params.get("view", "strategic")
    keys = list(VIEWS)
    view = st.sidebar.radio(
        "View", keys, index=keys.index(requested) if requested in keys else 0, format_func=VIEWS.get
    )
    st.query_params["view"] = view
    st.title(VIEWS[view])
    mart = {
        "strategic": data.STRATEGIC_MART,
        "high_harm": data.HIGH_HARM_MART,
        "vulnerable": data.VULNERABLE_MART,
        "county_lines": data.COUNTY_LINES_MART,
    }[view]
    served = marts.get(mart)
    if served is None:
        missing(mart, serving_dir)
        return
    provenance(served)
    if view == "strategic":
        strategic_view(served)
    elif view == "county_lines":
        county_lines_view(served)
    else:
        ranked_view(served, VIEWS[view])


main()
