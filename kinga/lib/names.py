"""Normalising personal names of the Kenyan coast, and the keyed tokens that find them.

The same child turns up as "Mwanaisha Saadi" at the helpline and "MWANAISHA SADI" at the
police. Names here are Kiswahili, Mijikenda (Giriama, Digo, Duruma, Rabai...) and
Arabic-origin names written in Swahili spelling, where the common differences are:

- case, accents and punctuation (`Sa'id`, `SAÏD`, `Kahindi-Tsuma`);
- doubled letters (`Saadi`/`Sadi`, `Mohammed`/`Mohamed`, `Hussein`/`Husein`);
- a silent final `h` (`Fatumah`, `Abdallah`);
- an epenthetic final vowel that Swahili adds to Arabic names ending in a consonant
  (`Omari`/`Omar`, `Zainabu`/`Zainab`, `Hamisi`/`Hamis`);
- transliteration of Arabic sounds (`kh`/`h`, `sh`/`s`, `th`/`dh`, `ou`/`u`, `ei`/`ai`);
- names that are one in Arabic but several in Swahili spelling (`Mohamed`/`Muhammad`,
  `Fatuma`/`Fatma`/`Fatima`, `Athumani`/`Othman`), listed in `VARIANTS`.

Names that sound alike but are different names stay apart (`Mohamed` and `Mahmoud`,
`Asha` and `Aisha`, `Amina` and `Amini`).

`normalise_name_part` gives the spelling-level form (the "exact" token), `phonetic_key` a
coarser sound-level form. `name_tokens` turns a full name into keyed hashes of both, plus
a prefix, so the database can find a name without ever holding it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from kinga.lib.crypto import keyed_hash

PREFIX_LENGTH = 4
# A person's first parts that get pair tokens (all their pairs: 8 parts give 28 tokens).
MAX_PAIRED_PARTS = 8

# Connecting words that are not part of anyone's name: "Ali bin Said", "Kahindi wa Katana".
CONNECTORS = frozenset({"bin", "binti", "bint", "ibn", "wa", "ya"})

# Particles written either apart or joined to the next part: "Abdul Rahman" and
# "Abdulrahman", "Mwana Juma" and "Mwanajuma", "Abu Bakar" and "Abubakar".
JOINING_PARTICLES = frozenset({"abdul", "abdi", "abdu", "abd", "abdel", "mwana", "abu", "al", "el"})

# One name, several Swahili/English spellings. The first is the canonical form; all go
# through the spelling rules first, so only differences those rules miss are listed.
VARIANTS: tuple[tuple[str, ...], ...] = (
    (
        "mohamed",
        "muhammad",
        "mohamad",
        "muhamad",
        "mohammad",
        "muhamed",
        "mohamedi",
        "muhamadi",
        "mohd",
    ),
    ("fatuma", "fatma", "fatima", "fatouma", "fatimah", "fatume"),
    ("abdalla", "abdullah", "abdulla", "abdala"),
    ("omar", "omari", "umar", "umari", "omer"),
    ("ali", "aly", "alli"),
    ("hussein", "husein", "hussain", "husain", "husen", "huseni", "husseini"),
    ("khadija", "kadija", "hadija", "khadidja", "hadidja"),
    ("swaleh", "saleh", "salehe", "swalehe", "salih", "swalih"),
    ("rukia", "rukiya", "rukaiya", "rukayya"),
    ("zainabu", "zainab", "zeinab", "zeinabu", "zenab", "zaynab", "zenabu"),
    ("hamisi", "hamis", "khamis", "khamisi"),
    ("said", "saidi", "saeed", "saed"),
    ("bakari", "bakar", "bakary"),
    ("rashid", "rashidi", "rachid", "rasheed"),
    ("salim", "salimu", "selim", "saleem"),
    ("hassan", "hasan", "hasani", "hassani"),
    ("athumani", "athuman", "athman", "othman", "osman", "uthman", "othmani", "usman"),
    ("ramadhani", "ramadhan", "ramadan", "ramathan", "ramadani"),
    ("shabani", "shaban", "shaaban", "chaban"),
    ("juma", "jumaa", "jumah"),
    ("amina", "aminah", "ameena"),
    ("halima", "halimah", "haleema"),
    ("rehema", "rehma", "rahema"),
    ("mwanaisha", "mwanaesha", "mwanaaisha", "mwanaysha"),
    ("aisha", "aysha", "ayesha", "aishah"),
    ("kazungu", "kazungo"),
    ("yusuf", "yusufu", "yussuf", "yousuf", "yousef", "yusuph"),
    ("ibrahim", "ibrahimu", "ebrahim", "ibrahiim"),
    ("ismail", "ismaili", "ismael", "ismaila"),
    ("suleiman", "sulaiman", "suleman", "selemani", "sulemani", "suleimani", "sleiman"),
    ("mariam", "mariamu", "maryam", "maryamu"),
    ("mwanajuma", "mwanajumaa"),
    ("abdulrahman", "abdurahman", "abdirahman", "abdelrahman", "abdurrahman"),
    ("abubakar", "abubakari", "abubaker", "aboubakar"),
    ("mahmoud", "mahmud", "mahmood"),
    ("musa", "mussa", "moussa"),
    ("issa", "isa", "eissa"),
    ("idd", "iddi", "id", "eid"),
    ("mwalimu", "mwalim"),
    ("shukuru", "shukru", "shukur"),
)

_VOWELS = "aeiou"
_PUNCTUATION = re.compile(r"['\u2018\u2019\u02bc`´.]")
_SEPARATORS = re.compile(r"[^a-z]+")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _spell(part: str) -> str:
    """Apply the spelling rules (no variant table) to one lower-case ASCII name part."""
    text = re.sub(r"(.)\1+", r"\1", part)  # Saadi -> Sadi, Mohammed -> Mohamed
    if len(text) > 2 and text.endswith("h") and text[-2] in _VOWELS:
        text = text[:-1]  # Fatumah -> Fatuma, Abdallah -> Abdalla
    if len(text) > 2 and text.endswith("y") and text[-2] not in _VOWELS:
        text = text[:-1] + "i"  # Aly -> Ali
    # Abd-al-, Abdel-, Abdi-, Abdu- before a consonant are all "servant of": Abdirahman.
    text = re.sub(r"^abd(?:ul|el|al|il|i|u|ou)?(?=[^aeiou])", "abdul", text)
    return text


def _build_variants() -> dict[str, str]:
    table: dict[str, str] = {}
    for group in VARIANTS:
        canonical = _spell(group[0])
        for variant in group:
            table[_spell(variant)] = canonical
    return table


_VARIANT_OF = _build_variants()


def _ascii_lower(text: str) -> str:
    text = _strip_accents(text).casefold()
    text = _PUNCTUATION.sub("", text)  # Sa'id -> said, not "sa id"
    return text


def name_parts(text: str) -> list[str]:
    """Return the normalised parts of a full name, particles joined, connectors dropped."""
    raw = [part for part in _SEPARATORS.split(_ascii_lower(text)) if part]
    parts: list[str] = []
    index = 0
    while index < len(raw):
        part = raw[index]
        if part in CONNECTORS and parts:
            index += 1
            continue
        if part in JOINING_PARTICLES and index + 1 < len(raw):
            part = part + raw[index + 1]
            index += 1
        parts.append(normalise_name_part(part))
        index += 1
    return [part for part in parts if part]


def normalise_name_part(part: str) -> str:
    """Return the spelling-level form of one name part: `Mohammed` -> `mohamed`."""
    text = "".join(ch for ch in _ascii_lower(part) if "a" <= ch <= "z")
    text = _spell(text)
    return _VARIANT_OF.get(text, text)


def normalise_name(text: str) -> str:
    """Return the normalised parts of a full name joined by spaces."""
    return " ".join(name_parts(text))


# Sound rules, in order, applied to a normalised part.
_SOUND_RULES: tuple[tuple[str, str], ...] = (
    (r"kh", "h"),
    (r"gh", "g"),
    (r"sh", "s"),
    (r"dh", "d"),
    (r"th", "t"),
    (r"ph", "f"),
    (r"dz", "z"),  # Mijikenda dz: Kadzo/Kazo, Dzombo/Zombo
    (r"ck", "k"),
    (r"q", "k"),
    (r"c(?!h)", "k"),
    (r"x", "ks"),
    (r"ou", "u"),
    (r"[ae]in", "en"),  # Hussein/Hussain, Zeinab/Zainab (but Said stays two syllables)
    (r"iy(?=[aeiou])", "i"),  # Rukiya -> Rukia
    (r"y$", "i"),
    (r"^sw(?=a)", "s"),  # Swaleh/Saleh, Swafiya/Safiya
    (r"o", "u"),  # Omar/Umar
    (r"e", "i"),  # Selim/Salim-style e/i
)


def phonetic_key(part: str) -> str:
    """Return a sound-level key of one name part, tolerant of transliteration.

    `Khamisi` and `Hamis`, `Omari` and `Umar`, `Kazungo` and `Kazungu` share a key.
    """
    text = normalise_name_part(part)
    for pattern, replacement in _SOUND_RULES:
        text = re.sub(pattern, replacement, text)
    text = re.sub(r"(.)\1+", r"\1", text)
    # An epenthetic final -i/-u after a consonant: Omari/Omar, Hamisi/Hamis.
    if len(text) > 3 and text[-1] in "iu" and text[-2] not in _VOWELS:
        text = text[:-1]
    if len(text) > 1 and text.endswith("h"):
        text = text[:-1]
    return text


def exact_token(part: str) -> str:
    """Return the keyed token of the part's normalised spelling."""
    return keyed_hash(part, purpose="name-exact")


def phonetic_token(part: str) -> str:
    """Return the keyed token of the part's phonetic key."""
    return keyed_hash(phonetic_key(part), purpose="name-phonetic")


def prefix_token(part: str) -> str:
    """Return the keyed token of the first PREFIX_LENGTH characters of the normalised part."""
    return keyed_hash(part[:PREFIX_LENGTH], purpose="name-prefix")


def pair_token(first: str, second: str) -> str:
    """Return the keyed token of two normalised parts' phonetic keys, in either order."""
    keys = sorted((phonetic_key(first), phonetic_key(second)))
    return keyed_hash(" ".join(keys), purpose="name-pair")


def pair_tokens(parts: Iterable[str]) -> set[str]:
    """Return the pair tokens of every two of the first MAX_PAIRED_PARTS parts.

    A query of two names ("Fatuma Charo") then starts from the few persons holding both,
    instead of merging the long lists of everyone called Fatuma and everyone called Charo.
    A name given twice ("Katana Katana") pairs with itself.
    """
    chosen = list(parts)[:MAX_PAIRED_PARTS]
    return {
        pair_token(first, second)
        for index, first in enumerate(chosen)
        for second in chosen[index + 1 :]
    }


def name_tokens(names: Iterable[str]) -> set[str]:
    """Return every search token for a person's names (given, family, other, aliases).

    For each normalised part: its exact token, its phonetic token and its prefix token;
    and a pair token for every two parts.
    """
    tokens: set[str] = set()
    all_parts: list[str] = []
    for name in names:
        for part in name_parts(name or ""):
            tokens.add(exact_token(part))
            tokens.add(phonetic_token(part))
            tokens.add(prefix_token(part))
            all_parts.append(part)
    return tokens | pair_tokens(all_parts)


def query_tokens(text: str) -> list[tuple[str, frozenset[str], frozenset[str]]]:
    """Return, for each part of a query, (part, exact-level tokens, phonetic-level tokens).

    A short part (no longer than the prefix) may be the start of a name: its prefix token
    is searched alongside, so "Kahi" finds "Kahindi".
    """
    result: list[tuple[str, frozenset[str], frozenset[str]]] = []
    for part in name_parts(text):
        exact = {exact_token(part)}
        if len(part) <= PREFIX_LENGTH:
            exact.add(prefix_token(part))
        result.append((part, frozenset(exact), frozenset({phonetic_token(part)})))
    return result


def name_lineage(text: str) -> tuple[list[str], list[str]]:
    """Return a name's own normalised parts and its father's, split at `bin`/`binti`/`wa`.

    "Mwanaisha binti Said" is (["mwanaisha"], ["said"]): Said is her father's name, not a
    family name she carries; "Kahindi wa Katana" is (["kahindi"], ["katana"]). A name with
    no connector is all its own parts; a name that starts with one ("binti Said") is all
    its father's.
    """
    raw = [part for part in _SEPARATORS.split(_ascii_lower(text)) if part]
    own: list[str] = []
    father: list[str] = []
    target = own
    index = 0
    while index < len(raw):
        part = raw[index]
        if part in CONNECTORS:
            target = father
            index += 1
            continue
        if part in JOINING_PARTICLES and index + 1 < len(raw):
            part = part + raw[index + 1]
            index += 1
        normal = normalise_name_part(part)
        if normal:
            target.append(normal)
        index += 1
    return own, father
