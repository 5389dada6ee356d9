"""The one redaction helper: URL passwords in any shape, and the passwords the tool knows."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from alembic_gate.shared.redact import (
    Redactor,
    config_urls,
    cut,
    mask_urls,
    redact,
    url_secrets,
)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql://app:pw@db:5432/app", "postgresql://app:***@db:5432/app"),
        ("mysql+pymysql://root:p%40ss@h/x is full", "mysql+pymysql://root:***@h/x is full"),
        # An unencoded @: everything up to the last @ is the password.
        ("at postgresql://u:p@ss@host/db.", "at postgresql://u:***@host/db."),
        ("'postgresql://u:a/b?c@host/db'", "'postgresql://u:***@host/db'"),
        (
            "postgresql://u@h/d?sslmode=require&password=hunter2&x=1",
            "postgresql://u@h/d?sslmode=require&password=***&x=1",
        ),
        ("mysql://h/d?PASSWD=x;charset=utf8", "mysql://h/d?PASSWD=***;charset=utf8"),
        (
            "at sqlite:///tmp/x.db and postgresql://u@h:5432/d",
            "at sqlite:///tmp/x.db and postgresql://u@h:5432/d",
        ),
    ],
)
def test_mask_urls_hides_passwords_only(text: str, shown: str) -> None:
    assert mask_urls(text) == shown


def test_url_secrets_as_written_and_decoded() -> None:
    assert url_secrets("postgresql://u:p%40ss@h/d") == ["p%40ss", "p@ss"]
    assert url_secrets("postgresql://u:p@ss@h/d") == ["p@ss", "p", "ss"]
    assert url_secrets("postgresql://u@h/d?password=a+b%21") == ["a+b%21", "a b!", "a+b!"]
    assert url_secrets("not a url") == []


def test_known_secrets_are_hidden_as_words_in_every_encoding() -> None:
    hide = Redactor(["s3cret/p@ss"])
    text = "pydantic: input_value='s3cret/p@ss' url=s3cret%2Fp%40ss and s3cret%2Fp%40ss."
    assert "s3cret" not in hide(text)
    # A known password that is a word hides only whole words.
    assert redact("hunters, hunter, xhunter", ["hunter"]) == "hunters, ***, xhunter"
    # Too short to hide outside URLs.
    assert redact("a pw b", ["pw"]) == "a pw b"


def test_alembic_placeholder_url_is_no_secret() -> None:
    hide = Redactor()
    hide.add_url("driver://user:pass@localhost/dbname")
    assert hide("or pass --allow-nonempty") == "or pass --allow-nonempty"


def test_env_values_are_secrets_when_their_names_say_so() -> None:
    hide = Redactor()
    hide.add_env("POSTGRES_PASSWORD", "hunter22")
    hide.add_env("POSTGRES_SERVER", "dbhost")
    hide.add_env("DATABASE_URL", "postgresql://u:topsecret@h/d")
    hide.add_env("POSTGRES_PASSWORD", "{password}")  # stands for a password known anyway
    assert hide("hunter22 dbhost topsecret {password}") == "*** dbhost *** {password}"


def test_config_urls_from_every_section(tmp_path: Path) -> None:
    ini = tmp_path / "alembic.ini"
    ini.write_text(
        "[alembic]\nscript_location = m\nsqlalchemy.url = postgresql://u:one@h/d\n"
        "[engine2]\nsqlalchemy.url = mysql://u:two%%40x@h/d\n"
    )
    assert config_urls(ini) == ["postgresql://u:one@h/d", "mysql://u:two%40x@h/d"]
    assert config_urls(tmp_path / "missing.ini") == []


@pytest.mark.parametrize("password", ["Qw:er ty", "a b+c/d@e%f#g", "x y?z&w=1"])
def test_known_secrets_are_hidden_as_sqlalchemy_renders_them(password: str) -> None:
    # A migration's exception may quote the engine's URL: SQLAlchemy 2.x percent-encodes all
    # but ' ' and '+' in the password, 1.4 only ':', '@' and '/'.
    url = sa.engine.URL.create("postgresql+psycopg", "u", password, "127.0.0.1", 5432, "db")
    rendered = url.render_as_string(hide_password=False)
    sqla14 = "".join(f"%{ord(c):X}" if c in ":@/" else c for c in password)
    hide = Redactor()
    hide.add_url(rendered.replace(" ", "%20"))
    shown = hide(f"cannot migrate {rendered}, pw={sqla14}.")
    assert shown == "cannot migrate postgresql+psycopg://u:***@127.0.0.1:5432/db, pw=***."


@pytest.mark.parametrize("end", [":", ".", ",", ");"])
def test_a_password_parameter_keeps_the_punctuation_after_the_url(end: str) -> None:
    text = f"cannot connect to postgresql://u@h/db?password=Sekret123{end} refused"
    shown = f"cannot connect to postgresql://u@h/db?password=***{end} refused"
    assert mask_urls(text) == shown
    hide = Redactor()
    hide.add_url("postgresql://u@h/db?password=Sekret123")
    assert hide(text) == shown


def test_a_password_with_blanks() -> None:
    text = "cannot migrate postgresql://u:Blank Secret 9@h:5432/db: refused"
    assert mask_urls(text) == "cannot migrate postgresql://u:***@h:5432/db: refused"
    assert url_secrets("postgresql://u:Blank Secret 9@h/db")[0] == "Blank Secret 9"
    hide = Redactor()
    hide.add_url("postgresql://u:Blank Secret 9@h/db")
    assert hide("password 'Blank Secret 9', Blank%20Secret%209") == "password '***', ***"
    # A URL without a password, followed by prose, is left as it is.
    assert mask_urls("at postgresql://h:5432 and root@h") == "at postgresql://h:5432 and root@h"


def test_escaped_forms_of_a_known_password() -> None:
    password = "Quote'd\"Sec\\ret\u00e9\n1"
    hide = Redactor([password])
    forms = [repr(password), ascii(password), json.dumps(password)]
    forms += [json.dumps(password, ensure_ascii=False), lower_hex(quote(password, safe=""))]
    for form in forms:
        assert "Quote" not in hide(f"pw={form}."), form
    assert hide("pw=" + repr(password)) == "pw='***'"


def lower_hex(text: str) -> str:
    return re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def test_secrets_learned_from_the_environment() -> None:
    hide = Redactor()
    hide.add_environ(
        {
            "PGPASSWORD": "pgpw",
            "MYSQL_PWD": "mysql-pw-1",
            "DATABASE_URL": "postgresql://u:url-secret-1@h/db",
            "APP_SECRET": "app-secret-1",
            "GITHUB_TOKEN": "ghp_0123456789",
            "SIGNING_KEY": "signing-key-1",
            "ADMIN_PW": "admin-pw-1",
            "SHORT_TOKEN": "short",  # too short to hide as a word
            "POSTGRES_PASSWORD": "postgres",  # common: would hide every "postgres"
            "PWD": "/home/runner/work",  # the current folder
            "KEYBOARD": "not-a-secret",
        }
    )
    text = (
        "pgpw mysql-pw-1 url-secret-1 app-secret-1 ghp_0123456789 signing-key-1 admin-pw-1 "
        "short postgres /home/runner/work not-a-secret"
    )
    shown = "*** *** *** *** *** *** *** short postgres /home/runner/work not-a-secret"
    assert hide(text) == shown


def test_x_arguments() -> None:
    hide = Redactor()
    hide.add_x_args(["db_password=hunter22", "url=mysql://u:topsecret@h/d", "tenant=acme-corp"])
    assert hide("hunter22 topsecret acme-corp") == "*** *** acme-corp"


def test_cut_masks_before_it_cuts() -> None:
    text = "connecting to postgresql://app:Sekret-Password-1@db/app now"
    start = text.index("Password")
    assert "Password" in text[start:]  # cut first, half the password would show
    assert cut(text, len(text) - start, end=True) == "://app:***@db/app now"
    assert cut(text, 34) == "connecting to postgresql://app:***"
    hide = Redactor(["Sekret-Password-1"])
    assert "Pass" not in cut("password Sekret-Password-1", 20, hide)


def test_arguments_of_a_command_line() -> None:
    hide = Redactor()
    hide.add_arguments(
        [
            "check",
            "--database-u=postgresql://u:joined-url-1@h/d",
            "--datab",
            "mysql://u:apart-url-2@h/d",
            "--en",
            "DB_PASSWORD=env-apart-3",
            "--env=API_TOKEN=env-joined-4",
            "-x",
            "password=x-apart-5",
            "-xsecret=x-joined-6",
            "-x",
            "tenant=acme-corp",
        ]
    )
    text = "joined-url-1 apart-url-2 env-apart-3 env-joined-4 x-apart-5 x-joined-6 acme-corp"
    assert hide(text) == "*** *** *** *** *** *** acme-corp"


def test_a_distinctive_password_is_hidden_where_it_touches_letters() -> None:
    hide = Redactor(["Sekret-123x", "qwertyuiop", "12345678", "abcdefgh"])
    assert hide("xxSekret-123xyy") == "xx***yy"
    # Words and numbers hide as whole words only: in a longer one they are something else.
    assert hide("qwertyuiops 123456789 abcdefghij") == "qwertyuiops 123456789 abcdefghij"
    assert hide("qwertyuiop 12345678 abcdefgh") == "*** *** ***"


@pytest.mark.parametrize("word", ["password", "postgres", "test", "Secret"])
def test_a_common_word_is_hidden_only_as_a_value(word: str) -> None:
    # A developer's `postgresql://app:password@localhost/app`: every `users.password`
    # in a finding hidden as a word would read `users.***`.
    hide = Redactor()
    hide.add_url(f"postgresql://app:{word}@localhost/{word}")
    finding = f"AG902: column users.{word} of the models; database {word}; {word}/x.py"
    assert hide(finding) == finding
    # Where it stands as a value it is hidden: quoted, after `=`, and in any URL.
    said = f"{{'DB_PASS': '{word}'}} PGPASSWORD={word} url=mysql://u:{word}@h/d \"{word}\""
    assert hide(said) == "{'DB_PASS': '***'} PGPASSWORD=*** url=mysql://u:***@h/d \"***\""


def test_a_password_whose_blanks_were_flattened() -> None:
    hide = Redactor(["two  blanks\tand-a-tab"])
    assert hide("[SQL: SELECT 'two blanks and-a-tab']") == "[SQL: SELECT '***']"


def test_a_secret_cut_short_in_a_quoted_value() -> None:
    # pydantic shows a settings dict in its errors as its first and last 25 characters:
    # a password near either end shows in part.
    import pydantic

    class Settings(pydantic.BaseModel):
        HOST: str

    first, last = "Hunter2-Sesame", "correct-horse-battery-staple-42"
    for given, kept in (
        ({"DB_PASS": first, "X": "y" * 30}, "Hunter2-Se"),
        ({"X": "y" * 30, "PW": last}, "battery-staple-42"),
    ):
        with pytest.raises(pydantic.ValidationError) as caught:
            Settings.model_validate(given)
        text = str(caught.value)
        assert kept in text  # cut short, but there
        shown = Redactor([first, last])(text)
        assert "Hunter" not in shown and "staple" not in shown, shown
        assert "'***..." in shown or "...***'" in shown
    redact = Redactor(["s3cretPw"])
    assert redact("'s3cr...' and '...etPw' and 's3...'") == "'***...' and '...***' and '***...'"
    # Not a secret's start or end: another word, one letter of it, no quote, no dots.
    kept_as_is = "'s4...' 's...' s3cr... '...etPwX' '...w' 's3cr'"
    assert redact(kept_as_is) == kept_as_is
