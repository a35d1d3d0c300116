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
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
# Pairs compared at once: bounds memory (each pair costs a few hundred bytes while compared).
CHUNK_PAIRS = 400_000
# In a blocking group larger than this, each record meets only this many neighbours.
DEFAULT_WINDOW = 60
# Random pairs that start the estimate of `u`.
U_SAMPLE_PAIRS = 200_000
EM_ITERATIONS = 60
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
    try:
        return normalise_phone(text)
    except ValueError:
        return "".join(ch for ch in text if ch.isdigit())


def prepare(records: Sequence[MatchRecord], *, today: datetime.date | None = None) -> Prepared:
    """Normalise the records once: names by the privacy core's rules, the rest compacted."""
    today = today or datetime.date.today()  # noqa: DTZ011 - a calendar date, no zone needed
    count = len(records)
    lineage_cache: dict[str, tuple[list[str], list[str]]] = {}
    sound_cache: dict[str, str] = {}
    phone_cache: dict[str, str] = {}

    def phone_of(text: str) -> str:
        found = phone_cache.get(text)
        if found is None:
            found = phone_cache[text] = comparable_phone(text)
        return found

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

    names, sounds, dobs, phones, ids, villages, postcodes, places = (
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
    columns: dict[str, list[int]] = {
        name: []
        for name in (
            "source",
            "given_code",
            "given_sound",
            "family_code",
            "family_sound",
            "sex",
            "dob_code",
            "phone",
            "national_id_code",
            "village_code",
            "postcode_code",
            "ward",
            "sub_county",
            "county",
            "given_initial",
            "family_initial",
            "name_pair",
            "address_start",
        )
    }
    birth_year = np.full(count, np.nan)
    year_spread = np.zeros(count)
    pairs = _Codes()
    for row, record in enumerate(records):
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
        given.append(first)
        family.append(family_text)
        father.append(father_text)
        others.append(frozenset(rest))
        first_sound = sound(first)
        family_sound = sound(family_own[0] if family_own else family_text.split(" ")[0])
        columns["source"].append(record.source)
        columns["given_code"].append(names(first))
        columns["given_sound"].append(sounds(first_sound))
        columns["family_code"].append(names(family_text))
        columns["family_sound"].append(sounds(family_sound))
        columns["given_initial"].append(ord(first[0]) if first else -1)
        columns["family_initial"].append(ord(family_text[0]) if family_text else -1)
        both = sorted(part for part in (first_sound, family_sound) if part)
        columns["name_pair"].append(pairs(" ".join(both)) if len(both) == 2 else -1)
        sex = record.sex.strip().casefold()[:1]
        columns["sex"].append(ord(sex) if sex in ("f", "m") else -1)
        text = record.date_of_birth
        if text:
            birth_year[row] = int(text[:4])
        else:
            text = ""
            if record.age_years is not None:
                on = record.age_on or today
                birth_year[row] = on.year - record.age_years - 0.5
                year_spread[row] = record.age_uncertainty + 0.5
        dob.append(text)
        columns["dob_code"].append(dobs(text))
        phone_list = sorted({phone_of(phone) for phone in record.phones if phone.strip()})
        columns["phone"].append(phones(phone_list[0]) if phone_list else -1)
        extra_phones.append(frozenset(phone_list) if len(phone_list) > 1 else frozenset())
        ident = _compact(record.national_id)
        national_id.append(ident)
        columns["national_id_code"].append(ids(ident))
        street = _clean(record.address)
        address.append(street)
        columns["address_start"].append(villages("#" + street.split(" ")[0]) if street else -1)
        place = _clean(record.village)
        village.append(place)
        columns["village_code"].append(villages(place))
        code = _compact(record.postcode)
        postcode.append(code)
        columns["postcode_code"].append(postcodes(code))
        county = _clean(record.county)
        sub_county = _clean(record.sub_county)
        ward = _clean(record.ward)
        columns["county"].append(places(county))
        columns["sub_county"].append(places(f"{county}/{sub_county}") if sub_county else -1)
        columns["ward"].append(places(f"{county}/{sub_county}/{ward}") if ward else -1)

    def column(name: str) -> IntArray:
        return np.array(columns[name], dtype=np.int64)

    prepared = Prepared(
        count=count,
        record_ids=[record.record_id for record in records],
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
        source=column("source"),
        given_code=column("given_code"),
        given_sound=column("given_sound"),
        family_code=column("family_code"),
        family_sound=column("family_sound"),
        sex=column("sex"),
        dob_code=column("dob_code"),
        phone=column("phone"),
        national_id_code=column("national_id_code"),
        village_code=column("village_code"),
        postcode_code=column("postcode_code"),
        ward=column("ward"),
        sub_county=column("sub_county"),
        county=column("county"),
        given_initial=column("given_initial"),
        family_initial=column("family_initial"),
        name_pair=column("name_pair"),
        address_start=column("address_start"),
    )
    prepared.keys = blocking_keys(prepared)
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
        either(_combine(given, year), _combine(family, year)),
        either(_combine(given, prepared.postcode_code), _combine(family, prepared.postcode_code)),
        either(_combine(given, prepared.village_code), _combine(family, prepared.village_code)),
        either(_combine(dob, prepared.postcode_code)),
        either(_combine(dob, prepared.village_code)),
        either(_combine(initials, prepared.postcode_code)),
        either(_combine(initials, prepared.village_code)),
        either(_combine(prepared.address_start, prepared.postcode_code)),
    ]


def _candidate_pairs(
    prepared: Prepared, *, link: bool, window: int
) -> Iterator[tuple[IntArray, IntArray]]:
    """Yield (left, right) index arrays of the pairs to compare, each pair once.

    Rule by rule, records are sorted by key (then date of birth) and each meets the next
    `window` records of its group. A pair an earlier rule already produced in full (its
    group no larger than the window) is left out, so no pair is compared twice.
    """
    covered: list[tuple[IntArray, npt.NDArray[np.bool_]]] = []
    tiebreak = prepared.dob_code
    for matrix in prepared.keys:
        columns = matrix.shape[1]
        flat = matrix.reshape(-1)
        owner = np.repeat(np.arange(prepared.count, dtype=np.int64), columns)
        present = np.flatnonzero(flat >= 0)
        small = np.zeros(matrix.shape, dtype=bool)
        if present.size >= 2:
            order = present[np.lexsort((tiebreak[owner[present]], flat[present]))]
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
    left: Sequence[str], right: Sequence[str], scorer: Callable[..., float]
) -> FloatArray:
    """Return the scorer's similarity for each pair (0 where either side is empty)."""
    if not left:
        return np.zeros(0)
    scores = np.asarray(process.cpdist(left, right, scorer=scorer, workers=1), dtype=np.float64)
    empty = np.fromiter(
        (not a or not b for a, b in zip(left, right, strict=True)), dtype=bool, count=len(left)
    )
    scores[empty] = 0.0
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
    given_a = [p.given[i] for i in left]
    given_b = [p.given[i] for i in right]
    family_a = [p.family[i] for i in left]
    family_b = [p.family[i] for i in right]
    jw = JaroWinkler.normalized_similarity
    sim_gg = _similarity(given_a, given_b, jw)
    sim_ff = _similarity(family_a, family_b, jw)
    sim_gf = _similarity(given_a, family_b, jw)
    sim_fg = _similarity(family_a, given_b, jw)
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
    # Swapped pairs where only one side has a given name: a missing given name stays unknown.
    given_level[swapped & ((p.given_code[left] < 0) | (p.family_code[right] < 0))] = 0
    # A name known only in one record's other names or aliases (a nickname, a middle name).
    for position in np.flatnonzero(given_level < 3):
        a, b = int(left[position]), int(right[position])
        if (p.given[a] and p.given[a] in p.others[b]) or (p.given[b] and p.given[b] in p.others[a]):
            given_level[position] = 3
    # A father's name ("binti Said") read against the other record's family name.
    weak = np.flatnonzero(family_level < 4)
    if weak.size:
        fathers_a = [p.father[i] for i in left[weak]]
        fathers_b = [p.father[i] for i in right[weak]]
        fam_a = [p.family[i] for i in left[weak]]
        fam_b = [p.family[i] for i in right[weak]]
        best = np.maximum.reduce(
            [
                _similarity(fathers_a, fam_b, jw),
                _similarity(fam_a, fathers_b, jw),
                _similarity(fathers_a, fathers_b, jw),
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
    if both_dates.any():
        where = np.flatnonzero(both_dates)
        date_a = [p.dob[i] for i in left[where]]
        date_b = [p.dob[i] for i in right[where]]
        slips = np.asarray(
            process.cpdist(date_a, date_b, scorer=DamerauLevenshtein.distance, workers=1)
        )
        swapped_day = np.fromiter(
            (
                a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6]
                for a, b in zip(date_a, date_b, strict=True)
            ),
            dtype=bool,
            count=len(date_a),
        )
        level = np.where(slips <= 1, 3, 1).astype(np.int8)
        level[swapped_day] = 3
        level[dob_l[where] == dob_r[where]] = 4
        dob_level[where] = level
    levels[:, 2] = dob_level

    sex_l, sex_r = p.sex[left], p.sex[right]
    levels[:, 3] = np.where((sex_l < 0) | (sex_r < 0), 0, np.where(sex_l == sex_r, 2, 1))

    phone_l, phone_r = p.phone[left], p.phone[right]
    phone_level = np.where((phone_l < 0) | (phone_r < 0), 0, np.where(phone_l == phone_r, 2, 1))
    for position in np.flatnonzero(phone_level == 1):
        a, b = int(left[position]), int(right[position])
        if p.extra_phones[a] and p.extra_phones[b] and p.extra_phones[a] & p.extra_phones[b]:
            phone_level[position] = 2
    levels[:, 4] = phone_level

    levels[:, 5] = _coded_level(
        p.national_id, p.national_id_code, left, right, DamerauLevenshtein.distance, slip=1
    )
    address_sim = _similarity(
        [p.address[i] for i in left], [p.address[i] for i in right], fuzz.token_sort_ratio
    )
    address_known = np.fromiter(
        (bool(p.address[a]) and bool(p.address[b]) for a, b in zip(left, right, strict=True)),
        dtype=bool,
        count=size,
    )
    levels[:, 6] = np.where(
        address_known, np.where(address_sim >= 95, 3, np.where(address_sim >= 75, 2, 1)), 0
    )
    levels[:, 7] = _coded_level(
        p.postcode, p.postcode_code, left, right, DamerauLevenshtein.distance, slip=1
    )
    village_l, village_r = p.village_code[left], p.village_code[right]
    village_sim = _similarity([p.village[i] for i in left], [p.village[i] for i in right], jw)
    place = np.zeros(size, dtype=np.int8)
    villages = (village_l >= 0) & (village_r >= 0)
    place[villages] = 1
    for rank, unit in ((2, p.county), (3, p.sub_county), (4, p.ward)):
        cl, cr = unit[left], unit[right]
        both = (cl >= 0) & (cr >= 0)
        if rank == 2:
            place[both] = np.where(cl[both] == cr[both], 2, 1)
        else:
            place[both & (cl == cr)] = rank
    other_county = (
        (p.county[left] >= 0) & (p.county[right] >= 0) & (p.county[left] != p.county[right])
    )
    same_village = villages & ((village_l == village_r) | (village_sim >= 0.9)) & ~other_county
    place[same_village] = 5
    levels[:, 8] = place
    return levels


def _coded_level(
    text: list[str],
    code: IntArray,
    left: IntArray,
    right: IntArray,
    distance: Callable[..., float],
    *,
    slip: int,
) -> LevelArray:
    cl, cr = code[left], code[right]
    level = np.where((cl < 0) | (cr < 0), 0, np.where(cl == cr, 3, 1)).astype(np.int8)
    differ = np.flatnonzero(level == 1)
    if differ.size:
        gaps = np.asarray(
            process.cpdist(
                [text[i] for i in left[differ]],
                [text[i] for i in right[differ]],
                scorer=distance,
                workers=1,
            )
        )
        level[differ[gaps <= slip]] = 2
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
    """The outcome of a run: the model estimated and the pairs at or above the threshold."""

    model: MatchModel
    pairs: list[MatchPair]
    compared: int


def match(
    records: Sequence[MatchRecord],
    *,
    link: bool = False,
    threshold: float = 0.5,
    window: int = DEFAULT_WINDOW,
    model: MatchModel | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    today: datetime.date | None = None,
) -> MatchRun:
    """Find the pairs of records that are likely one person.

    With `link`, only pairs from different sources (`MatchRecord.source`) are compared.
    Without a `model`, one is estimated from these records by EM (from the priors alone
    when blocking gives too few pairs to learn from); with one, it is used as it is (to
    score new records with what the last full run learnt).
    """
    prepared = prepare(records, today=today)
    with tempfile.TemporaryDirectory(prefix="kinga-match-") as scratch:
        chunks: list[Path] = []
        tallies: dict[int, int] = {}
        compared = 0
        buffer_left: list[IntArray] = []
        buffer_right: list[IntArray] = []
        buffered = 0

        def flush() -> None:
            nonlocal buffered, compared
            if not buffered:
                return
            left = np.concatenate(buffer_left)
            right = np.concatenate(buffer_right)
            buffer_left.clear()
            buffer_right.clear()
            buffered = 0
            codes = pattern_code(compare(prepared, left, right))
            unique, counts = np.unique(codes, return_counts=True)
            for code, count in zip(unique.tolist(), counts.tolist(), strict=True):
                tallies[code] = tallies.get(code, 0) + count
            path = Path(scratch) / f"chunk-{len(chunks)}.npy"
            np.save(path, np.stack([left, right, codes]))
            chunks.append(path)
            compared += left.size
            if progress is not None:
                progress("compare", compared, 0)

        for left, right in _candidate_pairs(prepared, link=link, window=window):
            buffer_left.append(left)
            buffer_right.append(right)
            buffered += left.size
            if buffered >= CHUNK_PAIRS:
                flush()
        flush()
        if model is None and compared < MIN_PAIRS_FOR_ESTIMATE:
            model = MatchModel.default()
        if model is None:
            codes = np.array(sorted(tallies), dtype=np.int64)
            counts = np.array([tallies[code] for code in codes.tolist()], dtype=np.int64)
            u_start = u_from_random_pairs(prepared, link=link)
            model = estimate(codes, counts, u_start=u_start)
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
    return MatchRun(model=model, pairs=found, compared=compared)


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
