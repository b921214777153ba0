import pytest
from django.core.exceptions import ImproperlyConfigured

from docsite import env


def test_typed_helpers_read_values_and_defaults(monkeypatch) -> None:
    monkeypatch.setenv("DOCSITE_X_INT", "42")
    monkeypatch.setenv("DOCSITE_X_BOOL", "Yes")
    monkeypatch.setenv("DOCSITE_X_LIST", "a, b,,c")
    monkeypatch.delenv("DOCSITE_X_MISSING", raising=False)
    assert env.env_int("DOCSITE_X_INT", 1) == 42
    assert env.env_bool("DOCSITE_X_BOOL", False) is True
    assert env.env_list("DOCSITE_X_LIST", []) == ["a", "b", "c"]
    assert env.env_int("DOCSITE_X_MISSING", 7) == 7


@pytest.mark.parametrize(
    ("reader", "value", "message"),
    [
        (lambda: env.env_int("DOCSITE_X", 1), "many", "not an integer"),
        (lambda: env.env_int("DOCSITE_X", 1, minimum=1), "0", "at least 1"),
        (lambda: env.env_bool("DOCSITE_X", False), "maybe", "not a boolean"),
        (lambda: env.env_float("DOCSITE_X", 1.0), "fast", "not a number"),
    ],
)
def test_bad_values_fail_loudly_naming_the_variable(monkeypatch, reader, value, message) -> None:
    monkeypatch.setenv("DOCSITE_X", value)
    with pytest.raises(ImproperlyConfigured, match=f"DOCSITE_X.*{message}"):
        reader()


def test_a_secret_can_come_from_a_file(monkeypatch, tmp_path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.delenv("DOCSITE_X_SECRET", raising=False)
    monkeypatch.setenv("DOCSITE_X_SECRET_FILE", str(secret))
    assert env.env_str("DOCSITE_X_SECRET", "") == "s3cret"
    monkeypatch.setenv("DOCSITE_X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot read"):
        env.env_str("DOCSITE_X_SECRET", "")
