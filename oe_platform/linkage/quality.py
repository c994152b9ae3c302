"""Linkage quality: counts, cluster sizes, the match-weight histogram and, where a ground truth is
known, pairwise precision, recall and F1 over person records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

HISTOGRAM_BIN_WIDTH = 2.0
CLUSTER_SIZE_BANDS = [(1, 1), (2, 2), (3, 3), (4, 5), (6, 10), (11, 20), (21, 50), (51, 100), (101, None)]


@dataclass(frozen=True)
class PairwiseAccuracy:
    """Pairwise accuracy over records: a pair of records is predicted when both are in one cluster,
    true when both belong to one true person."""

    records: int
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int

    @property
    def precision(self) -> float:
        return self.true_positive_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def pairwise_accuracy(
    con: duckdb.DuckDBPyConnection, clusters: str, truth: str, keys: str | None = None
) -> PairwiseAccuracy:
    """Accuracy of `clusters` (person_record_id, person_id) against `truth` (person_record_id,
    true_person_id), over the records present in both.

    With `keys` (a table of person_record_id, source_key), pairs of records under one source key are
    left out of every count (true, predicted and true positive pairs alike): what is left are the
    pairs a linkage has to decide on evidence. A record without a key is a key of its own."""
    key = "coalesce(k.source_key, c.person_record_id)" if keys else "c.person_record_id"
    key_join = f"left join {keys} k on k.person_record_id = c.person_record_id" if keys else ""
    row = con.execute(f"""
        with joined as (
            select c.person_id, t.true_person_id, {key} as source_key
            from {clusters} c join {truth} t on t.person_record_id = c.person_record_id
            {key_join}
        ),
        cells as (select count(*) as n from joined group by person_id, true_person_id),
        predicted as (select count(*) as n from joined group by person_id),
        actual as (select count(*) as n from joined group by true_person_id),
        same_key_cells as (select count(*) as n from joined group by person_id, true_person_id, source_key),
        same_key_predicted as (select count(*) as n from joined group by person_id, source_key),
        same_key_actual as (select count(*) as n from joined group by true_person_id, source_key)
        select
            (select count(*) from joined),
            (select coalesce(sum(n * (n - 1) / 2), 0) from actual)
                - (select coalesce(sum(n * (n - 1) / 2), 0) from same_key_actual),
            (select coalesce(sum(n * (n - 1) / 2), 0) from predicted)
                - (select coalesce(sum(n * (n - 1) / 2), 0) from same_key_predicted),
            (select coalesce(sum(n * (n - 1) / 2), 0) from cells)
                - (select coalesce(sum(n * (n - 1) / 2), 0) from same_key_cells)
    """).fetchall()[0]
    return PairwiseAccuracy(*(int(v) for v in row))


def quality_table(
    con: duckdb.DuckDBPyConnection,
    clusters: str,
    pairs: str,
    summary: dict[str, float],
    accuracy: PairwiseAccuracy | None,
) -> pd.DataFrame:
    """The quality report as rows: section (summary, timing, cluster_size, match_weight_histogram,
    accuracy), metric, bin_lower, bin_upper, value."""
    # timings differ from run to run; everything else is a function of the data and the model
    rows: list[dict] = [
        {"section": "timing" if name.endswith("_seconds") else "summary", "metric": name,
         "bin_lower": None, "bin_upper": None, "value": float(value)}
        for name, value in summary.items()
    ]
    sizes = con.execute(f"""
        select cluster_size, count(*) as clusters
        from (select person_id, count(*) as cluster_size from {clusters} group by person_id)
        group by cluster_size
    """).df()
    for low, high in CLUSTER_SIZE_BANDS:
        in_band = sizes[(sizes["cluster_size"] >= low) & ((sizes["cluster_size"] <= high) if high else True)]
        rows.append({
            "section": "cluster_size",
            "metric": f"{low}" if low == high else (f"{low}-{high}" if high else f"{low}+"),
            "bin_lower": float(low), "bin_upper": float(high) if high else None,
            "value": float(in_band["clusters"].sum()),
        })
    histogram = con.execute(f"""
        select {HISTOGRAM_BIN_WIDTH} * floor(match_weight / {HISTOGRAM_BIN_WIDTH}) as low, count(*) as n
        from {pairs} group by 1 order by 1
    """).fetchall()
    for low, n in histogram:
        rows.append({"section": "match_weight_histogram", "metric": "pairs",
                     "bin_lower": float(low), "bin_upper": float(low) + HISTOGRAM_BIN_WIDTH, "value": float(n)})
    if accuracy is not None:
        for name in ("records", "true_pairs", "predicted_pairs", "true_positive_pairs", "precision",
                     "recall", "f1"):
            rows.append({"section": "accuracy", "metric": name, "bin_lower": None, "bin_upper": None,
                         "value": float(getattr(accuracy, name))})
    return pd.DataFrame(rows, columns=["section", "metric", "bin_lower", "bin_upper", "value"])


def write_histogram_chart(quality: pd.DataFrame, html_path: Path) -> None:
    """The match-weight histogram as Splink's chart: a self-contained HTML page (works offline) and
    its Vega-Lite specification beside it (.json)."""
    from splink.internals.charts import MatchWeightsHistogramChart

    bins = quality[quality["section"] == "match_weight_histogram"]
    records = [
        {"splink_score_bin_low": r.bin_lower, "splink_score_bin_high": r.bin_upper, "count_rows": int(r.value)}
        for r in bins.itertuples(index=False)
    ]
    chart = MatchWeightsHistogramChart(records)
    html_path.write_text(chart.to_html(inline=True), encoding="utf-8")
    import json

    html_path.with_suffix(".json").write_text(json.dumps(chart.chart_dict, indent=1, default=float), encoding="utf-8")


def format_report(quality: pd.DataFrame) -> str:
    """The quality report as text (what `oe linkage report` prints)."""
    lines = []
    summary = quality[quality["section"].isin(["summary", "timing"])]
    # the label column as wide as the longest label (prior_probability_two_random_records_match is 42)
    width = max([34, *(len(str(m)) for m in quality["metric"])])
    lines.append("Summary")
    for r in summary.itertuples(index=False):
        value = float(r.value)
        if value.is_integer():
            text = f"{value:,.0f}"
        elif abs(value) < 0.01:
            text = f"{value:.3g}"
        else:
            text = f"{value:,.4f}"
        lines.append(f"  {r.metric:<{width}} {text:>14}")
    accuracy = quality[quality["section"] == "accuracy"]
    if len(accuracy):
        lines.append("Accuracy against the ground truth (pairs of person records)")
        for r in accuracy.itertuples(index=False):
            text = f"{r.value:.5f}" if r.metric in ("precision", "recall", "f1") else f"{r.value:,.0f}"
            lines.append(f"  {r.metric:<{width}} {text:>14}")
    lines.append("Cluster sizes (records per person)")
    for r in quality[quality["section"] == "cluster_size"].itertuples(index=False):
        lines.append(f"  {r.metric:<{width}} {r.value:>14,.0f}")
    histogram = quality[quality["section"] == "match_weight_histogram"]
    if len(histogram):
        lines.append("Match weights of kept pairs")
        top = histogram["value"].max()
        for r in histogram.itertuples(index=False):
            bar = "#" * max(1, round(40 * r.value / top)) if r.value else ""
            lines.append(f"  [{r.bin_lower:>6.1f}, {r.bin_upper:>6.1f}) {r.value:>12,.0f} {bar}")
    return "\n".join(lines)
