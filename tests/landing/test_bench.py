"""The ingest benchmark runs end to end on a small landing zone (the full run is `oe bench ingest`)."""

from click.testing import CliRunner

from oe_platform.bench import bench_command, bench_ingest


def test_bench_ingest_small(tmp_path):
    result = bench_ingest(rows=4000, workdir=tmp_path / "bench")
    assert result.reconciled
    assert result.rows_read >= 3500 and result.rows_per_second > 0
    assert result.rows_rejected > 0  # the dirty files were part of it
    assert not (tmp_path / "bench").exists()  # scratch removed unless --keep


def test_bench_command(tmp_path):
    out = CliRunner().invoke(bench_command, ["ingest", "--rows", "2000", "--workdir", str(tmp_path / "b")])
    assert out.exit_code == 0, out.output
    assert "rows/s" in out.output and "every row accounted for" in out.output
