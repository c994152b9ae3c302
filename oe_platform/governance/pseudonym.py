"""Pseudonymised sharing: the person-level columns of a mart for wide sharing are keyed hashes.

A mart is for wide sharing when its model meta says `sharing: wide` (the strategic marts). In such a
mart every person-level column (classed `meta.pii: direct`, or a person key: a column whose name is
`person_id`, ends in `_person_id` or in `_pseudonym`) must declare `meta.pseudonymise: true`; the
publish step writes it to gold (and so to the serving file, built from gold) as
HMAC-SHA256(key, value), lower-case hex, with the key read from the environment variable
OE_PSEUDONYM_KEY. The warehouse keeps the internal value: the key never reaches dbt (whose
manifest, partial-parse file and run results record env_var values and compiled SQL), the
warehouse or any file the platform writes; it lives only in the publishing process's memory.

Without the key such a mart is not published: publish withholds it, removes any earlier copy and
raises, naming the variable to set. The same key gives the same pseudonym in every publish, so a
recipient can follow a pseudonym from one release to the next; a new key breaks that link (rotate
it to stop recipients linking releases).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass

PSEUDONYM_KEY_ENV = "OE_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16
WIDE = "wide"
PSEUDONYM_FUNCTION = "oe_pseudonym"


class PseudonymKeyError(RuntimeError):
    """No usable pseudonymisation key in the environment."""


class SharingRuleError(RuntimeError):
    """A mart for wide sharing has a person-level column that is not pseudonymised."""


@dataclass(frozen=True)
class SharedColumn:
    name: str
    pii: str | None
    pseudonymise: bool


def is_person_key(name: str) -> bool:
    """A column holding a person's identifier, whatever its PII class."""
    return name == "person_id" or name.endswith("_person_id") or name.endswith("_pseudonym")


def is_person_level(column: SharedColumn) -> bool:
    return column.pii == "direct" or is_person_key(column.name)


def sharing_violations(mart_name: str, columns: list[SharedColumn]) -> list[str]:
    """What breaks the wide-sharing rule in one wide mart: person-level columns not pseudonymised."""
    return [
        f"{mart_name}.{column.name}: a person-level column (pii {column.pii}) in a mart for wide sharing "
        "must declare meta.pseudonymise: true (published as a keyed hash)"
        for column in columns
        if is_person_level(column) and not column.pseudonymise
    ]


def pseudonym_key(environ: dict[str, str] | None = None) -> bytes:
    """The key from OE_PSEUDONYM_KEY; refuses a missing or short one with what to do."""
    value = (os.environ if environ is None else environ).get(PSEUDONYM_KEY_ENV, "")
    if not value:
        raise PseudonymKeyError(
            f"{PSEUDONYM_KEY_ENV} is not set: a mart for wide sharing is published only with its person-level "
            f"columns as keyed hashes. Set {PSEUDONYM_KEY_ENV} to a secret of at least {MIN_KEY_BYTES} bytes "
            "from your secret store (e.g. `export OE_PSEUDONYM_KEY=$(python -c 'import secrets; "
            "print(secrets.token_hex(32))')` for a throw-away run); never commit it"
        )
    key = value.encode()
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(
            f"{PSEUDONYM_KEY_ENV} is {len(key)} bytes: use a secret of at least {MIN_KEY_BYTES} bytes"
        )
    return key


def pseudonymiser(key: bytes) -> Callable[[str | None], str | None]:
    """HMAC-SHA256 of a value's text with the key, hex; null stays null."""

    def pseudonymise(value: str | None) -> str | None:
        if value is None:
            return None
        return hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()

    return pseudonymise


@contextlib.contextmanager
def key_hidden_from_subprocesses() -> Iterator[None]:
    """Remove OE_PSEUDONYM_KEY from this process's environment while a subprocess (dbt) is started,
    then put it back: dbt records the env vars it reads in its artefacts, so it must never have it."""
    saved = os.environ.pop(PSEUDONYM_KEY_ENV, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[PSEUDONYM_KEY_ENV] = saved


def ensure_ephemeral_key(environ: MutableMapping[str, str] = os.environ) -> bool:
    """For runs on synthetic data only (oe demo, oe marts evaluate, oe bench): when OE_PSEUDONYM_KEY is
    not set, put a random key in `environ` for this process and its children, written nowhere, so the
    wide-sharing marts are published pseudonymised and their pseudonyms link to no other run.
    Returns True when it made one. `oe run` and `oe publish` never call this: they refuse instead."""
    if environ.get(PSEUDONYM_KEY_ENV):
        return False
    environ[PSEUDONYM_KEY_ENV] = secrets.token_hex(32)
    return True
