"""The import direction between the bot's two sides, read from the source with `ast`.

Data flows one way (docs/architecture.md): the chat side (bot/chat) hands work to the job side
(bot/jobs), which never reaches back up; both stand on the shared modules at the top of bot/
(models, config, texts, presets, metrics, logs), which know neither side; the engine (nst_engine)
knows nothing of the bot. Every import counts, including those inside functions and under
TYPE_CHECKING, since each one is a way back up.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

SHARED = ("models", "config", "texts", "presets", "metrics", "logs")


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(path: Path) -> list[str]:
    package = _module_name(path).split(".")
    return package if path.name == "__init__.py" else package[:-1]


def _imports(path: Path, package: list[str]) -> set[str]:
    """Every module path imports, relative imports resolved against its package."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _files(*relative: str) -> list[Path]:
    paths = []
    for name in relative:
        path = REPO_ROOT / name
        paths.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")])
    return paths


def _reaching(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    """'module imports target' for each import of a forbidden package (or a module in it)."""
    return [
        f"{_module_name(path)} imports {target}"
        for path in paths
        for target in sorted(_imports(path, _package(path)))
        if any(target == name or target.startswith(f"{name}.") for name in forbidden)
    ]


def test_the_layout_has_the_folders_this_test_guards() -> None:
    assert (REPO_ROOT / "bot" / "chat" / "__init__.py").is_file()
    assert (REPO_ROOT / "bot" / "jobs" / "__init__.py").is_file()
    assert _files("bot/jobs") and _files("nst_engine")


def test_the_job_side_never_imports_the_chat_side() -> None:
    upward = ("bot.chat", "bot.app", "bot.__main__", "bot.connection", "bot.preflight")
    assert _reaching(_files("bot/jobs"), upward) == []


@pytest.mark.parametrize("name", SHARED)
def test_the_shared_modules_import_neither_side(name: str) -> None:
    sides = ("bot.chat", "bot.jobs", "bot.app", "bot.__main__")
    assert _reaching(_files(f"bot/{name}"), sides) == []


def test_the_engine_never_imports_the_bot() -> None:
    assert _reaching(_files("nst_engine"), ("bot",)) == []


def test_the_check_sees_imports_of_every_kind(tmp_path: Path) -> None:
    """The parser itself: plain, from, relative, inside a function, under TYPE_CHECKING."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "import bot.chat.keyboards\n"
        "from ..dispatcher import Dispatcher\n"
        "if TYPE_CHECKING:\n"
        "    from bot.chat.services import Services\n"
        "def late() -> None:\n"
        "    from bot.chat import wiring\n"
    )
    found = _imports(probe, ["bot", "jobs", "store"])
    assert {
        "bot.chat.keyboards",
        "bot.jobs.dispatcher.Dispatcher",
        "bot.chat.services.Services",
        "bot.chat.wiring",
    } <= found
