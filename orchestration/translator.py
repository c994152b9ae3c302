"""The one place that decides asset keys, groups, owners and metadata for every dbt resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

# dbt sources named "bronze" are the ingest step's Parquet tables: <source>__<entity>.
BRONZE_SOURCE = "bronze"


def bronze_asset_key(source: str, entity: str) -> AssetKey:
    """Key of the bronze table of one landing-contract entity (shared with the ingest assets)."""
    return AssetKey(["bronze", source, entity])


def landing_asset_key(source: str) -> AssetKey:
    return AssetKey(["landing", source])


class OeDbtTranslator(DagsterDbtTranslator):
    """Keys: <layer>/<model name>; bronze sources map onto the ingest assets; groups = dbt groups."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        # dagster-dbt asks for a node's spec once for the node and again for each data test on it, in
        # each of the two dbt asset definitions: about 2,400 calls for 1,000 nodes when the definitions
        # load. A spec depends only on the manifest and the node, so each is built once per manifest
        # (the manifest is kept with its specs, so its id cannot be reused while the entry lives).
        self._specs: dict[int, tuple[Mapping[str, Any], dict[tuple[str, int], AssetSpec]]] = {}

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        held, specs = self._specs.setdefault(id(manifest), (manifest, {}))
        key = (unique_id, id(project))
        if held is manifest and key in specs:
            return specs[key]
        spec = self._build_asset_spec(manifest, unique_id, project)
        if held is manifest:
            specs[key] = spec
        return spec

    def _build_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        resource_type = props["resource_type"]
        if resource_type == "source":
            if props["source_name"] == BRONZE_SOURCE:
                source, _, entity = props["name"].partition("__")
                return spec.replace_attributes(key=bronze_asset_key(source, entity), group_name="bronze")
            return spec.replace_attributes(key=AssetKey([props["source_name"], props["name"]]))
        name = props.get("alias") or props["name"]
        layer = props["fqn"][1] if len(props["fqn"]) > 2 else props.get("schema", "dbt")
        if resource_type == "seed":
            layer = "reference"
        group = props.get("config", {}).get("group") or layer
        return spec.replace_attributes(key=AssetKey([layer, name]), group_name=group)
