"""Noise applied to person records, at configurable rates, with every change recorded for the truth.

Rates are the share of person records (first deliveries) that get each kind of noise. Name and
date-of-birth noise belongs to the nominal record (one person reference in one system), so every
record delivered under that reference carries it; postcode and phone noise belongs to each record.
Where a kind applies only to some records (a nickname needs a forename that has one, a day/month swap needs a
day of 12 or less), eligible records are chosen more often so that the overall share still meets
the configured rate whenever enough records are eligible.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from oe_platform.synth import reference as ref


@dataclass(frozen=True)
class NoiseRates:
    """Share of person records that get each kind of noise (0-1)."""

    name_typo: float = 0.10  # a keying error in the forename or surname
    nickname: float = 0.05  # forename recorded as a nickname (Bill for William)
    dob_transposed: float = 0.03  # day and month of the date of birth swapped
    dob_missing: float = 0.10
    postcode_missing: float = 0.15
    name_swap: float = 0.02  # forename and surname swapped
    alias: float = 0.05  # recorded under an alias or a previous surname
    phone_reformatted: float = 0.30  # phone written another way (+44, spaces, brackets, dashes)
    duplicate_ref: float = 0.03  # recorded under a second, duplicate nominal reference in the same force
    correction: float = 0.03  # main record delivered again later with a corrected value
    deletion: float = 0.01  # main record deleted at source (record_action D in a later delivery)
    # Kinds the default profile never produces (rate 0): the heavier keying noise and the
    # census-like sources of `PROFILES`, for measuring linkage beyond the generator's default.
    name_typo_double: float = 0.0  # two keying errors in the forename or the surname
    both_names_typo: float = 0.0  # a keying error in the forename and another in the surname
    forename_initial: float = 0.0  # forename recorded as its initial only
    forename_missing: float = 0.0  # forename left out
    surname_hyphenated: float = 0.0  # a second surname added, hyphenated or double-barrelled
    dob_typo: float = 0.0  # one digit of the date of birth mistyped (a valid date)
    dob_double_typo: float = 0.0  # two digits of the date of birth mistyped
    dob_year_digit: float = 0.0  # the decade or last digit of the year of birth mistyped
    postcode_typo: float = 0.0  # one character of the postcode mistyped (still well formed)
    moved: float = 0.0  # the record holds another address (the person moved; per record)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"noise rate {f.name} must be between 0 and 1, not {value}")

    @classmethod
    def none(cls) -> NoiseRates:
        return cls(**{f.name: 0.0 for f in fields(cls)})

    @classmethod
    def profile(cls, name: str) -> NoiseRates:
        """The rates of a named noise profile (`PROFILES`)."""
        if name not in PROFILES:
            raise ValueError(f"unknown noise profile {name!r}: choose one of {', '.join(PROFILES)}")
        return cls(**PROFILES[name])


# Named noise profiles. `default` is the generator's own; the others are what a partner, another
# force or another country may deliver, for judging linkage on data it was not tuned on.
PROFILES: dict[str, dict[str, float]] = {
    "default": {},
    # heavy keying noise: several errors in one record, names with two errors, dates of birth with
    # one or two mistyped digits, postcodes mistyped, fields missing
    "heavy": {
        "name_typo": 0.30, "name_typo_double": 0.12, "both_names_typo": 0.10, "nickname": 0.05,
        "forename_missing": 0.02, "forename_initial": 0.03,
        "dob_typo": 0.12, "dob_double_typo": 0.04, "dob_year_digit": 0.05, "dob_transposed": 0.05,
        "dob_missing": 0.15, "postcode_typo": 0.15, "postcode_missing": 0.25,
    },
    # census-like administrative sources: nicknames, name changes and double-barrelled surnames,
    # people who moved, day and month swapped or a digit mistyped, initials
    "census": {
        "name_typo": 0.12, "nickname": 0.15, "alias": 0.10, "surname_hyphenated": 0.06,
        "forename_initial": 0.04, "dob_transposed": 0.08, "dob_typo": 0.05, "dob_missing": 0.05,
        "postcode_missing": 0.10, "moved": 0.25,
    },
}


PERSON_NOISE = ("alias", "nickname", "name_swap", "name_typo", "dob_missing", "dob_transposed",
                "postcode_missing", "phone_reformatted", "duplicate_ref", "name_typo_double", "both_names_typo",
                "forename_initial", "forename_missing", "surname_hyphenated", "dob_typo", "dob_double_typo",
                "dob_year_digit", "postcode_typo", "moved")

_KEYBOARD = {
    "a": "qsz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "w", "r": "et",
    "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "x",
}


def typo(word: str, rng: np.random.Generator) -> str:
    """One keying error: a neighbouring key, a dropped, doubled or swapped letter. Never a no-op."""
    if len(word) < 2:
        return word + word[-1:] if word else word
    for _ in range(6):
        kind = int(rng.integers(4))
        i = int(rng.integers(1, len(word)))  # keep the first letter (as most keying errors do)
        if kind == 0:
            ch = word[i].lower()
            options = _KEYBOARD.get(ch, "")
            if not options:
                continue
            new = options[int(rng.integers(len(options)))]
            out = word[:i] + (new.upper() if word[i].isupper() else new) + word[i + 1:]
        elif kind == 1 and len(word) > 3:
            out = word[:i] + word[i + 1:]
        elif kind == 2:
            out = word[:i] + word[i] + word[i:]
        else:
            if i >= len(word) - 1:
                i = len(word) - 2
            if i < 1:
                continue
            out = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if out != word:
            return out
    return word + word[-1]


PHONE_STYLES = (
    lambda n: f"{n[:5]} {n[5:]}",  # 07700 900123
    lambda n: f"+44 {n[1:5]} {n[5:]}",  # +44 7700 900123
    lambda n: f"+44{n[1:]}",  # +447700900123
    lambda n: f"({n[:5]}) {n[5:]}",  # (07700) 900123
    lambda n: f"{n[:5]}-{n[5:8]}-{n[8:]}",  # 07700-900-123
    lambda n: f"0044 {n[1:5]} {n[5:]}",  # 0044 7700 900123
    lambda n: f"44{n[1:]}",  # 447700900123
)


def _choose(rng: np.random.Generator, rate: float, eligible: np.ndarray) -> np.ndarray:
    n = len(eligible)
    if rate <= 0 or n == 0:
        return np.zeros(n, dtype=bool)
    share = eligible.mean()
    p = min(1.0, rate / share) if share > 0 else 0.0
    return eligible & (rng.random(n) < p)


def hashed_uniforms(key: int, slots: np.ndarray, column: int) -> np.ndarray:
    """Uniform numbers in [0, 1) that depend only on ``key``, the slot and the column (splitmix64):
    the same nominal record gets the same draws whichever records, months or runs ask for it."""
    with np.errstate(over="ignore"):
        x = (np.asarray(slots, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
             + np.uint64(key & 0xFFFFFFFFFFFFFFFF) + np.uint64(column) * np.uint64(0xD1B54A32D192ED03))
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


def nickname_share(forenames: np.ndarray) -> float:
    """Share of forenames that have a nickname: how eligible a population is for nickname noise."""
    nick = ref.nicknames()
    return float(np.mean([f in nick for f in forenames])) if len(forenames) else 0.0


def transposable_share(dobs: np.ndarray) -> float:
    """Share of ISO dates of birth whose day and month can be swapped into another valid date."""
    if not len(dobs):
        return 0.0
    day = np.array([int(d[8:10]) for d in dobs])
    month = np.array([int(d[5:7]) for d in dobs])
    return float(np.mean((day <= 12) & (day != month)))


def _pick(u: np.ndarray, rate: float, eligible: np.ndarray, share: float | np.ndarray) -> np.ndarray:
    share = np.asarray(share, dtype=float)
    if rate <= 0 or not (share > 0).any():
        return np.zeros(len(u), dtype=bool)
    p = np.minimum(1.0, rate / np.where(share > 0, share, np.inf))
    return eligible & (u < p)


def apply_nominal_noise(attrs: dict[str, np.ndarray], draws, rates: NoiseRates, extra: dict[str, np.ndarray],
                        shares: dict[str, float]) -> np.ndarray:
    """Noise of the nominal record itself (names and date of birth), applied in place.

    A force system keys a person's name and date of birth once, on the nominal record, and every
    record under that reference carries the same values: ``draws(k)`` gives the k-th uniform number
    of each row's nominal record (the same for every record of one reference), so a keying error,
    a nickname or a missing date of birth stays with the reference. ``shares`` holds the share of
    the population eligible for nickname and day/month noise, so that the configured rates hold.
    Returns the labels per row.
    """
    n = len(next(iter(attrs.values())))
    labels = np.full(n, "", dtype=object)

    def mark(mask: np.ndarray, name: str) -> None:
        labels[mask] = labels[mask] + (name + ";")

    if "forename" in attrs and "surname" in attrs:
        fore, sur = attrs["forename"], attrs["surname"]
        present = (fore != "") & (sur != "")
        chosen = _pick(draws(0), rates.alias, present, 1.0)
        prev = extra["prev_surname"]
        use_prev = chosen & (prev != "")
        sur[use_prev] = prev[use_prev]
        use_alias = chosen & (prev == "")
        fore[use_alias] = extra["alias_forename"][use_alias]
        sur[use_alias] = extra["alias_surname"][use_alias]
        mark(chosen, "alias")

        nick = ref.nicknames()
        eligible = np.array([f in nick for f in fore], dtype=bool)
        share = np.where(extra["sex"] == "F", shares.get("nickname_F", 1.0), shares.get("nickname_M", 1.0))
        chosen = _pick(draws(1), rates.nickname, eligible, share)
        option = draws(2)
        for i in np.flatnonzero(chosen):
            options = nick[fore[i]]
            fore[i] = options[int(option[i] * len(options))]
        mark(chosen, "nickname")

        chosen = _pick(draws(3), rates.name_swap, present, 1.0)
        tmp = fore[chosen].copy()
        fore[chosen] = sur[chosen]
        sur[chosen] = tmp
        mark(chosen, "name_swap")

        chosen = _pick(draws(4), rates.name_typo, present, 1.0)
        which = draws(5) < 0.5
        seeds = draws(6)
        for i in np.flatnonzero(chosen):
            rng = np.random.default_rng(int(seeds[i] * 2**53))
            if which[i]:
                fore[i] = typo(fore[i], rng)
            else:
                sur[i] = typo(sur[i], rng)
        mark(chosen, "name_typo")

        chosen = _pick(draws(40), rates.name_typo_double, present, 1.0)
        which = draws(41) < 0.5
        seeds = draws(42)
        for i in np.flatnonzero(chosen):
            rng = np.random.default_rng(int(seeds[i] * 2**53))
            if which[i]:
                fore[i] = typo(typo(fore[i], rng), rng)
            else:
                sur[i] = typo(typo(sur[i], rng), rng)
        mark(chosen, "name_typo_double")

        chosen = _pick(draws(43), rates.both_names_typo, present, 1.0)
        seeds = draws(44)
        for i in np.flatnonzero(chosen):
            rng = np.random.default_rng(int(seeds[i] * 2**53))
            fore[i] = typo(fore[i], rng)
            sur[i] = typo(sur[i], rng)
        mark(chosen, "both_names_typo")

        chosen = _pick(draws(45), rates.surname_hyphenated, present, 1.0)
        style = draws(46)
        for i in np.flatnonzero(chosen):
            other = extra["alias_surname"][i] or extra["prev_surname"][i]
            if not other or other == sur[i]:
                continue
            sep = "-" if style[i] < 0.6 else " "
            sur[i] = f"{sur[i]}{sep}{other}" if style[i] < 0.3 or style[i] >= 0.6 else f"{other}{sep}{sur[i]}"
        mark(chosen, "surname_hyphenated")

        chosen = _pick(draws(47), rates.forename_initial, present, 1.0)
        fore[chosen] = np.array([f[:1] for f in fore[chosen]], dtype=object)
        mark(chosen, "forename_initial")

        chosen = _pick(draws(48), rates.forename_missing, present, 1.0)
        fore[chosen] = ""
        mark(chosen, "forename_missing")

    if "date_of_birth" in attrs:
        dob = attrs["date_of_birth"]
        present = dob != ""
        chosen = _pick(draws(7), rates.dob_missing, present, 1.0)
        dob[chosen] = ""
        mark(chosen, "dob_missing")
        present = dob != ""
        day = np.array([int(d[8:10]) if d else 0 for d in dob])
        month = np.array([int(d[5:7]) if d else 0 for d in dob])
        eligible = present & (day <= 12) & (day != month)
        chosen = _pick(draws(8), rates.dob_transposed, eligible, shares.get("dob_transposed", 1.0))
        for i in np.flatnonzero(chosen):
            d = dob[i]
            dob[i] = f"{d[:4]}-{d[8:10]}-{d[5:7]}"
        mark(chosen, "dob_transposed")

        for k, kind, errors, positions in ((49, "dob_typo", 1, DOB_DIGITS), (51, "dob_double_typo", 2, DOB_DIGITS),
                                           (53, "dob_year_digit", 1, (2, 3))):
            present = dob != ""
            chosen = _pick(draws(k), getattr(rates, kind), present, 1.0)
            seeds = draws(k + 1)
            for i in np.flatnonzero(chosen):
                rng = np.random.default_rng(int(seeds[i] * 2**53))
                dob[i] = mistype_date(dob[i], rng, errors, positions)
            mark(chosen, kind)
    return labels


DOB_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9)  # the digits' positions in YYYY-MM-DD


def mistype_date(iso: str, rng: np.random.Generator, errors: int, positions: tuple[int, ...]) -> str:
    """``errors`` digits of an ISO date changed to other digits, still a valid date no later than
    today's century (a keying error a form's date check lets through); unchanged if none exists."""
    from datetime import date

    for _ in range(30):
        chars = list(iso)
        for pos in rng.choice(positions, size=min(errors, len(positions)), replace=False):
            digit = chars[int(pos)]
            chars[int(pos)] = str((int(digit) + int(rng.integers(1, 10))) % 10)
        out = "".join(chars)
        try:
            parsed = date.fromisoformat(out)
        except ValueError:
            continue
        if out != iso and 1900 <= parsed.year <= 2025:
            return out
    return iso


_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters allowed in an inward code


def mistype_postcode(postcode: str, rng: np.random.Generator) -> str:
    """One character of a UK postcode's inward code or district number mistyped, still well formed."""
    chars = list(postcode)
    positions = [i for i, c in enumerate(chars) if i > 0 and c.isalnum()
                 and (c.isdigit() or i >= len(chars) - 2)]
    if not positions:
        return postcode
    i = positions[int(rng.integers(len(positions)))]
    if chars[i].isdigit():
        chars[i] = str((int(chars[i]) + int(rng.integers(1, 10))) % 10)
    else:
        options = _POSTCODE_LETTERS.replace(chars[i], "")
        chars[i] = options[int(rng.integers(len(options)))]
    return "".join(chars)


def apply_record_noise(attrs: dict[str, np.ndarray], rng: np.random.Generator, rates: NoiseRates) -> np.ndarray:
    """Noise of one record (a postcode left out, a phone typed another way), applied in place;
    returns the labels per row."""
    n = len(next(iter(attrs.values())))
    labels = np.full(n, "", dtype=object)

    def mark(mask: np.ndarray, name: str) -> None:
        labels[mask] = labels[mask] + (name + ";")

    if "postcode" in attrs:
        pc = attrs["postcode"]
        chosen = _choose(rng, rates.postcode_missing, pc != "")
        pc[chosen] = ""
        mark(chosen, "postcode_missing")

        chosen = _choose(rng, rates.moved, pc != "")
        if chosen.any():  # another record's address: where the person lived before or since
            donors = rng.permutation(np.flatnonzero(pc != ""))
            for i, j in zip(np.flatnonzero(chosen), donors, strict=False):
                if pc[j] == pc[i]:
                    continue
                pc[i] = pc[j]
                if "address" in attrs and attrs["address"][i] != "":
                    attrs["address"][i] = attrs["address"][j]
        mark(chosen, "moved")

        chosen = _choose(rng, rates.postcode_typo, pc != "")
        for i in np.flatnonzero(chosen):
            pc[i] = mistype_postcode(pc[i], rng)
        mark(chosen, "postcode_typo")

    if "phone" in attrs:
        ph = attrs["phone"]
        chosen = _choose(rng, rates.phone_reformatted, ph != "")
        style = rng.integers(0, len(PHONE_STYLES), n)
        for i in np.flatnonzero(chosen):
            ph[i] = PHONE_STYLES[style[i]](ph[i])
        mark(chosen, "phone_reformatted")
    return labels
