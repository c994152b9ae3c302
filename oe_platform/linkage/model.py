"""The committed, versioned linkage models: `linkage/models/person_linkage_v<N>.json` (Splink
settings with trained parameters) and `person_linkage_v<N>.meta.json` (how it was trained)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oe_platform.config import REPO_ROOT
from oe_platform.linkage.spec import prediction_blocking_rules, settings_hash

MODELS_DIR = REPO_ROOT / "linkage" / "models"
MODEL_ENV = "OE_LINKAGE_MODEL"
_MODEL_NAME = re.compile(r"^person_linkage_v(\d+)\.json$")

# The prior never exceeds one match in a thousand random pairs, however small the delivery.
MAX_PRIOR = 1e-3


class ModelError(RuntimeError):
    """No usable committed model (missing, or trained for another specification)."""


@dataclass(frozen=True)
class LinkageModel:
    path: Path
    version: int
    settings: dict[str, Any]
    metadata: dict[str, Any]

    @property
    def expected_matches_per_profile(self) -> float:
        """The trained prior expressed independently of data size: λ × (profiles − 1)."""
        return float(self.metadata["expected_matches_per_profile"])

    def settings_for(self, profiles: int) -> dict[str, Any]:
        """The Splink settings for a run over `profiles` profiles: the trained m and u, and the prior
        rescaled to this data size (λ = expected matches per profile / (profiles − 1))."""
        settings = json.loads(json.dumps(self.settings))
        prior = self.expected_matches_per_profile / max(profiles - 1, 1)
        settings["probability_two_random_records_match"] = min(prior, MAX_PRIOR)
        # blocking is not estimated: a run uses the current rules (spec.prediction_blocking_rules)
        settings["blocking_rules_to_generate_predictions"] = prediction_blocking_rules()
        return settings


def model_path(version: int, directory: Path = MODELS_DIR) -> Path:
    return directory / f"person_linkage_v{version}.json"


def metadata_path(path: Path) -> Path:
    return path.with_name(path.stem + ".meta.json")


def model_versions(directory: Path = MODELS_DIR) -> list[int]:
    if not directory.exists():
        return []
    return sorted(int(m.group(1)) for p in directory.iterdir() if (m := _MODEL_NAME.match(p.name)))


def load_model(path: Path | str | None = None, check_specification: bool = True) -> LinkageModel:
    """The model at `path`, else $OE_LINKAGE_MODEL, else the highest committed version.

    Raises ModelError when there is none, or when it was trained for another specification than
    oe_platform/linkage/spec.py (then `oe linkage train` must be run and the new file committed).
    """
    if path is None and os.environ.get(MODEL_ENV):
        path = os.environ[MODEL_ENV]
    if path is None:
        versions = model_versions()
        if not versions:
            raise ModelError(f"no trained model in {MODELS_DIR}; run `oe linkage train`")
        path = model_path(versions[-1])
    path = Path(path)
    if not path.exists():
        raise ModelError(f"linkage model {path} does not exist")
    meta_file = metadata_path(path)
    if not meta_file.exists():
        raise ModelError(f"linkage model {path} has no metadata file {meta_file.name}")
    settings = json.loads(path.read_text(encoding="utf-8"))
    metadata = json.loads(meta_file.read_text(encoding="utf-8"))
    match = _MODEL_NAME.match(path.name)
    version = int(match.group(1)) if match else int(metadata.get("version", 0))
    if check_specification and metadata.get("settings_hash") != settings_hash():
        raise ModelError(
            f"{path.name} was trained for specification {metadata.get('settings_hash')}, but "
            f"oe_platform/linkage/spec.py is now {settings_hash()}: run `oe linkage train` and commit "
            "the new model"
        )
    return LinkageModel(path=path, version=version, settings=settings, metadata=metadata)
