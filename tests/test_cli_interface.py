"""One consistent command line: help on every option, --version, clean errors, a closed pipe is not an error."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import oncobank.cli
from oncobank.cli import app

runner = CliRunner()
TYPER_OWN = {"help", "install_completion", "show_completion"}


def _commands(group: object, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    found = []
    for name, command in getattr(group, "commands", {}).items():
        found.append(((*path, name), command))
        found.extend(_commands(command, (*path, name)))
    return found


def test_every_option_and_argument_has_help() -> None:
    missing = []
    for path, command in _commands(typer.main.get_command(app)):
        if not (command.help or "").strip():
            missing.append(" ".join(path))
        for param in command.params:  # type: ignore[attr-defined]
            if param.name not in TYPER_OWN and not (getattr(param, "help", None) or "").strip():
                missing.append(f"{' '.join(path)} {param.name}")
    assert missing == []


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("oncobank ")


def test_an_unknown_section_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["dictionary", "show", "thyroid", "--section", "labs"])
    assert result.exit_code == 1
    assert "no section 'labs'" in result.stderr and "laboratory" in result.stderr


def test_errors_have_one_shape() -> None:
    # Every message handed to fail() starts in lower case (it follows "error: "); nobody prints "error:" by hand.
    bad = []
    for path in Path(oncobank.cli.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "fail" and node.args:
                first = node.args[0]
                text = first.value if isinstance(first, ast.Constant) else (
                    first.values[0].value if isinstance(first, ast.JoinedStr) and first.values
                    and isinstance(first.values[0], ast.Constant) else "")
                if isinstance(text, str) and text[:1].isupper():
                    bad.append(f"{path.name}:{node.lineno}: {text[:40]}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("error:"):
                bad.append(f"{path.name}:{node.lineno}: prints 'error:' itself")
    assert bad == []


def test_a_closed_pipe_is_not_an_error(tmp_path: Path) -> None:
    env = {**os.environ, "ONCOBANK_HOME": str(tmp_path)}
    reader = "import sys; sys.stdin.readline()"  # reads one line, then goes away, as `head -1` does
    producer = subprocess.Popen([sys.executable, "-m", "oncobank.cli.main", "dictionary", "export", "thyroid"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    consumer = subprocess.run([sys.executable, "-c", reader], stdin=producer.stdout, check=True)
    assert producer.stdout is not None
    producer.stdout.close()
    _, stderr = producer.communicate(timeout=120)
    assert consumer.returncode == 0
    assert producer.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr and b"error" not in stderr


def test_an_unexpected_error_is_one_line_and_logged_without_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    import oncobank.cli.dictionary as dictionary_cli

    def broken(name: str) -> None:
        raise RuntimeError("Соболева 1970-05-20")  # a message that might hold patient values

    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path))
    monkeypatch.setattr(dictionary_cli, "_module", broken)
    result = runner.invoke(app, ["dictionary", "show", "thyroid"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unexpected RuntimeError")
    assert "Соболева" not in result.stderr and "Traceback" not in result.stderr
    log = (tmp_path / "logs" / "oncobank-errors.log").read_text(encoding="utf-8")
    assert "RuntimeError" in log and "dictionary.py" in log and "Соболева" not in log
    assert (tmp_path / "logs" / "oncobank-errors.log").stat().st_mode & 0o077 == 0
