"""`make screens` photographs every role's home and the public form (issue 13)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from kinga.accounts.demo import ACCOUNTS
from kinga.accounts.models import Role
from kinga.dataprotection import demo as dataprotection_demo

ROOT = Path(__file__).resolve().parent.parent


def _screens_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("screens", ROOT / "tools" / "screens.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_role_has_its_home_photographed_in_both_languages() -> None:
    screens = _screens_module()
    roles_of = {username: roles for username, _f, _l, _a, roles, _c in ACCOUNTS}
    # the data protection officer is the dataprotection app's demo account
    roles_of[dataprotection_demo.USERNAME] = [Role.DATA_PROTECTION_OFFICER]
    shot = {role for username, _name, _lang in screens.HOMES for role in roles_of[username]}
    assert shot == set(Role.values)
    assert {language for _u, _n, language in screens.HOMES} == {"en", "sw"}
    assert screens.PHONE == {"width": 390, "height": 844}


def test_the_readme_shows_pictures_that_make_screens_writes() -> None:
    screens = _screens_module()
    written = {f"{name}.png" for _u, name, _l in screens.HOMES} | {"report-en.png", "report-sw.png"}
    shown = re.findall(r"docs/screens/([\w-]+\.png)", (ROOT / "README.md").read_text())
    assert shown, "the README shows no screenshot"
    for picture in shown:
        assert picture in written, picture
        assert (ROOT / "docs" / "screens" / picture).is_file(), picture
