"""Issue 22 point 5: every exception to ruff's security rules says why, in place.

The check (`kinga.lib.noqa_check`, a step of `make check`) must fail on a bare `noqa: S...`,
a blanket `noqa` and an unexplained ruff ignore of an `S` rule, pass when each carries its
reason, and the repository itself must be clean.
"""

from __future__ import annotations

from pathlib import Path

from kinga.lib.noqa_check import check, check_pyproject, check_source, main

SQL = 'cursor.execute(f"SELECT * FROM {table}")'


def test_a_bare_security_noqa_fails() -> None:
    findings = check_source(f"{SQL}  # noqa: S608\n", "x.py")
    assert [(f.path, f.line) for f in findings] == [("x.py", 1)]
    assert "S608" in findings[0].problem


def test_a_reason_after_the_codes_or_on_the_line_above_passes() -> None:
    assert check_source(f"{SQL}  # noqa: S608  # the model's own table name\n", "x.py") == []
    assert (
        check_source(f"# the model's own table name, no input\n{SQL}  # noqa: S608\n", "x.py") == []
    )


def test_a_token_is_not_a_reason_and_another_noqa_above_is_not_one() -> None:
    assert check_source(f"{SQL}  # noqa: S608  # ok\n", "x.py")
    assert check_source(f"{SQL}  # noqa: S608 - SQL\n", "x.py")
    two = f"{SQL}  # noqa: S608\n{SQL}  # noqa: S608\n"
    assert [f.line for f in check_source(two, "x.py")] == [1, 2]


def test_a_blanket_noqa_fails_and_other_rules_are_not_its_business() -> None:
    assert check_source(f"{SQL}  # noqa\n", "x.py")
    assert check_source("import os  # noqa: F401\n", "x.py") == []
    # mixed codes: the S among them needs its reason
    assert check_source(f"{SQL}  # noqa: E501, S608\n", "x.py")


def test_noqa_inside_a_string_is_not_a_comment() -> None:
    assert check_source('TEXT = "# noqa: S608"\n', "x.py") == []


def test_pyproject_ignores_of_security_rules_need_a_comment() -> None:
    bare = (
        '[tool.ruff.lint]\nignore = ["S101"]\n[tool.ruff.lint.per-file-ignores]\n"a/*" = ["S311"]\n'
    )
    assert [f.line for f in check_pyproject(bare)] == [2, 4]
    explained = (
        '[tool.ruff.lint]\n# assert narrows types only, nothing rests on it\nignore = ["S101"]\n'
        "[tool.ruff.lint.per-file-ignores]\n"
        '"a/*" = ["S311"]  # synthetic demo data, not secrets\n"b/*" = ["E501"]\n'
    )
    assert check_pyproject(explained) == []


def test_the_command_fails_on_a_tree_with_a_bare_noqa(tmp_path: Path) -> None:
    (tmp_path / "kinga").mkdir()
    (tmp_path / "kinga" / "bad.py").write_text(f"{SQL}  # noqa: S608\n")
    assert main(["--root", str(tmp_path)]) == 1
    (tmp_path / "kinga" / "bad.py").write_text(f"{SQL}  # noqa: S608  # fixed table name\n")
    assert main(["--root", str(tmp_path)]) == 0


def test_the_repository_has_no_unexplained_security_exception() -> None:
    findings = check()
    assert findings == [], "\n".join(str(finding) for finding in findings)


def test_the_ways_round_the_check_are_closed() -> None:
    """What someone keen to silence a rule quietly might write instead."""
    # no space, another case
    assert check_source(f"{SQL}  #noqa:S608\n", "x.py")
    assert check_source(f"{SQL}  # NOQA: s608\n", "x.py")
    # the file-wide forms: with S codes and no reason, or blanket
    assert check_source("# ruff: noqa: S608\nimport os\n", "x.py")
    assert check_source("# ruff: noqa\nimport os\n", "x.py")
    assert check_source("# flake8: noqa\nimport os\n", "x.py")
    assert check_source("# ruff: noqa: S608  # generated SQL from fixed names\n", "x.py") == []
    # extend-ignore in pyproject is held to the same rule
    assert check_pyproject('[tool.ruff.lint]\nextend-ignore = ["S608"]\n')
