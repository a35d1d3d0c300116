"""A believable synthetic directory of coastal services (invented organisations, no people).

Idempotent: every record has a UUID derived from its name, and a second load updates in
place. Shelters' addresses are confidential.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from kinga.accounts.models import Agency
from kinga.directory.models import (
    EligibleSex,
    Location,
    LocationType,
    Organization,
    Phone,
    PhoneType,
    Schedule,
    ScheduleFrequency,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from kinga.directory.services import (
    byday_from_weekdays,
    location_places_refresh,
    search_entries_refresh,
)
from kinga.places.models import Ward

NAMESPACE = uuid.UUID("0c8f3c52-6a0e-4f43-8d7e-58e1a6b2d9a4")
T = dt.time
WEEKDAYS, EVERY_DAY, MON_SAT = 0b0011111, 0b1111111, 0b0111111
HOURS: dict[str, list[tuple[int, dt.time, dt.time]]] = {
    "24h": [(EVERY_DAY, T(0), T(0))],
    "office": [(WEEKDAYS, T(8), T(17))],
    "office_sat": [(WEEKDAYS, T(8), T(17)), (0b0100000, T(9), T(13))],
    "clinic": [(EVERY_DAY, T(7), T(19))],
    "night": [(MON_SAT, T(18), T(7))],
    "tue_thu": [(0b0001010, T(9), T(15))],
}


@dataclass
class DemoService:
    name: str
    types: list[str]
    hours: str
    description: str
    min_age: int | None = None
    max_age: int | None = None
    sex: str = EligibleSex.ANY
    fees: str = "Free of charge."
    languages: list[tuple[str, str]] = field(default_factory=lambda: [("sw", "Kiswahili")])


@dataclass
class DemoOrganization:
    name: str
    description: str
    ward: tuple[str, str, str]  # county, sub-county, ward
    place: str
    address: str
    phone: str
    services: list[DemoService]
    confidential: bool = False
    agency: str = ""
    virtual: bool = False
    offset: tuple[float, float] = (0.004, -0.003)


S = DemoService
ORGANIZATIONS = [
    DemoOrganization(
        "Salama Rescue Home",
        "A rescue home for girls who have left sexual exploitation, with schooling on site.",
        ("Kwale", "Msambweni", "Ukunda"),
        "Salama Rescue Home",
        "Plot 14, Mwamba Lane, off Ukunda-Ramisi Road",
        "+254700100201",
        [
            S(
                "Emergency rescue and safe shelter for girls",
                ["rescue_shelter"],
                "24h",
                "Rescue at any hour with police or a Children's Officer; a bed tonight, "
                "meals, clothing and a first medical check.",
                6,
                17,
                EligibleSex.FEMALE,
            ),
            S(
                "Trauma counselling at Salama",
                ["counselling"],
                "office",
                "Individual and group trauma-focused counselling for girls in residence.",
                6,
                17,
                EligibleSex.FEMALE,
            ),
        ],
        confidential=True,
        agency="Salama Rescue Home",
    ),
    DemoOrganization(
        "Coast General Hospital GBV Recovery Centre",
        "The hospital's one-stop centre for survivors of sexual and gender-based violence.",
        ("Mombasa", "Mvita", "Tononoka"),
        "GBV Recovery Centre, Casualty Wing",
        "Coast General Teaching and Referral Hospital, Moi Avenue",
        "+254700100301",
        [
            S(
                "Post-rape care: PEP, emergency contraception and PRC form",
                ["post_rape_care", "medical"],
                "24h",
                "Come within 72 hours. Examination, post-exposure prophylaxis, emergency "
                "contraception, forensic samples, and the P3 and PRC forms for the police.",
            ),
            S(
                "Paediatric examination and treatment",
                ["medical"],
                "clinic",
                "Medical care for children, with a trained paediatric nurse present.",
                0,
                17,
            ),
            S(
                "Hospital psychosocial counselling",
                ["counselling"],
                "office",
                "Follow-up counselling for survivors seen at the centre.",
            ),
        ],
        agency="Coast General Hospital GBV Recovery Centre",
    ),
    DemoOrganization(
        "Haki Pwani Legal Aid Clinic",
        "Free legal advice and representation for children and families on the coast.",
        ("Mombasa", "Mvita", "Tudor"),
        "Haki Pwani offices",
        "2nd floor, Bima House, Tudor",
        "+254700100401",
        [
            S(
                "Legal aid for child survivors",
                ["legal_aid"],
                "office_sat",
                "Advice, statements, and representation as watching brief in trafficking "
                "and sexual offences cases.",
                0,
                17,
            ),
            S(
                "Court accompaniment and witness preparation",
                ["legal_aid"],
                "office",
                "A paralegal goes with the child to court and asks for protective measures.",
                0,
                17,
            ),
        ],
        agency="Haki Pwani Legal Aid Clinic",
    ),
    DemoOrganization(
        "Pwani Child Rights Network",
        "A network of child-rights NGOs doing case management across the coast.",
        ("Mombasa", "Nyali", "Kongowea"),
        "Pwani CRN resource centre",
        "Kongowea Market Road",
        "+254700100501",
        [
            S(
                "Family tracing and reunification",
                ["family_tracing"],
                "office",
                "Tracing families in Kenya and across the border, home assessments and "
                "supported return.",
                0,
                17,
            ),
            S(
                "Support for children returning home",
                ["repatriation", "family_tracing"],
                "office",
                "Transport, escort and follow-up for children going back to their home county.",
                0,
                17,
            ),
        ],
        agency="Pwani Child Rights Network",
    ),
    DemoOrganization(
        "Tumaini Girls Initiative",
        "Education and livelihoods for girls at risk in Kilifi County.",
        ("Kilifi", "Kilifi North", "Sokoni"),
        "Tumaini centre",
        "Mnarani Road, Kilifi town",
        "+254700100601",
        [
            S(
                "Education bursaries for girls",
                ["education"],
                "office",
                "School fees, uniform and sanitary pads for girls returning to school.",
                10,
                19,
                EligibleSex.FEMALE,
            ),
            S(
                "Tailoring and hairdressing training",
                ["livelihood"],
                "office_sat",
                "Six-month courses with a start-up kit and a savings group.",
                15,
                24,
                EligibleSex.FEMALE,
            ),
            S(
                "Girls' safe space sessions",
                ["counselling"],
                "office_sat",
                "Weekly mentorship and peer support groups.",
                10,
                19,
                EligibleSex.FEMALE,
            ),
        ],
        agency="Tumaini Girls Initiative",
    ),
    DemoOrganization(
        "Child Helpline 116 Coast Desk",
        "The free national child helpline, answered in Kiswahili and English.",
        ("Mombasa", "Mvita", "Majengo"),
        "Helpline 116 (phone)",
        "",
        "116",
        [
            S(
                "Child Helpline 116",
                ["helpline"],
                "24h",
                "Call 116 free from any phone to report a child in danger or ask for advice.",
                0,
                17,
                languages=[("sw", "Kiswahili"), ("en", "English"), ("nyf", "Giryama")],
            ),
        ],
        agency="Child Helpline 116 Coast Desk",
        virtual=True,
    ),
    DemoOrganization(
        "Kilifi Safe House Trust",
        "A rescue centre for children exploited in the tourism areas of Malindi and Watamu.",
        ("Kilifi", "Malindi", "Shella"),
        "Kilifi Safe House",
        "House 7, Casuarina Close, Shella",
        "+254700100701",
        [
            S(
                "Rescue centre for exploited children",
                ["rescue_shelter"],
                "24h",
                "Emergency placement for girls and boys, up to three months.",
                5,
                17,
            ),
            S(
                "Counselling at the safe house",
                ["counselling"],
                "office",
                "Trauma counselling and play therapy for younger children.",
                5,
                17,
            ),
        ],
        confidential=True,
    ),
    DemoOrganization(
        "Bahari Boys Refuge",
        "Shelter and skills for boys leaving exploitation on the beaches.",
        ("Mombasa", "Kisauni", "Bamburi"),
        "Bahari Boys Refuge",
        "Off Mtambo Road, behind the water tank, Bamburi",
        "+254700100801",
        [
            S(
                "Shelter for boys",
                ["rescue_shelter"],
                "24h",
                "Safe accommodation for boys while their families are traced.",
                8,
                17,
                EligibleSex.MALE,
            ),
            S(
                "Motorcycle mechanics apprenticeship",
                ["livelihood"],
                "office",
                "A year's apprenticeship with partner garages.",
                15,
                22,
                EligibleSex.MALE,
            ),
        ],
        confidential=True,
    ),
    DemoOrganization(
        "Msambweni County Referral Hospital GBV Desk",
        "Post-rape care for the south coast.",
        ("Kwale", "Msambweni", "Ramisi"),
        "Msambweni Hospital, GBV desk",
        "Msambweni County Referral Hospital, Msambweni",
        "+254700100901",
        [
            S(
                "Post-rape care at Msambweni",
                ["post_rape_care", "medical"],
                "24h",
                "PEP, emergency contraception, examination and the PRC form.",
            ),
        ],
    ),
    DemoOrganization(
        "Kilifi County Hospital Recovery Centre",
        "A gender-based violence recovery centre at the county hospital.",
        ("Kilifi", "Kilifi North", "Tezo"),
        "Kilifi County Hospital",
        "Hospital Road, Kilifi",
        "+254700101001",
        [
            S(
                "Post-rape care at Kilifi",
                ["post_rape_care", "medical"],
                "24h",
                "Examination and treatment within 72 hours, day and night.",
            ),
            S(
                "Survivor counselling at Kilifi",
                ["counselling"],
                "office",
                "Short-term counselling and referral to community support.",
            ),
        ],
    ),
    DemoOrganization(
        "Malindi Sub-County Hospital GBV Unit",
        "Medical care for survivors in Malindi.",
        ("Kilifi", "Malindi", "Malindi Town"),
        "Malindi Hospital",
        "Lamu Road, Malindi",
        "+254700101101",
        [
            S(
                "Post-rape care at Malindi",
                ["post_rape_care", "medical"],
                "24h",
                "PEP and emergency care; forensic examination by the duty clinician.",
            ),
        ],
    ),
    DemoOrganization(
        "Sheria Kwanza Kwale",
        "Paralegals and advocates serving Kwale County.",
        ("Kwale", "Matuga", "Tsimba Golini"),
        "Sheria Kwanza office",
        "Kwale town, opposite the county offices",
        "+254700101201",
        [
            S(
                "Legal aid clinic, Kwale",
                ["legal_aid"],
                "office",
                "Free legal advice, help to record statements and follow cases in court.",
            ),
        ],
    ),
    DemoOrganization(
        "Usawa Legal Clinic Malindi",
        "Legal aid for women and children in Malindi and Magarini.",
        ("Kilifi", "Malindi", "Ganda"),
        "Usawa Legal Clinic",
        "Ganda Road, Malindi",
        "+254700101301",
        [
            S(
                "Legal aid and court support, Malindi",
                ["legal_aid"],
                "office_sat",
                "Representation for survivors of sexual offences; Saturday walk-in clinic.",
            ),
        ],
    ),
    DemoOrganization(
        "Moyo Safi Counselling Centre",
        "Psychosocial support for children and families.",
        ("Mombasa", "Nyali", "Frere Town"),
        "Moyo Safi Centre",
        "Links Road, Nyali",
        "+254700101401",
        [
            S(
                "Child and adolescent counselling",
                ["counselling"],
                "office_sat",
                "Trauma-focused CBT, art therapy and family sessions.",
                5,
                19,
                fees="Free for referred survivors; others pay what they can.",
            ),
            S(
                "Caregiver support groups",
                ["counselling"],
                "tue_thu",
                "Groups for parents and guardians of survivors.",
            ),
        ],
    ),
    DemoOrganization(
        "Diani Skills Hub",
        "Vocational training for young people on the south coast.",
        ("Kwale", "Msambweni", "Gombato Bongwe"),
        "Diani Skills Hub",
        "Diani Beach Road, Gombato",
        "+254700101501",
        [
            S(
                "Hospitality and catering training",
                ["livelihood"],
                "office",
                "Nine-month course with placements in hotels that have signed the child-"
                "protection code.",
                16,
                24,
            ),
            S(
                "Catch-up classes",
                ["education"],
                "office",
                "Literacy and numeracy for young people out of school.",
                12,
                20,
            ),
        ],
    ),
    DemoOrganization(
        "Elimu Kwanza Bursary Fund",
        "School bursaries for vulnerable children in Mombasa.",
        ("Mombasa", "Changamwe", "Chaani"),
        "Elimu Kwanza office",
        "Chaani Road, Changamwe",
        "+254700101601",
        [
            S(
                "Secondary school bursaries",
                ["education"],
                "office",
                "Fees and supplies for children referred by a Children's Officer.",
                12,
                19,
            ),
        ],
    ),
    DemoOrganization(
        "Coast Regional Children's Repatriation Desk",
        "Coordinates the return of children found far from home, within Kenya and abroad.",
        ("Mombasa", "Mvita", "Shimanzi/Ganjoni"),
        "Regional Children's Office",
        "Ganjoni, Mombasa",
        "+254700101701",
        [
            S(
                "Repatriation of children",
                ["repatriation"],
                "office",
                "Documents, escort and hand-over to the home county or country.",
                0,
                17,
            ),
            S(
                "Cross-border family tracing",
                ["family_tracing"],
                "office",
                "Tracing with partners in Tanzania, Uganda and Ethiopia.",
                0,
                17,
            ),
        ],
    ),
    DemoOrganization(
        "Lamu Child Protection Centre",
        "Shelter and counselling for children in Lamu County.",
        ("Lamu", "Lamu West", "Mkomani"),
        "Lamu Child Protection Centre",
        "Behind the old fort, Mkomani",
        "+254700101801",
        [
            S(
                "Temporary shelter, Lamu",
                ["rescue_shelter"],
                "24h",
                "Short stays while a safe placement is found.",
                4,
                17,
            ),
            S(
                "Counselling, Lamu",
                ["counselling"],
                "office",
                "Counselling in Kiswahili and Kiamu.",
                4,
                17,
            ),
        ],
        confidential=True,
    ),
    DemoOrganization(
        "Voi Rescue Centre",
        "A rescue centre on the Mombasa-Nairobi highway for children trafficked inland.",
        ("Taita-Taveta", "Voi", "Mbololo"),
        "Voi Rescue Centre",
        "Plot 3, Mwakingali, Voi",
        "+254700101901",
        [
            S(
                "Rescue and shelter, Voi",
                ["rescue_shelter"],
                "24h",
                "Emergency shelter for children intercepted on the highway.",
                3,
                17,
            ),
        ],
        confidential=True,
    ),
    DemoOrganization(
        "Watamu Community Safe Space",
        "A night drop-in and counselling point for children in Watamu.",
        ("Kilifi", "Kilifi North", "Watamu"),
        "Watamu Safe Space",
        "Watamu village, near the jetty",
        "+254700102001",
        [
            S(
                "Night drop-in for children",
                ["rescue_shelter"],
                "night",
                "A safe place to sleep from 6 pm to 7 am, with a meal and a counsellor.",
                8,
                17,
            ),
            S(
                "Street outreach counselling",
                ["counselling"],
                "night",
                "Counsellors on the beach front at night.",
                8,
                17,
            ),
        ],
        confidential=True,
    ),
    DemoOrganization(
        "Likoni Drop-in Centre",
        "A day and night drop-in for children at the ferry.",
        ("Mombasa", "Likoni", "Likoni"),
        "Likoni Drop-in Centre",
        "Ferry Road, Likoni",
        "+254700102101",
        [
            S(
                "Night shelter at Likoni",
                ["rescue_shelter"],
                "night",
                "Overnight shelter with a meal; children are linked to a caseworker in the "
                "morning.",
                6,
                17,
            ),
            S(
                "Drop-in counselling at Likoni",
                ["counselling"],
                "office",
                "Walk-in counselling and first aid.",
                6,
                17,
            ),
        ],
        confidential=True,
    ),
    DemoOrganization(
        "Kinango Mobile Clinic",
        "An outreach clinic for the villages of Kinango.",
        ("Kwale", "Kinango", "Kinango"),
        "Kinango Health Centre grounds",
        "Kinango town",
        "+254700102201",
        [
            S(
                "Mobile clinic, Kinango",
                ["medical"],
                "tue_thu",
                "General medical care and referral for post-rape care.",
            ),
        ],
    ),
    DemoOrganization(
        "Mariakani Family Support Centre",
        "Family strengthening in Kaloleni and Rabai.",
        ("Kilifi", "Kaloleni", "Mariakani"),
        "Mariakani Family Support Centre",
        "Mariakani, off the highway",
        "+254700102301",
        [
            S(
                "Family tracing, Mariakani",
                ["family_tracing"],
                "office",
                "Home visits and family conferences before a child returns.",
                0,
                17,
            ),
            S(
                "Parenting and family counselling",
                ["counselling"],
                "office_sat",
                "Sessions for families receiving a child home.",
            ),
            S(
                "Village savings and start-up grants",
                ["livelihood"],
                "office",
                "Small grants and savings groups for caregivers.",
                18,
                None,
            ),
        ],
    ),
]


def _id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(parts))


@transaction.atomic
def load(*, out: Callable[[str], None]) -> None:
    """Create or update the demo directory."""
    demo_services: list[Service] = []
    terms = {
        term.code: term for term in TaxonomyTerm.objects.filter(taxonomy="kinga-service-types")
    }
    for entry in ORGANIZATIONS:
        agency = Agency.objects.filter(name=entry.agency).first() if entry.agency else None
        organization, _ = Organization.objects.update_or_create(
            id=_id(entry.name),
            defaults={"name": entry.name, "description": entry.description, "agency": agency},
        )
        county, sub_county, ward_name = entry.ward
        ward = Ward.objects.select_related("sub_county").get(
            name=ward_name, sub_county__name=sub_county, sub_county__county__name=county
        )
        latitude, longitude = ward.centroid
        location = Location.objects.filter(pk=_id(entry.name, "location")).first() or Location(
            id=_id(entry.name, "location"), address_id=_id(entry.name, "address")
        )
        location.organization = organization
        location.name = entry.place
        location.location_type = LocationType.VIRTUAL if entry.virtual else LocationType.PHYSICAL
        location.confidential = entry.confidential
        location.ward = ward
        if entry.virtual:
            location.latitude = location.longitude = None
        else:
            location.latitude = round(latitude + entry.offset[0], 6)
            location.longitude = round(longitude + entry.offset[1], 6)
        location.address_1 = entry.address
        location.city = ward.sub_county.name if entry.address else ""
        location.state_province = county if entry.address else ""
        location_places_refresh(location)
        location.full_clean()
        location.save()
        Phone.objects.update_or_create(
            id=_id(entry.name, "phone"),
            defaults={
                "organization": organization,
                "number": entry.phone,
                "type": PhoneType.VOICE,
                "description": "Main line",
            },
        )
        for spec in entry.services:
            service, _ = Service.objects.update_or_create(
                id=_id(entry.name, spec.name),
                defaults={
                    "organization": organization,
                    "name": spec.name,
                    "description": spec.description,
                    "minimum_age": spec.min_age,
                    "maximum_age": spec.max_age,
                    "eligible_sex": spec.sex,
                    "fees_description": spec.fees,
                    "application_process": "Referral through Kinga, or call the number given.",
                },
            )
            service.service_types.set([terms[code] for code in spec.types])
            ServiceAtLocation.objects.update_or_create(
                id=_id(entry.name, spec.name, "at"),
                defaults={"service": service, "location": location},
            )
            for index, (mask, opens_at, closes_at) in enumerate(HOURS[spec.hours]):
                Schedule.objects.update_or_create(
                    id=_id(entry.name, spec.name, "hours", str(index)),
                    defaults={
                        "service": service,
                        "freq": ScheduleFrequency.WEEKLY,
                        "interval": 1,
                        "byday": byday_from_weekdays(mask),
                        "weekdays": mask,
                        "opens_at": opens_at,
                        "closes_at": closes_at,
                        "description": "Open 24 hours" if opens_at == closes_at else "",
                    },
                )
            for code, name in spec.languages:
                service.languages.update_or_create(
                    id=_id(entry.name, spec.name, "language", code),
                    defaults={"code": code, "name": name},
                )
            demo_services.append(service)
    search_entries_refresh(services=demo_services)
    out(f"    {len(ORGANIZATIONS)} directory organisations, {len(demo_services)} services")
