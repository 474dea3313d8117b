"""The command line: usage errors, --help and --version end with an exit code and a message, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tsbench import __version__
from tsbench.cli import main

COMMANDS = ["run", "report", "compare", "validate", "datasets", "models"]


def _call(argv, capsys) -> tuple[int, str]:
    try:
        main(argv)
        code = 0  # returning normally is exit status 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize(("argv", "message"), [
    ([], "Usage: tsbench"),
    (["run"], "Missing argument"),
    (["run", "exp.yaml", "--frsh"], "No such option: --frsh"),
    (["run", "exp.yaml", "--fresh", "true"], "unexpected extra argument"),
    (["nosuchcommand"], "No such command"),
    (["report", "a", "--alpha", "high"], "Invalid value for '--alpha'"),
])
def test_usage_errors_exit_2_with_a_message(argv, message, capsys):
    code, text = _call(argv, capsys)
    assert code == 2
    assert message in text
    assert "Traceback" not in text


def test_version_exits_0(capsys):
    code, text = _call(["--version"], capsys)
    assert code == 0
    assert text.strip() == f"tsbench {__version__}"


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_help_of_every_command_exits_0_without_bool_placeholders(command, capsys):
    code, text = _call([*command, "--help"], capsys)
    assert code == 0
    assert "Usage: tsbench" in text
    assert "<bool>" not in text and "Traceback" not in text


def test_run_help_shows_flags_as_flags(capsys):
    _, text = _call(["run", "--help"], capsys)
    line = next(s for s in text.splitlines() if "--fresh" in s)
    assert line.split()[0] == "--fresh" and line.split()[1] == "Recompute"


def test_typed_error_exits_2_with_one_line(tmp_path, capsys):
    code, text = _call(["validate", str(tmp_path / "absent.yaml")], capsys)
    assert code == 2
    assert text.startswith("error: experiment file") and "does not exist" in text
    assert "Traceback" not in text


def test_console_script_bare_call_exits_2():
    """As a user types it: a separate process, no argument at all."""
    done = subprocess.run([sys.executable, "-m", "tsbench"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Usage:" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
