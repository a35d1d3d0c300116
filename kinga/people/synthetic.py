"""Synthetic coastal Kenyan people as several agencies record them, for benchmarks.

No real person: names are drawn from lists of common coastal names, and each person is
recorded once or a few times by different "agencies", each record with the variations met
on the coast (a spelling variant of an Arabic-origin name, a dropped or added final vowel,
`binti`/`bin` with the father's name, given and family names swapped, a typing slip, an
age estimate instead of a date, the phone written `07..`, `+2547..` or `2547..`, a nickname
as other name). Siblings share a guardian's phone. Record ids are `P<person>-<n>`, so the
true pairs are those sharing a person number.
"""

from __future__ import annotations

import csv
import datetime
import random
from collections.abc import Iterator
from pathlib import Path

from kinga.lib.names import VARIANTS

GIVEN_FEMALE = [
    "Mwanaisha",
    "Fatuma",
    "Amina",
    "Halima",
    "Rehema",
    "Zainabu",
    "Khadija",
    "Mariam",
    "Aisha",
    "Asha",
    "Rukia",
    "Kadzo",
    "Neema",
    "Zawadi",
    "Mwanajuma",
    "Sidi",
    "Riziki",
    "Tatu",
    "Mejumaa",
    "Sharifa",
    "Saumu",
    "Mwanahawa",
    "Dama",
    "Kache",
    "Furaha",
    "Imani",
    "Baraka",
    "Esther",
    "Grace",
    "Mercy",
    "Faith",
    "Sofia",
    "Hadija",
    "Nasra",
    "Salma",
    "Latifa",
    "Wanjiru",
    "Achieng",
    "Mwende",
    "Kavata",
    "Makena",
    "Nyevu",
    "Pendo",
    "Mishi",
    "Bahati",
    "Umazi",
    "Hamida",
    "Kibibi",
    "Mwanamisi",
]
GIVEN_MALE = [
    "Mohamed",
    "Omar",
    "Ali",
    "Hassan",
    "Hussein",
    "Abdalla",
    "Juma",
    "Hamisi",
    "Said",
    "Bakari",
    "Rashid",
    "Salim",
    "Athumani",
    "Ramadhani",
    "Shabani",
    "Yusuf",
    "Ibrahim",
    "Ismail",
    "Suleiman",
    "Musa",
    "Issa",
    "Kahindi",
    "Katana",
    "Kazungu",
    "Charo",
    "Baya",
    "Karisa",
    "Kenga",
    "Mwachiro",
    "Ngala",
    "Tsuma",
    "Mwangi",
    "Otieno",
    "Kamau",
    "Kiprono",
    "Barasa",
    "Swaleh",
    "Abubakar",
    "Mahmoud",
    "Idd",
    "Shukuru",
    "Mwalimu",
    "Chengo",
    "Kombo",
    "Nassir",
    "Twaha",
    "Faraji",
    "Hemed",
    "Khamis",
]
FAMILY = [
    "Salim",
    "Said",
    "Hamisi",
    "Bakari",
    "Juma",
    "Omar",
    "Ali",
    "Mohamed",
    "Hassan",
    "Abdalla",
    "Rashid",
    "Athumani",
    "Katana",
    "Charo",
    "Kazungu",
    "Kahindi",
    "Baya",
    "Karisa",
    "Kenga",
    "Ngala",
    "Tsuma",
    "Mwachiro",
    "Mwinyi",
    "Mzee",
    "Chai",
    "Dzombo",
    "Kalama",
    "Masha",
    "Nyale",
    "Thoya",
    "Mramba",
    "Mangi",
    "Wanjiru",
    "Mwende",
    "Otieno",
    "Kamau",
    "Mwangi",
    "Odhiambo",
    "Shee",
    "Bwana",
    "Mbwana",
    "Lali",
    "Rama",
    "Chidzuga",
    "Mwakio",
    "Mwadime",
    "Mwatela",
    "Mghanga",
    "Wakesho",
    "Mnyika",
]
# Many more family names than the common ones, made of Mijikenda-like syllables: a real
# population's family names are far more varied than its given names.
_STARTS = (
    "Ka",
    "Ma",
    "Mwa",
    "Ki",
    "Nga",
    "Cha",
    "Tsu",
    "Dzi",
    "Ba",
    "Ke",
    "Nya",
    "Mra",
    "Ji",
    "Ze",
)
_MIDDLES = ("ru", "zu", "ta", "li", "nga", "mbo", "ri", "wa", "dza", "ko", "fu", "ma", "he", "so")
_ENDS = ("ngu", "ni", "o", "a", "e", "mba", "we", "dzo", "ro", "ri", "nje", "tu")
MORE_FAMILY = tuple(
    start + middle + end for start in _STARTS for middle in _MIDDLES for end in _ENDS
)
VILLAGES = [
    "Majengo",
    "Likoni",
    "Bombolulu",
    "Kisauni",
    "Mtwapa",
    "Ukunda",
    "Diani",
    "Msambweni",
    "Shimoni",
    "Kwale",
    "Kinango",
    "Mariakani",
    "Kaloleni",
    "Rabai",
    "Kilifi",
    "Malindi",
    "Watamu",
    "Gede",
    "Mambrui",
    "Lamu",
    "Mpeketoni",
    "Witu",
    "Hola",
    "Garsen",
    "Voi",
    "Wundanyi",
    "Taveta",
    "Mwatate",
    "Shanzu",
    "Bamburi",
    "Mikindani",
    "Changamwe",
    "Jomvu",
    "Tudor",
]
WARDS = {
    "Mombasa": ("Majengo", "Likoni", "Bamburi", "Shanzu", "Kisauni", "Tudor", "Jomvu Kuu"),
    "Kwale": ("Ukunda", "Ramisi", "Pongwe/Kikoneni", "Tsimba Golini", "Kinango"),
    "Kilifi": ("Mtwapa", "Shella", "Watamu", "Mariakani", "Sokoni", "Rabai/Kisurutini"),
    "Lamu": ("Mkomani", "Shella", "Hindi", "Witu"),
    "Tana River": ("Garsen Central", "Chewani", "Bura"),
    "Taita-Taveta": ("Mbololo", "Wundanyi/Mbale", "Chala"),
}
NICKNAMES = ("Toto", "Babu", "Moha", "Shosho", "Dogo", "Mama Juma", "Sista", "Kijana")
COLUMNS = (
    "record_id",
    "given_name",
    "family_name",
    "other_names",
    "sex",
    "date_of_birth",
    "age_years",
    "phone",
    "village",
    "ward",
    "county",
)
_VARIANTS_OF = {group[0]: group for group in VARIANTS}
TODAY = datetime.date(2026, 12, 1)


def _spelling(name: str, rng: random.Random) -> str:
    group = _VARIANTS_OF.get(name.lower())
    if group is not None and rng.random() < 0.7:
        return rng.choice(group).title()
    if rng.random() < 0.3 and name[-1] in "iu" and name[-2] not in "aeiou":
        return name[:-1]
    if rng.random() < 0.3 and name[-1] not in "aeiou":
        return name + "i"
    return name


def _slip(name: str, rng: random.Random) -> str:
    if len(name) < 4:
        return name
    at = rng.randrange(1, len(name) - 1)
    kind = rng.random()
    if kind < 0.4:
        return name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    if kind < 0.7:
        return name[:at] + name[at + 1 :]
    return name[:at] + rng.choice("aeiouknmrst") + name[at + 1 :]


def _phone(number: str, rng: random.Random) -> str:
    local = number[1:]
    form = rng.random()
    if form < 0.4:
        return f"0{local[:3]} {local[3:6]} {local[6:]}"
    if form < 0.7:
        return f"+254{local}"
    return f"254{local}"


def people(count: int, *, seed: int = 15) -> Iterator[dict[str, str]]:
    """Yield `count` records of synthetic people, with duplicates across agencies."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    made = 0
    person = 0
    family_phone = ""
    while made < count:
        person += 1
        female = rng.random() < 0.6
        given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        family = rng.choice(FAMILY) if rng.random() < 0.3 else rng.choice(MORE_FAMILY)
        father = rng.choice(GIVEN_MALE)
        born = TODAY - datetime.timedelta(days=rng.randrange(4 * 365, 45 * 365))
        county = rng.choice(tuple(WARDS))
        ward = rng.choice(WARDS[county])
        village = rng.choice(VILLAGES)
        # A sibling of the last person shares the guardian's phone now and then.
        if family_phone and rng.random() < 0.1:
            phone = family_phone
        else:
            phone = "07" + "".join(rng.choice("0123456789") for _ in range(8))
        family_phone = phone
        copies = 1 + (rng.random() < 0.35) + (rng.random() < 0.1)
        for copy in range(copies):
            if made >= count:
                return
            made += 1
            first, last, other = given, family, ""
            if copy:
                first, last = _spelling(first, rng), _spelling(last, rng)
                if rng.random() < 0.15:
                    first = _slip(first, rng)
                if rng.random() < 0.1:
                    last = _slip(last, rng)
                if rng.random() < 0.08:
                    first, last = last, first
                if rng.random() < 0.1:
                    last = f"{'binti' if female else 'bin'} {father}"
                if rng.random() < 0.1:
                    other = rng.choice(NICKNAMES)
            dated = rng.random() < (0.8 if copy == 0 else 0.6)
            age = (TODAY - born).days // 365
            yield {
                "record_id": f"P{person}-{copy}",
                "given_name": first,
                "family_name": last,
                "other_names": other,
                "sex": ("f" if female else "m") if rng.random() < 0.95 else "",
                "date_of_birth": born.isoformat() if dated else "",
                "age_years": "" if dated else str(max(0, age + rng.choice((-1, 0, 0, 1)))),
                "phone": _phone(phone, rng) if rng.random() < 0.6 else "",
                "village": village if rng.random() < 0.8 else "",
                "ward": ward if rng.random() < 0.7 else "",
                "county": county,
            }


def write_people(path: Path, count: int, *, seed: int = 15) -> None:
    """Write `count` synthetic records as a CSV of `kinga match`'s columns."""
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(people(count, seed=seed))
