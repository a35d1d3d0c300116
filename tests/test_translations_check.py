"""The translations check fails on a missing, empty or fuzzy string and passes when current."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinga.lib.translations_check import check


def make_package(root: Path) -> Path:
    package = root / "pkg"
    app = package / "shop"
    (app / "locale" / "sw" / "LC_MESSAGES").mkdir(parents=True)
    (app / "apps.py").write_text("")
    (app / "views.py").write_text(
        "from django.utils.translation import gettext as _\nGREETING = _('Good morning')\n"
    )
    (package / "locale" / "sw" / "LC_MESSAGES").mkdir(parents=True)
    (package / "shared.py").write_text(
        "from django.utils.translation import gettext as _\nTITLE = _('Welcome')\n"
    )
    return package


def fill(po: Path, msgid: str, msgstr: str) -> None:
    text = po.read_text(encoding="utf-8")
    po.write_text(
        text.replace(f'msgid "{msgid}"\nmsgstr ""', f'msgid "{msgid}"\nmsgstr "{msgstr}"'),
        encoding="utf-8",
    )


def test_check_follows_the_catalogues(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = make_package(tmp_path)
    app_po = package / "shop" / "locale" / "sw" / "LC_MESSAGES" / "django.po"
    shared_po = package / "locale" / "sw" / "LC_MESSAGES" / "django.po"

    assert check(update=False, package=package) == 1
    assert "missing 'Good morning'" in capsys.readouterr().out

    assert check(update=True, package=package) == 1  # written, not yet translated
    assert "no Kiswahili for 'Welcome'" in capsys.readouterr().out
    assert "Good morning" in app_po.read_text() and "Good morning" not in shared_po.read_text()

    fill(app_po, "Good morning", "Habari za asubuhi")
    fill(shared_po, "Welcome", "Karibu")
    assert check(update=False, package=package) == 0

    shared_po.write_text(
        shared_po.read_text().replace('msgid "Welcome"', '#, fuzzy\nmsgid "Welcome"')
    )
    assert check(update=False, package=package) == 1
    assert "fuzzy" in capsys.readouterr().out
    fill(shared_po, "Welcome", "Karibu")
    shared_po.write_text(
        shared_po.read_text().replace('#, fuzzy\nmsgid "Welcome"', 'msgid "Welcome"')
    )

    (package / "shop" / "views.py").write_text(
        "from django.utils.translation import gettext as _\nA = _('Good morning')\nB = _('Pay')\n"
    )
    assert check(update=False, package=package) == 1
    assert "missing 'Pay'" in capsys.readouterr().out


def test_an_app_without_a_catalogue_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = make_package(tmp_path)
    other = package / "clinic"
    other.mkdir()
    (other / "apps.py").write_text("")
    (other / "models.py").write_text(
        "from django.utils.translation import gettext_lazy as _\nNAME = _('Clinic')\n"
    )
    check(update=True, package=package)
    out = capsys.readouterr().out
    assert "clinic: 1 interface strings but no catalogue" in out
    assert "Clinic" not in (package / "locale" / "sw" / "LC_MESSAGES" / "django.po").read_text()
