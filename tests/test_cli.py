"""The `wegwijs` command line as an operator uses it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from fakes.bot_api import FakeBotAPI

TOKEN = "654321:CLI-secret-token"
PASSWORD = "pa55-w0rd%40db"  # URL-encoded "pa55-w0rd@db"
# Port 1 on the loopback address: nothing listens, so the connection is refused at once.
UNREACHABLE_DB = f"postgresql+asyncpg://wegwijs:{PASSWORD}@127.0.0.1:1/wegwijs"


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEGWIJS_")}
    env.update({"WEGWIJS_DATA_DIR": str(tmp_path), **extra})
    return env


async def wegwijs(tmp_path: Path, *args: str, **extra: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=tmp_path, env=env_for(tmp_path, **extra),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_run_without_a_token_explains_botfather(tmp_path: Path) -> None:
    code, _out, err = await wegwijs(tmp_path, "run")
    assert code == 2
    assert "@BotFather" in err and "wegwijs chat" in err and "WEGWIJS_BOT_TOKEN" in err


async def test_db_upgrade_and_roles(tmp_path: Path) -> None:
    code, out, _ = await wegwijs(tmp_path, "db", "upgrade")
    assert code == 0 and "up to date" in out
    assert (tmp_path / "wegwijs.db").exists()
    code, out, _ = await wegwijs(tmp_path, "roles", "list")
    assert code == 0 and "Nobody has a role yet" in out
    code, out, _ = await wegwijs(tmp_path, "roles", "grant", "--telegram-id", "777",
                                 "--role", "coordinator", "--municipality", "leiden")
    assert code == 0 and "Granted coordinator in leiden to 777" in out
    code, out, _ = await wegwijs(tmp_path, "roles", "grant", "--telegram-id", "777",
                                 "--role", "coordinator", "--municipality", "leiden")
    assert code == 0 and "already" in out
    code, out, _ = await wegwijs(tmp_path, "roles", "list")
    assert "777\tcoordinator\tleiden" in out
    code, _, err = await wegwijs(tmp_path, "roles", "grant", "--telegram-id", "1",
                                 "--role", "coordinator", "--municipality", "atlantis")
    assert code != 0 and "unknown municipality" in err


async def test_roles_revoke(tmp_path: Path) -> None:
    grant = ("--telegram-id", "778", "--role", "sleutelpersoon", "--municipality", "leiden")
    code, _, err = await wegwijs(tmp_path, "roles", "revoke", *grant)
    assert code == 1 and "nothing to revoke" in err and "roles list" in err
    await wegwijs(tmp_path, "roles", "grant", *grant)
    await wegwijs(tmp_path, "roles", "grant", "--telegram-id", "778", "--role", "coordinator",
                  "--municipality", "leiden")
    code, out, _ = await wegwijs(tmp_path, "roles", "revoke", *grant)
    assert code == 0 and "Revoked sleutelpersoon in leiden from 778" in out
    code, out, _ = await wegwijs(tmp_path, "roles", "list")
    assert "778\tcoordinator\tleiden" in out and "sleutelpersoon" not in out  # only that one
    code, _, err = await wegwijs(tmp_path, "roles", "revoke", *grant)
    assert code == 1 and "nothing to revoke" in err


async def test_an_unreachable_database_is_one_clean_line_without_the_password(
        tmp_path: Path) -> None:
    # At DEBUG the traceback is logged as well, through the redacting log records.
    for command, level in ((("db", "upgrade"), "INFO"), (("roles", "list"), "DEBUG")):
        code, out, err = await wegwijs(tmp_path, *command, WEGWIJS_DATABASE_URL=UNREACHABLE_DB,
                                       WEGWIJS_LOG_LEVEL=level)
        assert code == 1, (command, out, err)
        assert "Cannot use the database postgresql+asyncpg://wegwijs:***@127.0.0.1:1/wegwijs" \
            in err and "Connect call failed" in err
        assert ("Traceback" in err) == (level == "DEBUG"), err
        for secret in (PASSWORD, "pa55-w0rd@db", "pa55-w0rd"):
            assert secret not in out + err, command


async def test_run_serves_telegram_through_the_configured_api_url(tmp_path: Path) -> None:
    """`wegwijs run` as its own process, pointed at a local Bot API server."""
    async with FakeBotAPI() as api:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path,
            env=env_for(tmp_path, WEGWIJS_BOT_TOKEN=TOKEN, WEGWIJS_LOG_LEVEL="DEBUG",
                        WEGWIJS_TELEGRAM_API_URL=api.base_url),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            api.user_message(4242, "/start", language_code="ti")
            [picker] = await api.next_messages(4242, timeout=30)
            assert "ትግርኛ" in str(picker.buttons)
        finally:
            process.send_signal(signal.SIGINT)
            _out, err = await asyncio.wait_for(process.communicate(), 30)
        logs = err.decode()
        assert "serving Telegram as @wegwijs_test_bot" in logs
        assert TOKEN not in logs and TOKEN.split(":")[1] not in logs
        assert not api.errors, api.dump()


async def test_content_freshness_lists_what_is_due_without_failing(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "flows").mkdir(parents=True)
    (content / "knowledge").mkdir()
    (content / "flows" / "old.yaml").write_text("id: old\nlast_checked: 2020-01-01\n",
                                                encoding="utf-8")
    code, out, _ = await wegwijs(tmp_path, "content", "freshness",
                                 WEGWIJS_CONTENT_DIR=str(content))
    assert code == 0
    assert "flows/old.yaml:2: last checked on 2020-01-01" in out and "1 item(s) due" in out


async def test_outbox_status_shows_counts_and_failed_rows(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bot.domain import outbox
    from bot.storage.database import Database

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'wegwijs.db'}")
    await database.migrate()
    now = datetime.now(UTC)
    async with database.uow() as uow:
        person = await uow.people.add(5, 5, now)
        for key in ("a", "b"):
            await uow.outbox.add(outbox.Outgoing(person.id, outbox.Kind.RELAY,
                                                 outbox.Message("secret text"), key), now)
        [first, _] = await uow.outbox.claim_due(now, 10)
        await uow.outbox.end(first.id, outbox.Status.FAILED, now, "Bad Request: too long")
        await uow.commit()
    await database.dispose()
    code, out, _ = await wegwijs(tmp_path, "outbox", "status")
    assert code == 0
    assert "relay         failed             1" in out and "pending            1" in out
    assert "Bad Request: too long" in out and "secret text" not in out


async def test_audit_shows_every_municipality_and_refusals_aimed_at_none(
        tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bot.domain import audit
    from bot.storage.database import Database

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'wegwijs.db'}")
    await database.migrate()
    now = datetime.now(UTC)
    async with database.uow() as uow:
        await uow.audit.add(audit.Entry(now, 77, audit.Act.INVITATION_OPEN, False, "",
                                        None, audit.Reason.FORGED))
        await uow.commit()
    await database.dispose()
    code, out, _ = await wegwijs(tmp_path, "audit")
    assert code == 0 and "\t77\t" in out and "refused (forged)" in out


def test_translate_status_says_when_machine_translation_is_not_installed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the [translate] extra (as `make test` runs on a clean clone) the bot works as
    before and `wegwijs translate status` says what to install; nothing is imported."""
    from typer.testing import CliRunner

    from bot import cli_translate
    from bot.cli import app

    monkeypatch.setenv("WEGWIJS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(cli_translate, "extra_installed", lambda: {
        "argostranslate": False, "ctranslate2": False, "sentencepiece": False})
    result = CliRunner().invoke(app, ["translate", "status"])
    assert result.exit_code == 0
    assert "Machine translation is not installed: the bot works without it." in result.output
    assert "pip install '.[translate]'" in result.output
    assert "No models installed" in result.output
    assert "missing    ar→en ar→nl ar→ti en→ar" in result.output
