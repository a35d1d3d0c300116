"""Settings from the environment: production refuses to start without its secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from kinga.lib.env import ConfigurationError, env_bool, env_int, env_list, env_secret

ROOT = Path(__file__).resolve().parent.parent
TOUCH_SETTINGS = "import django; from django.conf import settings; settings.SECRET_KEY"

PRODUCTION_SECRETS = {
    "KINGA_SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
    "KINGA_DATA_KEYS": "k1:" + "A" * 43 + "=",
    "KINGA_INDEX_KEY": "an-index-key-" + "y" * 30,
    "KINGA_AUDIT_KEYS": "a1:" + "B" * 43 + "=",
    "KINGA_BACKUP_KEYS": "b1:" + "C" * 43 + "=",
    "KINGA_ALLOWED_HOSTS": "kinga.example.org",
    "KINGA_BREAK_GLASS_REVIEWERS": "programme_reviewer",
    "KINGA_BASE_URL": "https://kinga.example.org",
}


def run(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests' Playwright fixture.
        if not key.startswith(("KINGA_", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "kinga.settings", **env})
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "kinga", *args]
    # this interpreter with the test's fixed arguments
    return subprocess.run(  # noqa: S603
        command, env=clean, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("missing", sorted(PRODUCTION_SECRETS))
def test_production_refuses_to_start_without_each_secret(missing: str, tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION_SECRETS.items() if k != missing}
    env.update(KINGA_ENV="production", KINGA_VAR_DIR=str(tmp_path))
    result = run(TOUCH_SETTINGS, env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_starts_with_every_secret(tmp_path: Path) -> None:
    env = {**PRODUCTION_SECRETS, "KINGA_ENV": "production", "KINGA_VAR_DIR": str(tmp_path)}
    result = run(TOUCH_SETTINGS, env)
    assert result.returncode == 0, result.stderr


def test_production_africastalking_needs_its_keys(tmp_path: Path) -> None:
    env = {**PRODUCTION_SECRETS, "KINGA_ENV": "production", "KINGA_VAR_DIR": str(tmp_path)}
    env["KINGA_SMS_BACKEND"] = "africastalking"
    result = run(TOUCH_SETTINGS, env)
    assert result.returncode != 0
    assert "KINGA_AT_API_KEY" in result.stderr


def test_secret_can_come_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-mounted-file-" + "z" * 40 + "\n")
    env = {k: v for k, v in PRODUCTION_SECRETS.items() if k != "KINGA_SECRET_KEY"}
    env.update(
        KINGA_ENV="production", KINGA_VAR_DIR=str(tmp_path), KINGA_SECRET_KEY_FILE=str(secret_file)
    )
    result = run(TOUCH_SETTINGS.replace("settings.SECRET_KEY", "print(settings.SECRET_KEY)"), env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("from-a-mounted-file-")


@pytest.mark.parametrize("url", ["mysql://u:p@db/kinga", "not a url at all", "postgres//x"])
def test_wrong_database_url_names_the_variable(url: str, tmp_path: Path) -> None:
    result = run(TOUCH_SETTINGS, {"DATABASE_URL": url, "KINGA_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_unknown_environment_is_refused(tmp_path: Path) -> None:
    result = run(TOUCH_SETTINGS, {"KINGA_ENV": "staging", "KINGA_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "KINGA_ENV" in result.stderr


def test_debug_is_off_by_default(tmp_path: Path) -> None:
    code = TOUCH_SETTINGS + "; print(settings.DEBUG, settings.DEMO_MODE)"
    result = run(code, {"KINGA_VAR_DIR": str(tmp_path)})
    assert result.stdout.split() == ["False", "False"]


def test_demo_mode_only_when_kinga_env_is_demo(tmp_path: Path) -> None:
    code = TOUCH_SETTINGS + "; print(settings.DEMO_MODE)"
    for env, expected in (("demo", "True"), ("development", "False")):
        result = run(code, {"KINGA_ENV": env, "KINGA_VAR_DIR": str(tmp_path)})
        assert result.stdout.strip() == expected, result.stderr
    result = run(code, {**PRODUCTION_SECRETS, "KINGA_ENV": "production"})
    assert result.stdout.strip() == "False", result.stderr


def test_check_deploy_is_clean_in_production(tmp_path: Path) -> None:
    env = {
        **PRODUCTION_SECRETS,
        "KINGA_ENV": "production",
        "KINGA_VAR_DIR": str(tmp_path),
        "KINGA_SECRET_KEY": "Zq8" + "vX3-pL9_mN2*wR7^tY5&kJ4#hG6@fD1!sA0" * 2,
    }
    result = run("", env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_env_bool_rejects_junk(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in (("1", True), ("Yes", True), ("off", False), ("", False)):
        monkeypatch.setenv("KINGA_TEST_FLAG", raw)
        assert env_bool("KINGA_TEST_FLAG") is expected
    monkeypatch.setenv("KINGA_TEST_FLAG", "maybe")
    with pytest.raises(ConfigurationError, match="KINGA_TEST_FLAG"):
        env_bool("KINGA_TEST_FLAG")
    monkeypatch.delenv("KINGA_TEST_FLAG")
    assert env_bool("KINGA_TEST_FLAG", True) is True


def test_env_int_and_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINGA_TEST_NUMBER", "twelve")
    with pytest.raises(ConfigurationError, match="KINGA_TEST_NUMBER"):
        env_int("KINGA_TEST_NUMBER", 1)
    monkeypatch.setenv("KINGA_TEST_NUMBER", "12")
    assert env_int("KINGA_TEST_NUMBER", 1) == 12
    monkeypatch.setenv("KINGA_TEST_LIST", " a.example, ,b.example ")
    assert env_list("KINGA_TEST_LIST") == ["a.example", "b.example"]


def test_env_secret_reads_name_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("s3cret\n")
    monkeypatch.delenv("KINGA_TEST_SECRET", raising=False)
    monkeypatch.setenv("KINGA_TEST_SECRET_FILE", str(path))
    assert env_secret("KINGA_TEST_SECRET") == "s3cret"
    monkeypatch.setenv("KINGA_TEST_SECRET", "direct")
    with pytest.raises(ConfigurationError, match="not both"):
        env_secret("KINGA_TEST_SECRET")
    monkeypatch.delenv("KINGA_TEST_SECRET")
    monkeypatch.setenv("KINGA_TEST_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(ConfigurationError, match="KINGA_TEST_SECRET_FILE"):
        env_secret("KINGA_TEST_SECRET")


def test_argon2_is_the_first_hasher() -> None:
    import kinga.settings as kinga_settings

    first = kinga_settings.PASSWORD_HASHERS[0]
    assert first == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_sessions_expire_when_idle() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_sqlite_runs_in_wal_with_immediate_transactions() -> None:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("SQLite only")
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert database["OPTIONS"]["timeout"] >= 5


def test_postgresql_binds_values_on_the_server_unless_told_not_to(tmp_path: Path) -> None:
    code = TOUCH_SETTINGS + "; print(settings.DATABASES['default']['OPTIONS'])"
    url = {"DATABASE_URL": "postgres://kinga@127.0.0.1:5432/kinga", "KINGA_VAR_DIR": str(tmp_path)}
    result = run(code, url)
    assert "'server_side_binding': True" in result.stdout, result.stderr
    assert "'prepare_threshold': 5" in result.stdout, result.stderr
    result = run(
        code, {**url, "KINGA_PG_SERVER_SIDE_BINDING": "false", "KINGA_PG_PREPARE_THRESHOLD": "0"}
    )
    assert "'server_side_binding': False" in result.stdout, result.stderr
    assert "'prepare_threshold': None" in result.stdout, result.stderr


def test_postgresql_connections_run_without_jit_unless_told_to(tmp_path: Path) -> None:
    code = TOUCH_SETTINGS + "; print(settings.DATABASES['default']['OPTIONS'])"
    url = {"DATABASE_URL": "postgres://kinga@127.0.0.1:5432/kinga", "KINGA_VAR_DIR": str(tmp_path)}
    assert "'options': '-c jit=off'" in run(code, url).stdout
    assert "jit" not in run(code, {**url, "KINGA_PG_JIT": "true"}).stdout


@pytest.mark.django_db
def test_a_postgresql_connection_has_jit_off() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


@pytest.mark.django_db
def test_postgresql_values_travel_apart_from_the_statement() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    import psycopg

    with connection.cursor() as cursor:
        assert not isinstance(cursor.cursor, psycopg.ClientCursor)
        tricky = "O'Brien; DROP TABLE x --"
        cursor.execute("SELECT %s::text, length(%s::text)", [tricky, tricky])
        assert cursor.fetchone() == (tricky, len(tricky))


@pytest.mark.django_db
def test_postgresql_prepares_a_statement_run_again_and_again() -> None:
    from django.db import connection

    from kinga.intake.models import Report

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    probe = "prepared-statement-probe"
    for _ in range(6):  # prepared from its fifth run on
        assert not Report.objects.filter(channel_reference=probe).exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%intake_report%channel_reference%"],
        )
        prepared = [row[0] for row in cursor.fetchall()]
    assert prepared  # the server keeps it for this connection
    assert not any(probe in statement for statement in prepared)  # the value travels apart


def test_env_example_lists_every_variable_settings_reads() -> None:
    import re

    source = (ROOT / "kinga" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|int|list|secret)\(\s*"([A-Z_0-9]+)"', source))
    listed = set(re.findall(r"^([A-Z_0-9]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read - listed == set()
