"""Which marts exist, read from the dbt manifest (target/manifest.json): never a hard-coded list.

A mart is a public dbt model under models/marts/ (private helpers there, int_*, are not marts).
Each version of a versioned model is its own relation
(schema + alias) in the warehouse; the manifest gives its group (the audience), access, version
and the model's latest version, and its columns' contract types, descriptions and PII class."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from oe_platform.config import REPO_ROOT
from oe_platform.governance.pseudonym import WIDE

DBT_MANIFEST = REPO_ROOT / "target" / "manifest.json"
MARTS_LAYER = "marts"
PUBLIC = "public"


class ManifestError(RuntimeError):
    """The dbt manifest is missing or unreadable."""


@dataclass(frozen=True)
class MartColumn:
    name: str
    data_type: str | None
    description: str
    pii: str | None
    pseudonymise: bool = False  # published as a keyed hash (oe_platform/governance/pseudonym.py)


@dataclass(frozen=True)
class MartVersion:
    """One built version of one mart, as the dbt manifest describes it."""

    unique_id: str
    name: str
    version: str
    latest_version: str
    group: str | None
    access: str
    schema: str
    alias: str
    description: str
    columns: list[MartColumn] = field(default_factory=list)
    sharing: str | None = None  # model meta `sharing`: `wide` for a mart shared beyond its own team

    @property
    def is_wide(self) -> bool:
        return self.sharing == WIDE

    @property
    def pseudonymised_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.pseudonymise]

    @property
    def is_latest(self) -> bool:
        return self.version == self.latest_version

    @property
    def gold_relpath(self) -> Path:
        """Where the version is published, relative to the gold directory."""
        return Path(self.name) / f"v{self.version}" / f"{self.name}.parquet"


def _version(value: object) -> str:
    # an unversioned mart is published as version 1
    return "1" if value is None else str(value)


def list_mart_versions(manifest_path: Path = DBT_MANIFEST) -> list[MartVersion]:
    """Every public model version under models/marts/ in the manifest file, by name and version."""
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError as exc:
        raise ManifestError(
            f"{manifest_path}: no dbt manifest; run `oe prepare` (dbt parse) or the pipeline first"
        ) from exc
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{manifest_path}: not valid JSON ({exc}); run `oe prepare` again") from exc
    return mart_versions(manifest)


def mart_versions(manifest: dict) -> list[MartVersion]:
    """Every public model version under models/marts/ in a loaded manifest, by name and version."""
    marts = []
    for unique_id, node in manifest.get("nodes", {}).items():
        fqn = node.get("fqn", [])
        if node.get("resource_type") != "model" or len(fqn) < 3 or fqn[1] != MARTS_LAYER:
            continue
        if node.get("access") != PUBLIC:
            continue
        columns = []
        for name, col in node.get("columns", {}).items():
            meta = col.get("config", {}).get("meta") or col.get("meta") or {}
            columns.append(MartColumn(
                name=name,
                data_type=col.get("data_type"),
                description=(col.get("description") or "").strip(),
                pii=meta.get("pii"),
                pseudonymise=meta.get("pseudonymise") is True,
            ))
        model_meta = node.get("config", {}).get("meta") or node.get("meta") or {}
        marts.append(
            MartVersion(
                unique_id=unique_id,
                name=node["name"],
                version=_version(node.get("version")),
                latest_version=_version(node.get("latest_version") or node.get("version")),
                group=node.get("group"),
                access=node.get("access") or "protected",
                schema=node["schema"],
                alias=node.get("alias") or node["name"],
                description=(node.get("description") or "").strip(),
                columns=columns,
                sharing=model_meta.get("sharing"),
            )
        )
    return sorted(marts, key=lambda m: (m.name, m.version))
