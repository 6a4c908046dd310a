"""The README stays true: every setting is documented, the two commands are at the top."""

from pathlib import Path

from app.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert name.upper() in README, f"{name.upper()} is not in the README"


def test_readme_opens_with_the_start_and_test_commands():
    top = README[:600]
    assert "bash scripts/start.sh" in top and "bash scripts/test.sh" in top
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci and "REQUIRE_POSTGRES=1" in ci and "REQUIRE_BROWSER=1" in ci


def test_the_health_check_example_names_the_head_migration():
    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f'"migration": "{head}"' in README
