"""DESIGN.md's import rules, checked on the source (not by convention alone)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"

RULES = [
    # (package prefix that may import it, library)
    ("bot/transports/telegram/", "aiogram"),
    ("bot/storage/", "sqlalchemy"),
    ("bot/storage/", "alembic"),
    ("bot/translation/", "argostranslate"),
    ("bot/translation/", "ctranslate2"),
    ("bot/translation/", "sentencepiece"),
    ("bot/translation/", "lingua"),
]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


SOURCES = sorted(BOT.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(BOT.parent)))
def test_framework_imports_stay_in_their_layer(path: Path) -> None:
    relative = str(path.relative_to(BOT.parent))
    modules = imports(path)
    for allowed_prefix, library in RULES:
        if relative.startswith(allowed_prefix):
            continue
        offending = {m for m in modules if m == library or m.startswith(library + ".")}
        assert not offending, f"{relative} imports {offending}; only {allowed_prefix} may"


@pytest.mark.parametrize("path", sorted((BOT / "domain").rglob("*.py")),
                         ids=lambda p: p.name)
def test_domain_imports_nothing_but_the_standard_library_and_itself(path: Path) -> None:
    for module in imports(path):
        top = module.split(".")[0]
        assert top != "bot" or module.startswith("bot.domain"), f"{path.name} imports {module}"
        assert top not in {"aiogram", "sqlalchemy", "babel", "pydantic", "yaml", "typer",
                           "apscheduler", "argostranslate", "ctranslate2",
                           "sentencepiece", "lingua"}, f"{path.name} imports {module}"


def test_no_two_test_modules_share_a_name() -> None:
    """pytest imports test modules by their basename (rootdir-less "prepend" mode): two of
    one name break collection, and only when both are collected (CI's translate run)."""
    tests = BOT.parent / "tests"
    names = [p.name for p in tests.rglob("test_*.py")]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
