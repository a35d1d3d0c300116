"""Probabilistic record linkage for people as the coast's agencies record them.

A Fellegi–Sunter model: each pair of records is compared field by field, each comparison
falls in one of a few levels (names the same after normalisation, the same by sound,
close, different; dates of birth the same, one typing slip apart, compatible with an age
estimate, different; ...), and each level carries a weight `log2(m / u)`, where `m` is how
often true matches fall in it and `u` how often non-matches do. The weights add up to the
evidence for the pair; with the share of matches among the compared pairs (`lambda`) that
gives the probability that the two records are one person.

`m`, `u` and `lambda` are estimated from the data by expectation–maximisation (EM) over
the pairs blocking produced, started from priors that say what the levels mean (so the
model cannot swap "match" and "non-match") and smoothed by them. Level 0 of every field is
"not known on one side": it weighs nothing.

Blocking keeps recall high without comparing all pairs: two records are compared when they
share a blocking key (the sounds of both names in either order; the date of birth with an
initial; an identifier; a phone; a name's sound with the birth year, the postcode or the
village). A key shared by a very large group compares each record with its `window`
nearest neighbours in the group's order, so no group grows quadratically. Pairs stream
through in chunks, compared with rapidfuzz's vectorised scorers, and wait on disk for the
second pass, so memory stays bounded whatever the size of the input.

The module knows no Django model: `kinga.people.match_csv` feeds it CSV rows, and the
people services feed it persons.
"""

from __future__ import annotations

import datetime
import math
import multiprocessing
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from kinga.lib.names import name_lineage, phonetic_key
from kinga.lib.phones import normalise_phone

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
LevelArray = npt.NDArray[np.int8]

# The age spread a bare age estimate carries, in years either side, when none is given.
DEFAULT_AGE_UNCERTAINTY = 2.0
# Records whose columns are filled at once while preparing a stream of records.
PREPARE_BLOCK = 65_536
# Pairs compared at once: bounds memory (each pair costs a few hundred bytes while compared).
CHUNK_PAIRS = 400_000
# In a blocking group larger than this, each record meets only this many neighbours.
DEFAULT_WINDOW = 40
# Random pairs that start the estimate of `u`.
U_SAMPLE_PAIRS = 200_000
EM_ITERATIONS = 60
# The priors weigh as much as this share of the compared pairs in EM: enough to keep the
# model's shape (same name, different birth date and place is not a match, however many
# namesakes blocking brings together), little enough for the data to set the weights.
PRIOR_WEIGHT = 0.5
# Fewer compared pairs than this say too little for EM: the priors' model scores them.
MIN_PAIRS_FOR_ESTIMATE = 2_000


@dataclass(frozen=True)
class MatchRecord:
    """One record of a person, as any source holds it; every field but the id may be empty."""

    record_id: str
    given_name: str = ""
    family_name: str = ""
    other_names: str = ""
    aliases: tuple[str, ...] = ()
    sex: str = ""
    # `YYYYMMDD`, as written: a date with a typing slip in it ("19450493") is still evidence.
    date_of_birth: str = ""
    # An age in years instead of a date, as estimated on `age_on` (today when None).
    age_years: float | None = None
    age_uncertainty: float = DEFAULT_AGE_UNCERTAINTY
    age_on: datetime.date | None = None
    phones: tuple[str, ...] = ()
    national_id: str = ""
    address: str = ""
    village: str = ""
    ward: str = ""
    sub_county: str = ""
    county: str = ""
    postcode: str = ""
    source: int = 0


@dataclass(frozen=True)
class Comparison:
    """A field's comparison: its levels' labels (level 0 is "not known") and priors.

    `m_prior` is how often the records of one person fall in each level, `u_prior` how
    often two different people's do: the model before any data, and the pull EM's
    estimates are smoothed towards.
    """

    name: str
    labels: tuple[str, ...]
    m_prior: tuple[float, ...]
    u_prior: tuple[float, ...]

    @property
    def size(self) -> int:
        return len(self.labels)


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "given_name",
        ("not known", "different", "alike", "close", "same"),
        (0.0, 0.01, 0.04, 0.15, 0.80),
        (0.0, 0.93, 0.03, 0.02, 0.02),
    ),
    Comparison(
        "family_name",
        ("not known", "different", "alike", "close", "same"),
        (0.0, 0.03, 0.04, 0.13, 0.80),
        (0.0, 0.93, 0.03, 0.02, 0.02),
    ),
    Comparison(
        "date_of_birth",
        ("not known", "different", "age compatible", "one slip apart", "same"),
        (0.0, 0.03, 0.15, 0.12, 0.70),
        (0.0, 0.90, 0.08, 0.015, 0.005),
    ),
    Comparison("sex", ("not known", "different", "same"), (0.0, 0.02, 0.98), (0.0, 0.5, 0.5)),
    Comparison("phone", ("not known", "none shared", "shared"), (0.0, 0.6, 0.4), (0.0, 0.99, 0.01)),
    Comparison(
        "national_id",
        ("not known", "different", "one slip apart", "same"),
        (0.0, 0.05, 0.10, 0.85),
        (0.0, 0.99, 0.005, 0.005),
    ),
    Comparison(
        "address",
        ("not known", "different", "alike", "same"),
        (0.0, 0.1, 0.2, 0.7),
        (0.0, 0.97, 0.02, 0.01),
    ),
    Comparison(
        "postcode",
        ("not known", "different", "one slip apart", "same"),
        (0.0, 0.1, 0.1, 0.8),
        (0.0, 0.97, 0.02, 0.01),
    ),
    Comparison(
        "place",
        (
            "not known",
            "elsewhere",
            "same county",
            "same sub-county",
            "same ward",
            "same village or estate",
        ),
        (0.0, 0.05, 0.10, 0.10, 0.15, 0.60),
        (0.0, 0.60, 0.25, 0.08, 0.05, 0.02),
    ),
)
COMPARISON_INDEX = {comparison.name: index for index, comparison in enumerate(COMPARISONS)}
_RADIX = np.array([comparison.size for comparison in COMPARISONS], dtype=np.int64)
_STRIDES = np.concatenate(([1], np.cumprod(_RADIX[:-1]))).astype(np.int64)


def pattern_code(levels: LevelArray) -> IntArray:
    """Return one integer per pair for its levels (rows: pairs, columns: comparisons)."""
    return np.asarray((levels.astype(np.int64) * _STRIDES).sum(axis=1), dtype=np.int64)


def pattern_levels(codes: IntArray) -> LevelArray:
    """Return the levels of each pattern code (the inverse of `pattern_code`)."""
    codes = np.asarray(codes, dtype=np.int64)
    return ((codes[:, None] // _STRIDES) % _RADIX).astype(np.int8)


# --- preparing records -----------------------------------------------------------------


class _Codes:
    """Give each distinct value a small integer; the empty value is -1."""

    def __init__(self) -> None:
        self.table: dict[str, int] = {}

    def __call__(self, value: str) -> int:
        if not value:
            return -1
        code = self.table.get(value)
        if code is None:
            code = self.table[value] = len(self.table)
        return code


@dataclass
class Prepared:
    """Records as columns: strings for the scorers, integer codes for equality and keys."""

    count: int
    record_ids: list[str]
    source: IntArray
    given: list[str]
    given_code: IntArray
    given_sound: IntArray
    family: list[str]
    family_code: IntArray
    family_sound: IntArray
    father: list[str]
    others: list[frozenset[str]]
    sex: IntArray
    dob: list[str]
    dob_code: IntArray
    birth_year: FloatArray
    year_spread: FloatArray
    phone: IntArray
    extra_phones: list[frozenset[str]]
    national_id: list[str]
    national_id_code: IntArray
    address: list[str]
    village: list[str]
    village_code: IntArray
    postcode: list[str]
    postcode_code: IntArray
    ward: IntArray
    sub_county: IntArray
    county: IntArray
    given_initial: IntArray
    family_initial: IntArray
    name_pair: IntArray
    address_start: IntArray
    keys: list[npt.NDArray[np.int64]] = field(default_factory=list)
    # The same strings as arrays (fancy indexing by pair), and which are known.
    given_text: npt.NDArray[np.object_] = field(default_factory=lambda: _objects([]))
    family_text: npt.NDArray[np.object_] = field(default_factory=lambda: _objects([]))
    father_text: npt.NDArray[np.object_] = field(default_factory=lambda: _objects([]))
    dob_text: npt.NDArray[np.object_] = field(default_factory=lambda: _objects([]))
    national_id_text: npt.NDArray[np.object_] = field(default_factory=lambda: _objects([]))
    address_text: npt.NDArray[np.object_] = field(default_factory=lambda: _objects([]))
    village_text: npt.NDArray[np.object_] = field(default_factory=lambda: _objects([]))
    postcode_text: npt.NDArray[np.object_] = field(default_factory=lambda: _objects([]))
    dob_number: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    father_known: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    address_known: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    has_others: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    has_extra_phones: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def arrays(self) -> None:
        """Fill the array forms of the string columns."""
        self.given_text = _objects(self.given)
        self.family_text = _objects(self.family)
        self.father_text = _objects(self.father)
        self.dob_text = _objects(self.dob)
        self.national_id_text = _objects(self.national_id)
        self.address_text = _objects(self.address)
        self.village_text = _objects(self.village)
        self.postcode_text = _objects(self.postcode)
        self.dob_number = np.array([int(d) if d else -1 for d in self.dob], dtype=np.int64)
        self.father_known = np.array([bool(f) for f in self.father], dtype=bool)
        self.address_known = np.array([bool(a) for a in self.address], dtype=bool)
        self.has_others = np.array([bool(o) for o in self.others], dtype=bool)
        self.has_extra_phones = np.array([bool(x) for x in self.extra_phones], dtype=bool)


def _objects(values: list[str]) -> npt.NDArray[np.object_]:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _clean(text: str) -> str:
    return " ".join(text.casefold().split())


def _compact(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def comparable_phone(text: str) -> str:
    """Return a phone in E.164 when it reads as one (`07..`, `2547..`, `+2547..` alike),
    else its digits, which still compare."""
    text = text.strip()
    if not text:
        return ""
    digits = "".join(ch for ch in text if ch.isdigit())
    # The common Kenyan mobile forms, without the full parser: 07.., 01.., 2547.., +2547...
    if len(digits) == 10 and digits[0] == "0" and digits[1] in "17":
        return "+254" + digits[1:]
    if len(digits) == 12 and digits.startswith(("2547", "2541")):
        return "+" + digits
    try:
        return normalise_phone(text)
    except ValueError:
        return "".join(ch for ch in text if ch.isdigit())


def prepare(records: Iterable[MatchRecord], *, today: datetime.date | None = None) -> Prepared:
    """Normalise the records once: names by the privacy core's rules, the rest compacted.

    The records are read once, in order, and may come from a generator: each is reduced to
    its columns (integer codes and shared normalised strings) as it arrives, so the input
    never has to sit in memory as records. Names, phones and places repeat across a
    population, so each distinct value is worked out once and remembered for the run.
    """
    today = today or datetime.date.today()  # noqa: DTZ011 - a calendar date, no zone needed
    name_cache: dict[
        tuple[str, str, str, tuple[str, ...]], tuple[str, str, str, frozenset[str], str, str]
    ] = {}
    lineage_cache: dict[str, tuple[list[str], list[str]]] = {}
    sound_cache: dict[str, str] = {}
    phone_cache: dict[str, str] = {}
    clean_cache: dict[str, str] = {}
    compact_cache: dict[str, str] = {}

    def lineage(text: str) -> tuple[list[str], list[str]]:
        found = lineage_cache.get(text)
        if found is None:
            found = lineage_cache[text] = name_lineage(text)
        return found

    def sound(part: str) -> str:
        found = sound_cache.get(part)
        if found is None:
            found = sound_cache[part] = phonetic_key(part) if part else ""
        return found

    def names_of(record: MatchRecord) -> tuple[str, str, str, frozenset[str], str, str]:
        key = (record.given_name, record.family_name, record.other_names, record.aliases)
        found = name_cache.get(key)
        if found is not None:
            return found
        given_own, given_father = lineage(record.given_name)
        family_own, family_father = lineage(record.family_name)
        father_parts = family_father or given_father
        first = given_own[0] if given_own else ""
        family_text = " ".join(family_own)
        father_text = " ".join(father_parts)
        if not family_text and father_text:
            family_text, father_text = father_text, ""
        if not first and len(family_own) > 1:
            first = family_own[0]
        rest = set(given_own[1:])
        for text in (record.other_names, *record.aliases):
            own, fathers = lineage(text)
            rest.update(own)
            rest.update(fathers)
        family_first = family_own[0] if family_own else family_text.split(" ")[0]
        found = name_cache[key] = (
            first,
            family_text,
            father_text,
            frozenset(rest),
            sound(first),
            sound(family_first),
        )
        return found

    def cleaned(text: str) -> str:
        found = clean_cache.get(text)
        if found is None:
            found = clean_cache[text] = _clean(text)
        return found

    def compacted(text: str) -> str:
        found = compact_cache.get(text)
        if found is None:
            found = compact_cache[text] = _compact(text)
        return found

    def phone_of(text: str) -> str:
        found = phone_cache.get(text)
        if found is None:
            found = phone_cache[text] = comparable_phone(text)
        return found

    names, sounds, dobs, phones, ids, villages, postcodes, places, pairs = (
        _Codes(),
        _Codes(),
        _Codes(),
        _Codes(),
        _Codes(),
        _Codes(),
        _Codes(),
        _Codes(),
        _Codes(),
    )
    given: list[str] = []
    family: list[str] = []
    father: list[str] = []
    others: list[frozenset[str]] = []
    dob: list[str] = []
    extra_phones: list[frozenset[str]] = []
    national_id: list[str] = []
    address: list[str] = []
    village: list[str] = []
    postcode: list[str] = []
    record_ids: list[str] = []
    # Columns fill block by block, so a stream of unknown length needs no list of records.
    column_blocks: list[IntArray] = []
    year_blocks: list[FloatArray] = []
    spread_blocks: list[FloatArray] = []
    columns = np.full((18, 0), -1, dtype=np.int64)
    birth_year = np.full(0, np.nan)
    year_spread = np.zeros(0)
    row = 0
    no_phones: frozenset[str] = frozenset()
    for record in records:
        if row == columns.shape[1]:
            columns = np.full((18, PREPARE_BLOCK), -1, dtype=np.int64)
            birth_year = np.full(PREPARE_BLOCK, np.nan)
            year_spread = np.zeros(PREPARE_BLOCK)
            column_blocks.append(columns)
            year_blocks.append(birth_year)
            spread_blocks.append(year_spread)
            row = 0
        record_ids.append(record.record_id)
        first, family_text, father_text, rest, first_sound, family_sound = names_of(record)
        given.append(first)
        family.append(family_text)
        father.append(father_text)
        others.append(rest)
        column = columns[:, row]
        column[0] = record.source
        column[1] = names(first)
        column[2] = sounds(first_sound)
        column[3] = names(family_text)
        column[4] = sounds(family_sound)
        if first:
            column[14] = ord(first[0])
        if family_text:
            column[15] = ord(family_text[0])
        if first_sound and family_sound:
            both = (first_sound, family_sound)
            column[16] = pairs(" ".join(sorted(both)))
        sex = record.sex[:1].casefold() if record.sex else ""
        if sex in ("f", "m"):
            column[5] = ord(sex)
        text = record.date_of_birth
        if text:
            birth_year[row] = int(text[:4])
            column[6] = dobs(text)
        elif record.age_years is not None:
            on = record.age_on or today
            birth_year[row] = on.year - record.age_years - 0.5
            year_spread[row] = record.age_uncertainty + 0.5
        dob.append(text)
        if record.phones:
            phone_list = sorted({phone_of(phone) for phone in record.phones if phone.strip()})
            if phone_list:
                column[7] = phones(phone_list[0])
            extra_phones.append(frozenset(phone_list) if len(phone_list) > 1 else no_phones)
        else:
            extra_phones.append(no_phones)
        ident = compacted(record.national_id) if record.national_id else ""
        national_id.append(ident)
        column[8] = ids(ident)
        street = cleaned(record.address) if record.address else ""
        address.append(street)
        if street:
            column[17] = villages("#" + street.split(" ")[0])
        place = cleaned(record.village) if record.village else ""
        village.append(place)
        column[9] = villages(place)
        code = compacted(record.postcode) if record.postcode else ""
        postcode.append(code)
        column[10] = postcodes(code)
        county = cleaned(record.county) if record.county else ""
        column[13] = places(county)
        if record.sub_county:
            sub_county = cleaned(record.sub_county)
            column[12] = places(f"{county}/{sub_county}")
            if record.ward:
                column[11] = places(f"{county}/{sub_county}/{cleaned(record.ward)}")
        elif record.ward:
            column[11] = places(f"{county}//{cleaned(record.ward)}")
        row += 1
    count = len(record_ids)
    if column_blocks:
        column_blocks[-1] = column_blocks[-1][:, :row]
        year_blocks[-1] = year_blocks[-1][:row]
        spread_blocks[-1] = spread_blocks[-1][:row]
        columns = np.concatenate(column_blocks, axis=1)
        birth_year = np.concatenate(year_blocks)
        year_spread = np.concatenate(spread_blocks)
    del column_blocks, year_blocks, spread_blocks
    prepared = Prepared(
        count=count,
        record_ids=record_ids,
        given=given,
        family=family,
        father=father,
        others=others,
        dob=dob,
        birth_year=birth_year,
        year_spread=year_spread,
        extra_phones=extra_phones,
        national_id=national_id,
        address=address,
        village=village,
        postcode=postcode,
        source=columns[0],
        given_code=columns[1],
        given_sound=columns[2],
        family_code=columns[3],
        family_sound=columns[4],
        sex=columns[5],
        dob_code=columns[6],
        phone=columns[7],
        national_id_code=columns[8],
        village_code=columns[9],
        postcode_code=columns[10],
        ward=columns[11],
        sub_county=columns[12],
        county=columns[13],
        given_initial=columns[14],
        family_initial=columns[15],
        name_pair=columns[16],
        address_start=columns[17],
    )
    prepared.keys = blocking_keys(prepared)
    prepared.arrays()
    return prepared


# --- blocking --------------------------------------------------------------------------


def _combine(*columns: IntArray) -> IntArray:
    """Return one key per record from several codes; -1 when any is missing."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    missing = np.zeros(len(columns[0]), dtype=bool)
    for column in columns:
        missing |= column < 0
        key = key * np.int64(1_000_003) + column
    key[missing] = -1
    return key


def blocking_keys(prepared: Prepared) -> list[IntArray]:
    """Return the blocking keys, one matrix per rule (rows: records), in the order applied.

    A rule with two columns pairs records sharing a value in any column of either: the
    sounds of the given and the family name each with the birth year, so given and family
    names written the other way round still meet.
    """
    year = np.where(np.isnan(prepared.birth_year), -1, np.floor(prepared.birth_year)).astype(
        np.int64
    )
    given, family = prepared.given_sound, prepared.family_sound
    dob = prepared.dob_code
    first, last = prepared.given_initial, prepared.family_initial
    initials = np.where(
        (first < 0) | (last < 0), -1, np.minimum(first, last) * 1000 + np.maximum(first, last)
    )

    def either(*columns: IntArray) -> IntArray:
        return np.stack(columns, axis=1)

    return [
        either(prepared.name_pair),
        either(_combine(dob, prepared.given_initial), _combine(dob, prepared.family_initial)),
        either(prepared.national_id_code),
        either(prepared.phone),
        either(_combine(family, year)),
        either(_combine(given, prepared.postcode_code), _combine(family, prepared.postcode_code)),
        either(_combine(family, prepared.village_code)),
        either(_combine(given, initials, prepared.village_code)),
        either(_combine(dob, prepared.postcode_code)),
        either(_combine(dob, prepared.village_code)),
        either(_combine(initials, prepared.postcode_code)),
        either(_combine(initials, year, prepared.village_code)),
        either(_combine(prepared.address_start, prepared.postcode_code)),
    ]


def _birth_order(prepared: Prepared) -> IntArray:
    """Return each record's place in time as `YYYYMMDD`: its date of birth, else the middle
    of the year its age estimate points to; unknown last.

    Within a large blocking group the records of one person then sit side by side (the
    same date, a date one slip apart, a date and an age estimate of it), so the window
    meets them however many share the key.
    """
    estimated = np.where(
        np.isnan(prepared.birth_year),
        99_999_999,
        np.floor(np.nan_to_num(prepared.birth_year) + 0.5) * 10_000 + 701,
    ).astype(np.int64)
    return np.where(prepared.dob_number >= 0, prepared.dob_number, estimated)


def _candidate_pairs(
    prepared: Prepared, *, link: bool, window: int
) -> Iterator[tuple[IntArray, IntArray]]:
    """Yield (left, right) index arrays of the pairs to compare, each pair once.

    Rule by rule, records are sorted by key (then by birth, `_birth_order`, and the names'
    sounds) and each meets the next
    `window` records of its group. A pair an earlier rule already produced in full (its
    group no larger than the window) is left out, so no pair is compared twice.
    """
    covered: list[tuple[IntArray, npt.NDArray[np.bool_]]] = []
    tiebreak = _birth_order(prepared)
    for matrix in prepared.keys:
        columns = matrix.shape[1]
        flat = matrix.reshape(-1)
        owner = np.repeat(np.arange(prepared.count, dtype=np.int64), columns)
        present = np.flatnonzero(flat >= 0)
        small = np.zeros(matrix.shape, dtype=bool)
        if present.size >= 2:
            holders = owner[present]
            order = present[
                np.lexsort(
                    (
                        prepared.family_sound[holders],
                        prepared.given_sound[holders],
                        tiebreak[holders],
                        flat[present],
                    )
                )
            ]
            sorted_key = flat[order]
            starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
            sizes = np.diff(np.r_[starts, sorted_key.size])
            small.reshape(-1)[order] = np.repeat(sizes, sizes) <= window + 1
            owners = owner[order]
            longest = int(sizes.max())
            for offset in range(1, min(window, longest - 1) + 1):
                same = sorted_key[offset:] == sorted_key[:-offset]
                if not same.any():
                    break
                left = owners[:-offset][same]
                right = owners[offset:][same]
                keep = left != right
                if link:
                    keep &= prepared.source[left] != prepared.source[right]
                if columns > 1:
                    # The same two records may share a value in several columns: keep the
                    # first sharing, in column order, from the lower record's side.
                    lo, hi = np.minimum(left, right), np.maximum(left, right)
                    column_left = order[:-offset][same] % columns
                    column_right = order[offset:][same] % columns
                    this_lo = np.where(left == lo, column_left, column_right)
                    this_hi = np.where(left == lo, column_right, column_left)
                    this_rank = this_lo * columns + this_hi
                    first = np.full(left.size, columns * columns, dtype=np.int64)
                    for rank in range(columns * columns - 1, -1, -1):
                        x, y = divmod(rank, columns)
                        shared = (matrix[lo, x] == matrix[hi, y]) & (matrix[lo, x] >= 0)
                        first[shared] = rank
                    keep &= this_rank == first
                for earlier, earlier_small in covered:
                    for x in range(earlier.shape[1]):
                        for y in range(earlier.shape[1]):
                            keep &= ~(
                                (earlier[left, x] == earlier[right, y])
                                & (earlier[left, x] >= 0)
                                & earlier_small[left, x]
                            )
                if keep.any():
                    left, right = left[keep], right[keep]
                    yield np.minimum(left, right), np.maximum(left, right)
        covered.append((matrix, small))


# --- comparing -------------------------------------------------------------------------


def _similarity(
    texts_a: npt.NDArray[np.object_],
    texts_b: npt.NDArray[np.object_],
    known: npt.NDArray[np.bool_],
    scorer: Callable[..., float],
) -> FloatArray:
    """Return the scorer's similarity for each pair where both are known (0 elsewhere)."""
    scores = np.zeros(known.size)
    where = np.flatnonzero(known)
    if where.size:
        scores[where] = process.cpdist(
            texts_a[where], texts_b[where], scorer=scorer, workers=1, dtype=np.float64
        )
    return scores


def _similarity_coded(
    texts_a: npt.NDArray[np.object_],
    texts_b: npt.NDArray[np.object_],
    codes_a: IntArray,
    codes_b: IntArray,
    left: IntArray,
    right: IntArray,
    known: npt.NDArray[np.bool_],
    scorer: Callable[..., float],
    *,
    dtype: type = np.float64,
) -> npt.NDArray[Any]:
    """Return the scorer's value for each pair where `known` (0 elsewhere), each distinct
    pair of values scored once.

    `texts_*` and `codes_*` are per record (a code stands for one text, `_Codes`); `left`
    and `right` index the records of each pair. Names, dates and villages repeat across a
    population, and blocking brings the same two spellings together many times over, so
    scoring the distinct (code, code) pairs and spreading the scores back gives the same
    numbers as scoring every pair, for a fraction of the scorer's calls.
    """
    scores: npt.NDArray[Any] = np.zeros(known.size, dtype=dtype)
    where = np.flatnonzero(known)
    if not where.size:
        return scores
    record_a, record_b = left[where], right[where]
    code_a, code_b = codes_a[record_a], codes_b[record_b]
    span = int(max(code_a.max(), code_b.max())) + 1
    _unique, first, inverse = np.unique(
        code_a * span + code_b, return_index=True, return_inverse=True
    )
    values = process.cpdist(
        texts_a[record_a[first]], texts_b[record_b[first]], scorer=scorer, workers=1, dtype=dtype
    )
    scores[where] = np.asarray(values)[inverse.reshape(-1)]
    return scores


def _name_level(
    same: npt.NDArray[np.bool_], alike_sound: npt.NDArray[np.bool_], sim: FloatArray
) -> LevelArray:
    level = np.ones(sim.size, dtype=np.int8)
    level[sim >= 0.8] = 2
    level[(sim >= 0.92) | alike_sound] = 3
    level[same] = 4
    return level


def compare(prepared: Prepared, left: IntArray, right: IntArray) -> LevelArray:
    """Return the level of every comparison for each pair (rows: pairs)."""
    size = left.size
    levels = np.zeros((size, len(COMPARISONS)), dtype=np.int8)
    if size == 0:
        return levels
    p = prepared
    jw = JaroWinkler.normalized_similarity
    has_given_a, has_given_b = p.given_code[left] >= 0, p.given_code[right] >= 0
    has_family_a, has_family_b = p.family_code[left] >= 0, p.family_code[right] >= 0
    same_given = p.given_code[left] == p.given_code[right]
    same_family = p.family_code[left] == p.family_code[right]
    given = (p.given_text, p.given_code)
    family = (p.family_text, p.family_code)

    def names_alike(
        a: tuple[npt.NDArray[np.object_], IntArray],
        b: tuple[npt.NDArray[np.object_], IntArray],
        known: npt.NDArray[np.bool_],
    ) -> FloatArray:
        return _similarity_coded(a[0], b[0], a[1], b[1], left, right, known, jw)

    sim_gg = names_alike(given, given, has_given_a & has_given_b & ~same_given)
    sim_gg[same_given & has_given_a] = 1.0
    sim_ff = names_alike(family, family, has_family_a & has_family_b & ~same_family)
    sim_ff[same_family & has_family_a] = 1.0
    # Given and family names written the other way round: looked for only where the
    # straight reading is poor.
    maybe = has_given_a & has_given_b & has_family_a & has_family_b & (sim_gg + sim_ff < 1.7)
    sim_gf = names_alike(given, family, maybe)
    sim_fg = names_alike(family, given, maybe)
    swapped = (sim_gf + sim_fg > sim_gg + sim_ff + 0.2) & (sim_gf >= 0.85) & (sim_fg >= 0.85)

    def name_levels(
        code: IntArray,
        sound: IntArray,
        sim: FloatArray,
        cross: tuple[IntArray, IntArray, FloatArray],
    ) -> LevelArray:
        cl, cr = code[left], code[right]
        sl, sr = sound[left], sound[right]
        straight = _name_level((cl == cr) & (cl >= 0), (sl == sr) & (sl >= 0), sim)
        cross_code, cross_sound, cross_sim = cross
        other = _name_level(
            (cl == cross_code[right]) & (cl >= 0),
            (sl == cross_sound[right]) & (sl >= 0),
            cross_sim,
        )
        result = np.where(swapped, other, straight)
        result[(cl < 0) | (cr < 0)] = 0
        return result

    given_level = name_levels(
        p.given_code, p.given_sound, sim_gg, (p.family_code, p.family_sound, sim_gf)
    )
    family_level = name_levels(
        p.family_code, p.family_sound, sim_ff, (p.given_code, p.given_sound, sim_fg)
    )
    # A name known only in one record's other names or aliases (a nickname, a middle name).
    for position in np.flatnonzero((given_level < 3) & (p.has_others[left] | p.has_others[right])):
        a, b = int(left[position]), int(right[position])
        if (p.given[a] and p.given[a] in p.others[b]) or (p.given[b] and p.given[b] in p.others[a]):
            given_level[position] = 3
    # A father's name ("binti Said") read against the other record's family name.
    weak = np.flatnonzero((family_level < 4) & (p.father_known[left] | p.father_known[right]))
    if weak.size:
        wl, wr = left[weak], right[weak]
        fathers_a, fathers_b = p.father_text[wl], p.father_text[wr]
        fam_a, fam_b = p.family_text[wl], p.family_text[wr]
        known_fa, known_fb = p.father_known[wl], p.father_known[wr]
        known_a, known_b = p.family_code[wl] >= 0, p.family_code[wr] >= 0
        best = np.maximum.reduce(
            [
                _similarity(fathers_a, fam_b, known_fa & known_b, jw),
                _similarity(fam_a, fathers_b, known_a & known_fb, jw),
                _similarity(fathers_a, fathers_b, known_fa & known_fb, jw),
            ]
        )
        upgraded = np.where(best >= 0.999, 4, np.where(best >= 0.92, 3, 0)).astype(np.int8)
        family_level[weak] = np.maximum(family_level[weak], upgraded)
    levels[:, 0] = given_level
    levels[:, 1] = family_level

    # Date of birth, or an age estimate with its spread.
    dob_l, dob_r = p.dob_code[left], p.dob_code[right]
    both_dates = (dob_l >= 0) & (dob_r >= 0)
    dob_level = np.zeros(size, dtype=np.int8)
    year_l, year_r = p.birth_year[left], p.birth_year[right]
    known = ~np.isnan(year_l) & ~np.isnan(year_r)
    gap = np.abs(year_l - year_r)
    spread = p.year_spread[left] + p.year_spread[right]
    estimate = known & ~both_dates
    dob_level[estimate] = np.where(gap[estimate] <= spread[estimate] + 0.5, 2, 1)
    where = np.flatnonzero(both_dates)
    if where.size:
        wl, wr = left[where], right[where]
        slips = _similarity_coded(
            p.dob_text,
            p.dob_text,
            p.dob_code,
            p.dob_code,
            left,
            right,
            both_dates,
            DamerauLevenshtein.distance,
            dtype=np.int64,
        )[where]
        number_a, number_b = p.dob_number[wl], p.dob_number[wr]
        swapped_day = (
            (number_a // 10000 == number_b // 10000)
            & (number_a // 100 % 100 == number_b % 100)
            & (number_a % 100 == number_b // 100 % 100)
        )
        level = np.where((slips <= 1) | swapped_day, 3, 1).astype(np.int8)
        level[dob_l[where] == dob_r[where]] = 4
        dob_level[where] = level
    levels[:, 2] = dob_level

    sex_l, sex_r = p.sex[left], p.sex[right]
    levels[:, 3] = np.where((sex_l < 0) | (sex_r < 0), 0, np.where(sex_l == sex_r, 2, 1))

    phone_l, phone_r = p.phone[left], p.phone[right]
    phone_level = np.where((phone_l < 0) | (phone_r < 0), 0, np.where(phone_l == phone_r, 2, 1))
    for position in np.flatnonzero(
        (phone_level == 1) & p.has_extra_phones[left] & p.has_extra_phones[right]
    ):
        a, b = int(left[position]), int(right[position])
        if p.extra_phones[a] & p.extra_phones[b]:
            phone_level[position] = 2
    levels[:, 4] = phone_level

    levels[:, 5] = _coded_level(p.national_id_text, p.national_id_code, left, right, slip=1)
    address_known = p.address_known[left] & p.address_known[right]
    address_sim = np.zeros(size)
    if address_known.any():
        address_sim = _similarity(
            p.address_text[left], p.address_text[right], address_known, fuzz.token_sort_ratio
        )
    levels[:, 6] = np.where(
        address_known, np.where(address_sim >= 95, 3, np.where(address_sim >= 75, 2, 1)), 0
    )
    levels[:, 7] = _coded_level(p.postcode_text, p.postcode_code, left, right, slip=1)
    village_l, village_r = p.village_code[left], p.village_code[right]
    villages = (village_l >= 0) & (village_r >= 0)
    differ = villages & (village_l != village_r)
    village_sim = _similarity_coded(
        p.village_text, p.village_text, p.village_code, p.village_code, left, right, differ, jw
    )
    place = np.zeros(size, dtype=np.int8)
    place[villages] = 1
    for rank, unit in ((2, p.county), (3, p.sub_county), (4, p.ward)):
        cl, cr = unit[left], unit[right]
        both = (cl >= 0) & (cr >= 0)
        if rank == 2:
            place[both] = np.where(cl[both] == cr[both], 2, 1)
        else:
            place[both & (cl == cr)] = rank
    county_l, county_r = p.county[left], p.county[right]
    other_county = (county_l >= 0) & (county_r >= 0) & (county_l != county_r)
    same_village = villages & ((village_l == village_r) | (village_sim >= 0.9)) & ~other_county
    place[same_village] = 5
    levels[:, 8] = place
    return levels


def _coded_level(
    text: npt.NDArray[np.object_],
    code: IntArray,
    left: IntArray,
    right: IntArray,
    *,
    slip: int,
) -> LevelArray:
    cl, cr = code[left], code[right]
    level = np.where((cl < 0) | (cr < 0), 0, np.where(cl == cr, 3, 1)).astype(np.int8)
    differ = level == 1
    if differ.any():
        gaps = _similarity_coded(
            text, text, code, code, left, right, differ, DamerauLevenshtein.distance, dtype=np.int64
        )
        level[differ & (gaps <= slip)] = 2
    return level


# --- the model -------------------------------------------------------------------------


@dataclass
class MatchModel:
    """The estimated parameters: `m` and `u` per comparison level, and `lambda`."""

    m: list[list[float]]
    u: list[list[float]]
    prior: float

    @classmethod
    def default(cls) -> MatchModel:
        """Return the model of the priors alone, for scoring before any estimate exists."""
        u = [list(comparison.u_prior) for comparison in COMPARISONS]
        m = [list(comparison.m_prior) for comparison in COMPARISONS]
        return cls(m=m, u=u, prior=1e-4)

    def weights(self) -> list[list[float]]:
        """Return `log2(m / u)` per comparison level (0 for "not known")."""
        table: list[list[float]] = []
        for m_row, u_row in zip(self.m, self.u, strict=True):
            table.append(
                [0.0]
                + [
                    math.log2(max(m, 1e-9) / max(u, 1e-9))
                    for m, u in zip(m_row[1:], u_row[1:], strict=True)
                ]
            )
        return table

    def probabilities(self, codes: IntArray) -> FloatArray:
        """Return the match probability of each pattern code."""
        levels = pattern_levels(codes)
        table = self.weights()
        total = np.full(levels.shape[0], math.log2(self.prior / (1 - self.prior)))
        for column, weights in enumerate(table):
            total += np.asarray(weights)[levels[:, column]]
        return np.asarray(1.0 / (1.0 + np.exp2(-total)), dtype=np.float64)

    def explain(self, code: int) -> list[Explanation]:
        """Return, for each comparison, its level and its weight, for a person to read."""
        levels = pattern_levels(np.array([code]))[0]
        table = self.weights()
        return [
            Explanation(
                field=comparison.name,
                level=comparison.labels[int(levels[index])],
                weight=table[index][int(levels[index])],
            )
            for index, comparison in enumerate(COMPARISONS)
        ]

    def as_json(self) -> dict[str, object]:
        return {"m": self.m, "u": self.u, "prior": self.prior}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> MatchModel:
        m = data["m"]
        u = data["u"]
        prior = data["prior"]
        assert isinstance(m, list) and isinstance(u, list) and isinstance(prior, float | int)
        return cls(m=m, u=u, prior=float(prior))


@dataclass(frozen=True)
class Explanation:
    field: str
    level: str
    weight: float


def estimate(
    codes: IntArray,
    counts: IntArray,
    *,
    u_start: list[list[float]],
    iterations: int = EM_ITERATIONS,
    strength: float = 20.0,
) -> MatchModel:
    """Estimate `m`, `u` and `lambda` by EM over the pattern counts of the compared pairs.

    `m` starts at the priors and `u` at the frequencies of random pairs; both are smoothed
    towards their start by `strength` pseudo-pairs, so a level no pair falls in keeps a
    sensible weight and a small data set cannot flip the model.
    """
    levels = pattern_levels(codes)
    weights = counts.astype(np.float64)
    total = weights.sum()
    m = [np.asarray(comparison.m_prior, dtype=np.float64) for comparison in COMPARISONS]
    u = [np.asarray(row, dtype=np.float64) for row in u_start]
    m_prior = [row.copy() for row in m]
    u_prior = [row.copy() for row in u]
    prior = 0.1
    for _ in range(iterations):
        log_m = np.zeros(levels.shape[0])
        log_u = np.zeros(levels.shape[0])
        for column in range(len(COMPARISONS)):
            known = levels[:, column] > 0
            index = levels[known, column]
            log_m[known] += np.log(np.maximum(m[column][index], 1e-12))
            log_u[known] += np.log(np.maximum(u[column][index], 1e-12))
        ratio = log_m - log_u + math.log(prior / (1 - prior))
        share = 1.0 / (1.0 + np.exp(-np.clip(ratio, -700, 700)))
        matched = weights * share
        unmatched = weights - matched
        prior = float(min(max(matched.sum() / total, 1e-9), 1 - 1e-9)) if total else prior
        for column, comparison in enumerate(COMPARISONS):
            size = comparison.size
            index = levels[:, column]
            m_counts = np.bincount(index, weights=matched, minlength=size)
            u_counts = np.bincount(index, weights=unmatched, minlength=size)
            m_counts[0] = u_counts[0] = 0.0
            m_new = m_counts + strength * m_prior[column]
            u_new = u_counts + strength * u_prior[column]
            m_new[0] = u_new[0] = 0.0
            m[column] = m_new / m_new.sum()
            u[column] = u_new / u_new.sum()
    return MatchModel(
        m=[[float(value) for value in row] for row in m],
        u=[[float(value) for value in row] for row in u],
        prior=prior,
    )


def _random_pairs(
    prepared: Prepared, *, link: bool, count: int, seed: int
) -> tuple[IntArray, IntArray]:
    rng = np.random.default_rng(seed)
    size = prepared.count
    if size < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    left = rng.integers(0, size, count, dtype=np.int64)
    right = rng.integers(0, size, count, dtype=np.int64)
    keep = left != right
    if link:
        keep &= prepared.source[left] != prepared.source[right]
    return left[keep], right[keep]


def u_from_random_pairs(
    prepared: Prepared, *, link: bool, count: int = U_SAMPLE_PAIRS
) -> list[list[float]]:
    """Return each level's frequency among random pairs (nearly all non-matches)."""
    left, right = _random_pairs(prepared, link=link, count=count, seed=15)
    levels = compare(prepared, left, right)
    table: list[list[float]] = []
    for column, comparison in enumerate(COMPARISONS):
        counts = np.bincount(levels[:, column], minlength=comparison.size).astype(np.float64)
        counts[0] = 0.0
        smoothed = counts + 1.0 * np.asarray(comparison.u_prior)
        table.append([float(value) for value in smoothed / smoothed.sum()])
    return table


@dataclass(frozen=True)
class MatchPair:
    """Two records (indexes into the input) and the chance they are one person."""

    left: int
    right: int
    probability: float
    pattern: int


@dataclass
class MatchRun:
    """The outcome of a run: the model estimated and the pairs at or above the threshold.

    `record_ids` are the records' ids in the order read: a pair's `left` and `right`
    index them.
    """

    model: MatchModel
    pairs: list[MatchPair]
    compared: int
    record_ids: list[str] = field(default_factory=list)


# The records a forked comparer reads: set before its pool starts, so each child inherits
# them (copy-on-write) instead of receiving them pickled.
_FORKED_PREPARED: Prepared | None = None


def _compare_chunk(
    prepared: Prepared, left: IntArray, right: IntArray, path: Path
) -> tuple[list[int], list[int], int]:
    """Compare one chunk of pairs, keep it in `path`, and return its patterns' tallies."""
    codes = pattern_code(compare(prepared, left, right))
    np.save(path, np.stack([left, right, codes]))
    unique, counts = np.unique(codes, return_counts=True)
    return unique.tolist(), counts.tolist(), int(left.size)


def _compare_forked(
    left: IntArray, right: IntArray, path: Path
) -> tuple[list[int], list[int], int]:
    assert _FORKED_PREPARED is not None
    return _compare_chunk(_FORKED_PREPARED, left, right, path)


def match(
    records: Iterable[MatchRecord],
    *,
    link: bool = False,
    threshold: float = 0.5,
    window: int = DEFAULT_WINDOW,
    model: MatchModel | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    today: datetime.date | None = None,
    workers: int = 1,
) -> MatchRun:
    """Find the pairs of records that are likely one person.

    With `link`, only pairs from different sources (`MatchRecord.source`) are compared.
    Without a `model`, one is estimated from these records by EM (from the priors alone
    when blocking gives too few pairs to learn from); with one, it is used as it is (to
    score new records with what the last full run learnt). The records are read once and
    may be a generator (`prepare`): a table streams through without being held as records.

    With `workers` above 1 (the `kinga match` command gives the machine's cores), the
    chunks of pairs are compared in that many forked processes while this one goes on
    finding the next pairs; chunks keep their order, so the run's pairs, tallies and model
    are exactly those of one process. The children touch no database: they compare arrays
    and write their chunk to the run's scratch folder.
    """
    global _FORKED_PREPARED
    prepared = prepare(records, today=today)
    with tempfile.TemporaryDirectory(prefix="kinga-match-") as scratch:
        chunks: list[Path] = []
        tallies: dict[int, int] = {}
        compared = 0
        buffer_left: list[IntArray] = []
        buffer_right: list[IntArray] = []
        buffered = 0
        pool = None
        pending: deque[Future[tuple[list[int], list[int], int]]] = deque()
        if workers > 1:
            _FORKED_PREPARED = prepared
            # An executor, not multiprocessing.Pool: a child that dies (killed, out of
            # memory) fails the run with BrokenProcessPool instead of leaving it waiting.
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))

        def tally(result: tuple[list[int], list[int], int]) -> None:
            nonlocal compared
            unique, counts, size = result
            for code, count in zip(unique, counts, strict=True):
                tallies[code] = tallies.get(code, 0) + count
            compared += size
            if progress is not None:
                progress("compare", compared, 0)

        def flush() -> None:
            nonlocal buffered
            if not buffered:
                return
            left = np.concatenate(buffer_left)
            right = np.concatenate(buffer_right)
            buffer_left.clear()
            buffer_right.clear()
            buffered = 0
            path = Path(scratch) / f"chunk-{len(chunks)}.npy"
            chunks.append(path)
            if pool is None:
                tally(_compare_chunk(prepared, left, right, path))
                return
            pending.append(pool.submit(_compare_forked, left, right, path))
            while len(pending) > 2 * workers:  # a bounded queue: memory stays flat
                tally(pending.popleft().result())

        try:
            for left, right in _candidate_pairs(prepared, link=link, window=window):
                buffer_left.append(left)
                buffer_right.append(right)
                buffered += left.size
                if buffered >= CHUNK_PAIRS:
                    flush()
            flush()
            while pending:
                tally(pending.popleft().result())
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
                _FORKED_PREPARED = None
        if model is None and compared < MIN_PAIRS_FOR_ESTIMATE:
            model = MatchModel.default()
        if model is None:
            codes = np.array(sorted(tallies), dtype=np.int64)
            counts = np.array([tallies[code] for code in codes.tolist()], dtype=np.int64)
            u_start = u_from_random_pairs(prepared, link=link)
            model = estimate(
                codes,
                counts,
                u_start=u_start,
                strength=PRIOR_WEIGHT * float(counts.sum()),
            )
        known_codes = np.array(sorted(tallies), dtype=np.int64)
        chances = model.probabilities(known_codes) if known_codes.size else np.zeros(0)
        found: list[MatchPair] = []
        for number, path in enumerate(chunks):
            left, right, codes = np.load(path)
            probability = chances[np.searchsorted(known_codes, codes)]
            keep = probability >= threshold
            for a, b, chance, code in zip(
                left[keep].tolist(),
                right[keep].tolist(),
                probability[keep].tolist(),
                codes[keep].tolist(),
                strict=True,
            ):
                found.append(MatchPair(left=a, right=b, probability=chance, pattern=code))
            if progress is not None:
                progress("score", number + 1, len(chunks))
    return MatchRun(model=model, pairs=found, compared=compared, record_ids=prepared.record_ids)


def score_pairs(
    records: Sequence[MatchRecord],
    pairs: Sequence[tuple[int, int]],
    *,
    model: MatchModel,
    today: datetime.date | None = None,
) -> list[MatchPair]:
    """Score the given pairs of records (indexes) with a model, without blocking."""
    prepared = prepare(records, today=today)
    if not pairs:
        return []
    left = np.array([pair[0] for pair in pairs], dtype=np.int64)
    right = np.array([pair[1] for pair in pairs], dtype=np.int64)
    codes = pattern_code(compare(prepared, left, right))
    chances = model.probabilities(codes)
    return [
        MatchPair(left=int(a), right=int(b), probability=float(c), pattern=int(code))
        for a, b, c, code in zip(left, right, chances, codes, strict=True)
    ]
