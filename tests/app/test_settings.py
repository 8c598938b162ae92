import pytest

from app.settings import Settings


def test_every_setting_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CHAINRULE_MAX_BODY_BYTES", "1000")
    monkeypatch.setenv("CHAINRULE_RENDER_TIMEOUT_SECONDS", "2.5")
    settings = Settings.from_env()
    assert settings.max_body_bytes == 1000
    assert settings.render_timeout_seconds == 2.5
    assert settings.max_dot_processes == Settings().max_dot_processes


def test_a_bad_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("CHAINRULE_MAX_DOT_PROCESSES", "two")
    with pytest.raises(ValueError, match="CHAINRULE_MAX_DOT_PROCESSES='two' is not a valid int"):
        Settings.from_env()


def test_the_documented_defaults():
    # the numbers the issues and docs/api.md promise; a change here is a change of contract
    settings = Settings()
    assert settings.max_body_bytes == 64 * 1024
    assert settings.max_train_body_bytes == 512 * 1024
    assert settings.max_dot_processes == 2
