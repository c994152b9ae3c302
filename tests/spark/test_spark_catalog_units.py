"""The spark target's session settings as the catalogue reader renders them from profiles.yml."""

from __future__ import annotations

from pathlib import Path

import pytest

from oe_platform.config import REPO_ROOT
from oe_platform.spark_catalog import SparkCatalogError, export_relations, profile_session_conf


def test_session_settings_follow_oe_spark_dir_and_master() -> None:
    conf = profile_session_conf(REPO_ROOT, env={"OE_SPARK_DIR": "/data/spark-oe", "OE_SPARK_MASTER": "local[1]"})
    assert conf["spark.master"] == "local[1]"
    assert conf["spark.sql.warehouse.dir"] == "/data/spark-oe/warehouse"
    assert conf["spark.hadoop.javax.jdo.option.ConnectionURL"] == (
        "jdbc:derby:;databaseName=/data/spark-oe/metastore_db;create=true")
    assert "-Dderby.system.home=/data/spark-oe/derby" in conf["spark.driver.extraJavaOptions"]
    assert conf["spark.local.dir"] == "/data/spark-oe/tmp"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert conf["spark.sql.ansi.enabled"] == "false"  # as dbt-spark forces it


def test_session_settings_defaults_stay_out_of_the_working_directory() -> None:
    conf = profile_session_conf(REPO_ROOT, env={})
    assert conf["spark.master"] == "local[2]"
    assert conf["spark.driver.memory"] == "2g"
    for key in ("spark.sql.warehouse.dir", "spark.local.dir"):
        assert conf[key].startswith("/tmp/oe-spark/"), key


def test_a_profile_without_a_default_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "profiles.yml").write_text(
        "p:\n  outputs:\n    spark:\n      type: spark\n      server_side_parameters:\n"
        "        spark.sql.warehouse.dir: \"{{ env_var('OE_SPARK_WAREHOUSE') }}\"\n", encoding="utf-8")
    with pytest.raises(SparkCatalogError, match="OE_SPARK_WAREHOUSE"):
        profile_session_conf(tmp_path, env={})


@pytest.mark.spark  # starts a JVM: with the parity test, in make test-spark
def test_reading_a_table_the_target_does_not_have_fails_naming_it(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OE_SPARK_DIR", str(tmp_path / "spark"))
    monkeypatch.setenv("OE_SPARK_MASTER", "local[1]")
    with pytest.raises(SparkCatalogError, match="conformed.no_such_table"):
        export_relations(["conformed.no_such_table"], tmp_path / "out")
