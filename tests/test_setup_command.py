"""``ketapath setup``: a real clinic, its administrator and prescriber, from flags or prompts.

In-process (``ketapath.cli.main``) against the test database; stdin's terminal is faked.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketapath.accounts.models import Clinic, PrescriberType, Role, User
from ketapath.cli import main
from ketapath.clinic_settings.models import ClinicSetting
from ketapath.clinic_settings.readiness import first_infusion_missing
from ketapath.commands import setup

ADMIN_PASSWORD = "correct horse battery staple 1"
PRESCRIBER_PASSWORD = "another long passphrase 42"
PREFIX = "ketapath setup: "


class Stdin(io.StringIO):
    """Standard input that is, or is not, a terminal."""

    def __init__(self, tty: bool) -> None:
        super().__init__("")
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.fixture(autouse=True)
def no_terminal(monkeypatch):
    """No terminal unless a test says so: a run never waits for input."""
    monkeypatch.setattr("sys.stdin", Stdin(tty=False))


@pytest.fixture
def password_file(tmp_path) -> Path:
    path = tmp_path / "passwords"
    path.write_text(f"{ADMIN_PASSWORD}\n{PRESCRIBER_PASSWORD}\n", encoding="utf-8")
    return path


def flags(passwords: Path | str, **changes: str | None) -> list[str]:
    """``setup`` with every flag; ``changes`` replace one (``None`` leaves it out)."""
    values: dict[str, str | None] = {
        "clinic": "Sunrise Ketamine Clinic",
        "slug": "sunrise",
        "admin": "ada",
        "admin-email": "ada@example.org",
        "prescriber": "dr.pat",
        "prescriber-email": "pat@example.org",
        "password-file": str(passwords),
    }
    values.update({key.replace("_", "-"): value for key, value in changes.items()})
    argv = ["setup"]
    for flag, value in values.items():
        if value is not None:
            argv += [f"--{flag}", value]
    return argv


def counts() -> tuple[int, int]:
    return Clinic.objects.count(), User.objects.count()


def problem_lines(err: str) -> list[str]:
    lines = err.splitlines()
    assert all(line.startswith(PREFIX) for line in lines), lines
    return lines


@pytest.mark.django_db
def test_setup_from_flags_creates_the_clinic_and_its_two_staff(password_file, capsys):
    assert main(flags(password_file)) == 0
    assert capsys.readouterr().err == ""
    clinic = Clinic.objects.get(slug="sunrise")
    assert clinic.name == "Sunrise Ketamine Clinic"
    assert not clinic.is_synthetic
    admin = User.objects.get(username="ada")
    prescriber = User.objects.get(username="dr.pat")
    assert (admin.clinic, admin.role, admin.email) == (clinic, Role.ADMIN, "ada@example.org")
    assert admin.prescriber_type == ""
    assert (prescriber.clinic, prescriber.role) == (clinic, Role.PRESCRIBER)
    assert prescriber.prescriber_type == PrescriberType.PHYSICIAN
    assert admin.check_password(ADMIN_PASSWORD)
    assert prescriber.check_password(PRESCRIBER_PASSWORD)
    assert admin.is_clinic_staff and prescriber.is_clinic_staff
    assert not (admin.is_staff or admin.is_superuser or prescriber.is_staff or prescriber.is_superuser)
    # Fails closed: no safety setting is set for the new clinic.
    assert not ClinicSetting.objects.filter(clinic=clinic).exists()
    assert first_infusion_missing(clinic.pk)
    assert clinic.history.get().history_change_reason == "Created by ketapath setup"


@pytest.mark.django_db
def test_the_created_staff_sign_in_and_open_their_pages(password_file):
    assert main(flags(password_file)) == 0
    for username, password, page in (
        ("dr.pat", PRESCRIBER_PASSWORD, reverse("clinic_settings:page")),
        ("ada", ADMIN_PASSWORD, reverse("clinic_settings:readiness")),
    ):
        client = Client()
        response = client.post(reverse("login"), {"username": username, "password": password})
        assert response.status_code == 302, username
        # A clinic made by setup requires two-factor sign-in: the first page is its set-up.
        assert client.get("/")["Location"].startswith(reverse("two_factor_enrol"))
        assert client.get(reverse("two_factor_enrol")).status_code == 200
        device = TOTPDevice.objects.get(user__username=username, confirmed=False)
        code = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
        assert client.post(reverse("two_factor_enrol"), {"code": code}).status_code == 200
        assert client.get("/").status_code == 200
        assert client.get(page).status_code == 200


@pytest.mark.django_db
def test_setup_prints_what_it_created_and_the_next_steps(password_file, capsys):
    assert main(flags(password_file, prescriber_type="nurse_practitioner")) == 0
    out = capsys.readouterr().out
    assert User.objects.get(username="dr.pat").prescriber_type == PrescriberType.NURSE_PRACTITIONER
    assert "Created clinic 'Sunrise Ketamine Clinic' (slug sunrise)." in out
    assert "Created clinic administrator ada <ada@example.org>." in out
    assert "Created prescriber dr.pat <pat@example.org>, nurse practitioner." in out
    steps = out.split("Next steps:\n", 1)[1]
    assert "Sign in as the administrator ada" in steps
    assert reverse("clinic_settings:readiness") in steps
    assert reverse("clinic_settings:page") in steps
    assert "Invite the rest of the staff" in steps
    assert "ketapath readiness --clinic sunrise" in steps
    assert "Migrating" not in out


@pytest.mark.parametrize(
    "changes, lines, says",
    [
        pytest.param({"slug": "taken"}, 1, "a clinic with slug 'taken' exists already", id="existing-slug"),
        pytest.param({"admin": "Nurse.Kim"}, 1, "username 'Nurse.Kim' is taken", id="existing-username"),
        pytest.param({"prescriber": "ada"}, 1, "the same username 'ada'", id="same-username-twice"),
        pytest.param({"slug": "not a slug"}, 1, "'not a slug' is not a slug", id="bad-slug"),
        pytest.param({"admin": "ada smith"}, 1, "username 'ada smith' (administrator)", id="bad-username"),
        pytest.param(
            {"prescriber_email": "pat.example.org"},
            1,
            "'pat.example.org' (prescriber) is not an e-mail",
            id="bad-email",
        ),
        pytest.param(
            {"password_file": "missing.txt"}, 1, "missing.txt' does not exist", id="no-password-file"
        ),
        pytest.param({"clinic": "x" * 201}, 1, "at most 200 allowed", id="long-clinic-name"),
    ],
)
@pytest.mark.django_db
def test_setup_refuses_bad_input_and_creates_nothing(password_file, capsys, changes, lines, says):
    clinic = Clinic.objects.create(name="Already here", slug="taken")
    User.objects.create(username="nurse.kim", clinic=clinic, role=Role.NURSE)
    if "password_file" in changes:
        changes = {**changes, "password_file": str(password_file.parent / changes["password_file"])}
    before = counts()
    assert main(flags(password_file, **changes)) == 2
    out, err = capsys.readouterr()
    assert len(problem_lines(err)) == lines, err
    assert says in err
    assert "Created" not in out
    assert counts() == before


@pytest.mark.parametrize(
    "text, says",
    [
        pytest.param(
            "short\n" + PRESCRIBER_PASSWORD + "\n", "administrator's password is refused", id="too-short"
        ),
        pytest.param(
            ADMIN_PASSWORD + "\n123456789012345\n", "prescriber's password is refused", id="numeric"
        ),
        pytest.param(ADMIN_PASSWORD + "\npat@example.org\n", "too similar to the email", id="like-the-email"),
        pytest.param(ADMIN_PASSWORD + "\n\n   \n", "has 1 password line(s), needs 2", id="one-line"),
        pytest.param("", "has 0 password line(s), needs 2", id="empty"),
    ],
)
@pytest.mark.django_db
def test_setup_refuses_a_weak_password_or_a_short_password_file(tmp_path, capsys, text, says):
    path = tmp_path / "passwords"
    path.write_text(text, encoding="utf-8")
    before = counts()
    assert main(flags(path)) == 2
    err = capsys.readouterr().err
    assert len(problem_lines(err)) == 1, err
    assert says in err
    assert counts() == before


@pytest.mark.django_db
def test_setup_reports_every_problem_at_once(tmp_path, capsys):
    Clinic.objects.create(name="Already here", slug="taken")
    path = tmp_path / "passwords"
    path.write_text("short\nalso short\n", encoding="utf-8")
    before = counts()
    argv = flags(path, slug="taken", admin_email="nope", prescriber="ada")
    assert main(argv) == 2
    lines = problem_lines(capsys.readouterr().err)
    assert len(lines) == 5, lines  # slug taken, bad e-mail, two weak passwords, same username
    assert counts() == before


@pytest.mark.django_db
def test_missing_flags_without_a_terminal_are_a_usage_error_naming_them(password_file, capsys):
    before = counts()
    assert main(flags(password_file, admin_email=None, password_file=None)) == 2
    err = capsys.readouterr().err
    assert problem_lines(err) == [
        f"{PREFIX}missing --admin-email, --password-file (without a terminal, or with --no-input, "
        "every value comes from the flags)"
    ]
    assert counts() == before


@pytest.mark.django_db
def test_no_input_never_asks_even_at_a_terminal(monkeypatch, password_file, capsys):
    monkeypatch.setattr("sys.stdin", Stdin(tty=True))
    monkeypatch.setattr("builtins.input", lambda prompt="": pytest.fail(f"asked {prompt!r}"))
    assert main([*flags(password_file, slug=None), "--no-input"]) == 2
    assert "missing --slug" in capsys.readouterr().err


def answer(monkeypatch, lines: list[str], passwords: list[str]) -> list[str]:
    """A terminal that types ``lines`` at the prompts and ``passwords`` at the hidden ones;
    returns the prompts shown."""
    monkeypatch.setattr("sys.stdin", Stdin(tty=True))
    shown: list[str] = []
    typed, hidden = iter(lines), iter(passwords)

    def fake_input(prompt: str = "") -> str:
        shown.append(prompt)
        return next(typed)

    def fake_getpass(prompt: str = "Password: ", stream: object = None) -> str:
        shown.append(prompt)
        return next(hidden)

    monkeypatch.setattr("builtins.input", fake_input)
    monkeypatch.setattr("getpass.getpass", fake_getpass)
    return shown


@pytest.mark.django_db
def test_interactive_setup_asks_for_what_is_missing(monkeypatch, capsys):
    shown = answer(
        monkeypatch,
        # name, slug (default taken), admin, admin e-mail, prescriber, e-mail, type
        ["Harbour Clinic", "", "ada", "ada@example.org", "dr.np", "np@example.org", "nurse practitioner"],
        # the admin's: typed differently once, then the same twice; the prescriber's
        [ADMIN_PASSWORD, "typo", ADMIN_PASSWORD, ADMIN_PASSWORD, PRESCRIBER_PASSWORD, PRESCRIBER_PASSWORD],
    )
    assert main(["setup"]) == 0
    out, err = capsys.readouterr()
    assert "The two passwords differ" in err
    assert "Clinic slug (its short name, as in --clinic SLUG) [harbour-clinic]: " in shown
    assert sum("Password for the administrator ada" in p for p in shown) == 4
    clinic = Clinic.objects.get(slug="harbour-clinic")
    assert clinic.name == "Harbour Clinic"
    admin, prescriber = User.objects.get(username="ada"), User.objects.get(username="dr.np")
    assert admin.check_password(ADMIN_PASSWORD) and prescriber.check_password(PRESCRIBER_PASSWORD)
    assert prescriber.prescriber_type == PrescriberType.NURSE_PRACTITIONER
    assert prescriber.clinic == admin.clinic == clinic
    assert "Next steps:" in out


@pytest.mark.django_db
def test_interactive_setup_asks_only_for_what_the_flags_left_out(monkeypatch, password_file, capsys):
    shown = answer(monkeypatch, ["ada@example.org", ""], [])
    assert main(flags(password_file, admin_email=None)) == 0
    assert shown == [
        "Clinic administrator's e-mail address: ",
        "Prescriber type (physician or nurse_practitioner) [physician]: ",
    ]
    assert User.objects.get(username="dr.pat").prescriber_type == PrescriberType.PHYSICIAN


@pytest.mark.django_db
def test_three_mismatched_passwords_give_up_and_create_nothing(monkeypatch, capsys):
    answer(monkeypatch, ["Harbour Clinic", "harbour", "ada", "ada@example.org"], ["one", "two"] * 3)
    before = counts()
    assert main(["setup"]) == 2
    err = capsys.readouterr().err
    assert err.count("The two passwords differ") == 3
    assert err.splitlines()[-1] == f"{PREFIX}no matching password for the administrator ada after 3 tries"
    assert counts() == before


@pytest.mark.django_db
def test_interactive_setup_still_refuses_a_weak_password(monkeypatch, capsys):
    answer(
        monkeypatch,
        ["Harbour Clinic", "harbour", "ada", "ada@example.org", "dr.np", "np@example.org", ""],
        ["password1234", "password1234", PRESCRIBER_PASSWORD, PRESCRIBER_PASSWORD],
    )
    before = counts()
    assert main(["setup"]) == 2
    assert "administrator's password is refused" in capsys.readouterr().err
    assert counts() == before


@pytest.mark.django_db
def test_an_up_to_date_database_is_left_alone(monkeypatch, password_file, capsys):
    assert not setup.database_needs_migrating()
    monkeypatch.setattr(setup, "migrate", lambda alias="default": pytest.fail("migrated"))
    assert main(flags(password_file)) == 0
    assert "Migrating" not in capsys.readouterr().out


@pytest.mark.django_db
def test_a_database_behind_is_migrated_first_but_only_for_good_input(monkeypatch, password_file, capsys):
    migrated: list[str] = []
    monkeypatch.setattr(setup, "database_needs_migrating", lambda alias="default": True)
    monkeypatch.setattr(setup, "migrate", lambda alias="default": migrated.append(alias) or "done")
    assert main(flags(password_file, admin_email="nope")) == 2
    assert migrated == []
    capsys.readouterr()
    assert main(flags(password_file)) == 0
    assert migrated == ["default"]
    assert capsys.readouterr().out.startswith("Migrating the database… done (")
    assert Clinic.objects.filter(slug="sunrise").exists()
