"""Deterministic random streams: one numpy generator per purpose, derived from the run's seed.

Each purpose (a name, optionally with integers such as a month index) gets its own stream, so
adding a purpose or generating a longer horizon never shifts the numbers another purpose draws.
Python's hash() is salted per process and is never used.
"""

from __future__ import annotations

import zlib

import numpy as np


def purpose_key(*parts: object) -> list[int]:
    return [zlib.crc32(str(part).encode("utf-8")) for part in parts]


def stream(seed: int, *purpose: object) -> np.random.Generator:
    """A generator for ``purpose`` under ``seed``: the same arguments give the same numbers."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), *purpose_key(*purpose)])))


def sub_seed(seed: int, *purpose: object) -> int:
    """An integer seed for libraries with their own generators (faker)."""
    return int(stream(seed, "sub-seed", *purpose).integers(0, 2**31 - 1))
