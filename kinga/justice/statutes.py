"""The statute catalogue: the offences a count on a charge sheet may cite.

Written here from the Acts' arrangement of sections (Laws of Kenya): the Counter-Trafficking
in Persons Act, 2010 (No. 8 of 2010) Part II, ss.3-10; the Sexual Offences Act, 2006 (No. 3 of
2006), the offences against children and the sexual offences that come with exploitation;
and the Children Act, 2022 (No. 29 of 2022), the protections whose breach is charged
alongside. A count stores the offence's code; the code never changes once used, so an
amended title is a new entry, never an edit.
"""

from __future__ import annotations

from dataclasses import dataclass

CTIPA = "Counter-Trafficking in Persons Act, 2010"
SOA = "Sexual Offences Act, 2006"
CHILDREN_ACT = "Children Act, 2022"


@dataclass(frozen=True)
class Offence:
    code: str
    act: str
    section: str
    title: str

    @property
    def citation(self) -> str:
        return f"s.{self.section} {self.act}"

    def __str__(self) -> str:
        return f"{self.title} (s.{self.section} {self.act})"


CATALOGUE: tuple[Offence, ...] = (
    Offence("ctipa-3", CTIPA, "3", "Trafficking in persons"),
    Offence("ctipa-4", CTIPA, "4", "Acts that promote child trafficking"),
    Offence("ctipa-5", CTIPA, "5", "Promotion of trafficking in persons"),
    Offence("ctipa-6", CTIPA, "6", "Acquisition of travel documents by fraud or misrepresentation"),
    Offence("ctipa-7", CTIPA, "7", "Facilitating entry into or exit out of the country"),
    Offence("ctipa-8", CTIPA, "8", "Interfering with travel documents and personal effects"),
    Offence("ctipa-9", CTIPA, "9", "Life threatening circumstances or death"),
    Offence("ctipa-10", CTIPA, "10", "Trafficking in persons for organized crime"),
    Offence("soa-3", SOA, "3", "Rape"),
    Offence("soa-4", SOA, "4", "Attempted rape"),
    Offence("soa-5", SOA, "5", "Sexual assault"),
    Offence("soa-6", SOA, "6", "Compelled or induced indecent acts"),
    Offence(
        "soa-7",
        SOA,
        "7",
        "Acts which cause penetration or indecent acts committed within the view of a "
        "family member, child or person with mental disabilities",
    ),
    Offence("soa-8", SOA, "8", "Defilement"),
    Offence("soa-9", SOA, "9", "Attempted defilement"),
    Offence("soa-10", SOA, "10", "Gang rape"),
    Offence("soa-11", SOA, "11", "Indecent act with child or adult"),
    Offence("soa-12", SOA, "12", "Promotion of sexual offences with a child"),
    Offence("soa-13", SOA, "13", "Child trafficking"),
    Offence("soa-14", SOA, "14", "Child sex tourism"),
    Offence("soa-15", SOA, "15", "Child prostitution"),
    Offence("soa-16", SOA, "16", "Child pornography"),
    Offence("soa-17", SOA, "17", "Exploitation of prostitution"),
    Offence("soa-18", SOA, "18", "Trafficking for sexual exploitation"),
    Offence("soa-20", SOA, "20", "Incest by male persons"),
    Offence(
        "soa-24",
        SOA,
        "24",
        "Sexual offences relating to position of authority and persons in position of trust",
    ),
    Offence("ca-22", CHILDREN_ACT, "22", "Protection from abuse, etc."),
    Offence("ca-23", CHILDREN_ACT, "23", "Protection from harmful cultural practices, etc."),
)

BY_CODE: dict[str, Offence] = {offence.code: offence for offence in CATALOGUE}


def offence_choices() -> list[tuple[str, str]]:
    """Return (code, label) for a form's choice of offence, grouped by Act in catalogue order."""
    return [(offence.code, str(offence)) for offence in CATALOGUE]


def offence_of(code: str) -> Offence | None:
    """Return the catalogue's offence for the code, or None."""
    return BY_CODE.get(code)
