"""The USSD menu as a pure function of the answers so far (Africa's Talking's `text`).

Africa's Talking sends every answer of the session joined by `*` on each request, so the
screen is found by replaying the answers from the start: the same `text` always gives the
same screen and the same answers, which makes a repeated request harmless. Screens are
plain ASCII and at most 182 characters. Wording is neutral: phones are shared, and some
are seized.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

MAX_SCREEN = 182
MAX_TEXT = 400
MAX_ANSWERS = 40
MAX_MISTAKES = 3
MORE, BACK, NOT_SURE = "98", "0", "99"
# Short lists read better on a small screen; longer ones page with "98 More".
PAGE_ITEMS = 6

STEPS = ("language", "category", "county", "sub_county", "age_band", "danger", "callback")
CATEGORIES = ("sexual_exploitation", "trafficking", "online", "other")
AGE_BANDS = ("0-5", "6-11", "12-14", "15-17", "unknown")
DANGER = ("yes", "no", "unknown")

# The wording of each screen, in English; the Kiswahili is in the catalogue (the
# translations check covers it). Plain ASCII in both languages, and neutral.
MESSAGES: dict[str, str] = {
    "category": gettext_noop(
        "What is happening?\n1 Child used for sex for money\n2 Child taken or sold\n"
        "3 Online photos or chats\n4 Other harm to a child"
    ),
    "county": gettext_noop("Which county?"),
    "other_county": gettext_noop("Other county"),
    "sub_county": gettext_noop("Which area of {county}?"),
    "age_band": gettext_noop(
        "How old is the child?\n1 Under 6\n2 6 to 11\n3 12 to 14\n4 15 to 17\n5 Not sure"
    ),
    "danger": gettext_noop("Is a child in danger right now?\n1 Yes\n2 No\n3 Not sure"),
    "callback": gettext_noop("May we call this number back?\n1 Yes\n2 No"),
    "more": gettext_noop("More"),
    "back": gettext_noop("Back"),
    "not_sure": gettext_noop("Not sure"),
    "invalid": gettext_noop("Please choose a number from the list."),
    "thanks": gettext_noop(
        "Thank you, it was received. Code: {code}. If a child is in danger now call 116 or 999."
    ),
    "stopped": gettext_noop(
        "Sorry, we could not follow. What you said is kept. Dial again or call 116."
    ),
    # the screens shown before a language is chosen, or without one, say it in both
    "welcome": gettext_noop("Welcome"),
    "choose_language": gettext_noop("Choose 1 or 2"),
    "sorry": gettext_noop("Sorry, please try again later."),
}
LANGUAGES = ("en", "sw")


@lru_cache(maxsize=len(LANGUAGES))
def wording(language: str) -> dict[str, str]:
    """Return every screen's wording in `language` ("en" or "sw"), from the catalogue."""
    with translation.override(language):
        return {key: gettext(message) for key, message in MESSAGES.items()}


def both(key: str) -> str:
    """Return a wording in Kiswahili, then English: "Karibu / Welcome"."""
    return wording("sw")[key] + " / " + wording("en")[key]


def welcome() -> str:
    return f"{both('welcome')}\n1 English\n2 Kiswahili"


def ussd_sorry() -> str:
    """Return the END screen of a request that could not be stored."""
    return f"END {both('sorry')} Call 116."


@dataclass(frozen=True)
class Place:
    id: int
    name: str


@dataclass(frozen=True)
class Gazetteer:
    counties: tuple[Place, ...]
    sub_counties: dict[int, tuple[Place, ...]]


@lru_cache(maxsize=1)
def coast() -> Gazetteer:
    """Return the coastal counties and their sub-counties (reference data, loaded once)."""
    from kinga.places.models import SubCounty
    from kinga.places.selectors import coastal_counties

    counties = tuple(Place(c.pk, c.name) for c in coastal_counties().order_by("code"))
    subs: dict[int, list[Place]] = {c.id: [] for c in counties}
    for sub in SubCounty.objects.filter(county__coastal=True).order_by("name"):
        subs[sub.county_id].append(Place(sub.pk, sub.name))
    return Gazetteer(counties=counties, sub_counties={k: tuple(v) for k, v in subs.items()})


@dataclass
class Answers:
    language: str = ""
    category: str = ""
    county_id: int | None = None
    county_known: bool = False
    sub_county_id: int | None = None
    age_band: str = ""
    danger: str = ""
    callback: bool | None = None

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class Screen:
    """What to answer, and what the caller has said so far."""

    reply: str
    answers: Answers = field(default_factory=Answers)
    complete: bool = False
    ended: bool = False


def _lists(
    name: str, answers: Answers, places: Gazetteer, words: dict[str, str]
) -> tuple[tuple[Place, ...], str, str]:
    """Return the items, title and closing option of the county or sub-county list."""
    if name == "county":
        closing = f"{len(places.counties) + 1} {words['other_county']}"
        return places.counties, words["county"], closing
    county = next((c.name for c in places.counties if c.id == answers.county_id), "")
    items = places.sub_counties.get(answers.county_id or 0, ())
    return items, words["sub_county"].format(county=county), f"{NOT_SURE} {words['not_sure']}"


def _pages(
    items: tuple[Place, ...], title: str, closing: str, words: dict[str, str]
) -> list[list[int]]:
    """Split item positions into pages whose screens fit, with room for a hint and footer."""
    footer = f"\n{closing}\n{MORE} {words['more']}\n{BACK} {words['back']}"
    budget = MAX_SCREEN - len("CON ") - len(words["invalid"]) - 1 - len(title) - len(footer)
    pages: list[list[int]] = [[]]
    used = 0
    for position, item in enumerate(items):
        line = len(f"\n{position + 1} {item.name}")
        if pages[-1] and (used + line > budget or len(pages[-1]) >= PAGE_ITEMS):
            pages.append([])
            used = 0
        pages[-1].append(position)
        used += line
    return pages


def _list_screen(
    items: tuple[Place, ...], title: str, closing: str, page: int, words: dict[str, str]
) -> str:
    pages = _pages(items, title, closing, words)
    lines = [title]
    lines += [f"{position + 1} {items[position].name}" for position in pages[page]]
    if page == len(pages) - 1:
        lines.append(closing)
    if page < len(pages) - 1:
        lines.append(f"{MORE} {words['more']}")
    lines.append(f"{BACK} {words['back']}")
    return "\n".join(lines)


def _choice(value: str, count: int) -> int | None:
    """Return the 1-based choice if `value` is a number from 1 to count, else None."""
    if not value.isdigit() or len(value) > 3:
        return None
    number = int(value)
    return number if 1 <= number <= count else None


def _previous(step: int, answers: Answers) -> int:
    """Return the step before `step`, skipping the sub-county list when there was none."""
    before = step - 1
    if STEPS[before] == "sub_county" and answers.county_id is None:
        before -= 1
    return max(before, 0)


_SIMPLE = {
    "category": CATEGORIES,
    "age_band": AGE_BANDS,
    "danger": DANGER,
}


def _replay(inputs: list[str], places: Gazetteer) -> tuple[Answers, int, int, int, bool]:
    """Apply each answer in turn; return (answers, step, page, mistakes in a row, last bad)."""
    answers = Answers()
    step = page = mistakes = 0
    mistaken = False
    for raw in inputs:
        if step >= len(STEPS):
            break  # answers after the end change nothing
        value = raw.strip()
        name = STEPS[step]
        accepted = True
        if name == "language":
            choice = _choice(value, 2)
            if choice is None:
                accepted = False
            else:
                answers.language = ("en", "sw")[choice - 1]
                step += 1
        elif name in ("county", "sub_county"):
            words = wording(answers.language)
            items, title, closing = _lists(name, answers, places, words)
            pages = _pages(items, title, closing, words)
            shown = {position + 1 for position in pages[page]}
            closing_number = closing.split(" ", 1)[0]
            if value == MORE and page < len(pages) - 1:
                page += 1
            elif value == BACK and page > 0:
                page -= 1
            elif value == BACK:
                step = _previous(step, answers)
            elif value == closing_number and page == len(pages) - 1:
                if name == "county":
                    answers.county_id, answers.county_known = None, True
                    answers.sub_county_id = None
                    step += 2  # no sub-county list to ask about
                else:
                    answers.sub_county_id = None
                    step += 1
                page = 0
            elif value.isdigit() and len(value) <= 3 and int(value) in shown:
                chosen = items[int(value) - 1]
                if name == "county":
                    if answers.county_id != chosen.id:
                        answers.sub_county_id = None
                    answers.county_id, answers.county_known = chosen.id, True
                else:
                    answers.sub_county_id = chosen.id
                step += 1
                page = 0
            else:
                accepted = False
        elif value == BACK:
            step = _previous(step, answers)
            page = 0
        elif name == "callback":
            choice = _choice(value, 2)
            if choice is None:
                accepted = False
            else:
                answers.callback = choice == 1
                step += 1
        else:
            options = _SIMPLE[name]
            choice = _choice(value, len(options))
            if choice is None:
                accepted = False
            else:
                setattr(answers, name, options[choice - 1])
                step += 1
        mistaken = not accepted
        mistakes = mistakes + 1 if mistaken else 0
        if mistakes >= MAX_MISTAKES:
            break
    return answers, step, page, mistakes, mistaken


def screen_for(text: str, *, code: Callable[[], str] = str) -> Screen:
    """Return the screen to show after the answers in `text`, and those answers.

    `code()` gives the follow-up code shown on the last screen (asked for only there: it
    is a keyed hash, and most screens do not show it). Bad input never raises: it gets
    the same question again with a hint, or after repeated mistakes an END screen that
    keeps what was said.
    """
    if len(text) > MAX_TEXT or text.count("*") >= MAX_ANSWERS:
        return Screen(reply="END " + wording("sw")["stopped"], ended=True)
    places = coast()
    answers, step, page, mistakes, mistaken = _replay(text.split("*") if text else [], places)
    if mistakes >= MAX_MISTAKES:
        words = wording(answers.language or "sw")
        return Screen(reply="END " + words["stopped"], answers=answers, ended=True)
    if step >= len(STEPS):
        words = wording(answers.language)
        return Screen(
            reply="END " + words["thanks"].format(code=code()),
            answers=answers,
            complete=True,
            ended=True,
        )
    name = STEPS[step]
    if name == "language":
        body = welcome()
        if mistaken:
            body = both("choose_language") + "\n" + body.split("\n", 1)[1]
        return Screen(reply="CON " + body, answers=answers)
    words = wording(answers.language)
    if name in ("county", "sub_county"):
        items, title, closing = _lists(name, answers, places, words)
        body = _list_screen(items, title, closing, page, words)
    else:
        body = f"{words[name]}\n{BACK} {words['back']}"
    if mistaken:
        body = words["invalid"] + "\n" + body
    return Screen(reply="CON " + body, answers=answers)
