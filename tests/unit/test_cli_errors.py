"""Every command as a new user meets it: no stack, no credentials or a profile that does not exist,
files that are not what they should be, bad option values. Each failure is one line on standard
error, ``error: <what to fix>``, with the exit code its ``--help`` documents, and never a traceback
(README "Admin commands"; the exit codes are each command's ``--help`` epilog).

Run in process (``main(argv)``) in an empty directory with no AWS configuration, so nothing here
reaches a network or a running stack.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import iam_policies.__main__ as iam_cli
import webapp.__main__ as webapp_cli

NO_STACK = "no AWS credentials found"

# (id, program, arguments, extra environment, exit code, a fragment of the one line)
CASES: list[tuple[str, str, list[str], dict[str, str], int, str]] = [
    # python -m webapp: 1 could not do what was asked, 2 bad arguments or settings
    ("tables-no-stack", "webapp", ["tables", "list"], {}, 1, NO_STACK),
    ("tables-wrong-profile", "webapp", ["tables", "list"], {"AWS_PROFILE": "nope"}, 1,
     "The config profile (nope) could not be found"),
    ("tables-unknown-option", "webapp", ["tables", "list", "--profile", "x"], {}, 2,
     "unrecognized arguments: --profile x"),
    ("tables-bad-action", "webapp", ["tables", "drop"], {}, 2, "invalid choice: 'drop'"),
    ("top-no-stack", "webapp", ["top", "--once"], {}, 1, NO_STACK),
    ("top-wrong-profile", "webapp", ["top", "--once"], {"AWS_PROFILE": "nope"}, 1, "(nope) could not be found"),
    ("users-no-idp", "webapp", ["users", "list"], {}, 1, "no dev identity provider in"),
    ("users-data-dir-is-a-file", "webapp", ["users", "list", "--data-dir", "{file}"], {}, 1,
     "cannot use {file}/idp/users.json: Not a directory"),
    ("idp-keys-no-idp", "webapp", ["idp-keys", "list"], {}, 1, "no dev identity provider keys at"),
    ("audit-no-log", "webapp", ["audit"], {}, 1, "no audit log at data/audit.jsonl"),
    ("audit-bad-since", "webapp", ["audit", "--since", "yesterday"], {}, 2, "wants an ISO-8601 time"),
    ("dev-token-bad-claim", "webapp", ["dev-token", "alice", "--claim", "x"], {}, 2, "expected NAME=JSON"),
    ("serve-bad-port", "webapp", ["serve", "--port", "eighty"], {}, 2, "argument --port: invalid int value"),
    ("bad-setting", "webapp", ["tables", "list"], {"WEBAPP_PORT": "eighty"}, 2,
     "WEBAPP_PORT must be a whole number, not 'eighty'"),
    # the table jobs: 1 stopped part way, 2 bad input or an AWS error (nothing changed)
    ("export-no-stack", "webapp", ["export", "T", "--to", "out"], {}, 2, NO_STACK),
    ("export-wrong-profile", "webapp", ["export", "T", "--to", "out"], {"AWS_PROFILE": "nope"}, 2,
     "(nope) could not be found"),
    ("export-no-to", "webapp", ["export", "T"], {}, 2, "the following arguments are required: --to"),
    ("export-zero-segments", "webapp", ["export", "T", "--to", "o", "--segments", "0"], {}, 2, "must be at least 1"),
    ("import-no-stack", "webapp", ["import", "dir", "--table", "T"], {}, 2, NO_STACK),
    ("backfill-bad-set", "webapp", ["backfill", "T", "--set", "bad"], {}, 2, "write NAME=VALUE"),
    ("backfill-nothing-to-do", "webapp", ["backfill", "T"], {}, 2, "say what to change"),
    ("backfill-script-not-python", "webapp", ["backfill", "T", "--script", "{file}"], {}, 2, "the script is not Python"),
    ("backfill-script-exits", "webapp", ["backfill", "T", "--script", "exits.py"], {}, 2, "called exit(3) while loading"),
    # python -m iam_policies: 2 bad input or an AWS error
    ("plan-no-stack", "iam_policies", ["plan"], {}, 2, NO_STACK),
    ("plan-wrong-profile", "iam_policies", ["plan"], {"AWS_PROFILE": "nope"}, 2, "(nope) could not be found"),
    ("plan-bad-account", "iam_policies", ["plan", "--account", "abc"], {}, 2, "12 digits"),
    ("lint-missing-file", "iam_policies", ["lint", "nofile.json"], {}, 2, "cannot read nofile.json"),
    ("lint-a-directory", "iam_policies", ["lint", "."], {}, 2, "cannot read .: Is a directory"),
    ("simulate-not-json", "iam_policies", ["simulate", "{file}"], {}, 2, "is not valid JSON"),
    ("verify-not-json", "iam_policies", ["verify", "{file}"], {}, 2, "is not valid JSON"),
    ("prove-not-json", "iam_policies", ["prove", "--intent", "{file}", "user-role"], {}, 2, "is not valid JSON"),
    ("prove-limit-zero", "iam_policies", ["prove", "--intent", "user-role", "user-role", "--limit", "0"], {}, 2,
     "argument --limit: must be at least 1"),
    ("render-no-role", "iam_policies", ["render", "NoSuchRole"], {}, 2, "no role 'NoSuchRole'"),
    ("templates-no-such", "iam_policies", ["templates", "nosuch"], {}, 2, "no template or pattern 'nosuch'"),
    ("unknown-command", "iam_policies", ["bogus"], {}, 2, "invalid choice: 'bogus'"),
]


@pytest.fixture
def new_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, no AWS configuration, no WEBAPP_* settings."""
    import os

    for name in list(os.environ):
        if name.startswith(("AWS_", "WEBAPP_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role to look for
    monkeypatch.chdir(tmp_path)
    (tmp_path / "not-json.txt").write_text("x = (\n")
    (tmp_path / "exits.py").write_text("raise SystemExit(3)\n")
    return tmp_path


@pytest.mark.parametrize(("program", "argv", "env", "code", "fragment"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_a_failure_is_one_line_with_the_documented_exit_code(
        new_user: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        program: str, argv: list[str], env: dict[str, str], code: int, fragment: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    file = "not-json.txt"
    main = webapp_cli.main if program == "webapp" else iam_cli.main
    try:
        got = main([a.replace("{file}", file) for a in argv])
    except SystemExit as stopped:  # argparse's own exit, after our one-line message
        got = int(stopped.code or 0)
    out = capsys.readouterr()
    assert got == code, out.err
    assert out.err.count("\n") == 1 and out.err.startswith("error: "), out.err
    assert fragment.replace("{file}", file) in out.err
    assert "Traceback" not in out.err and out.out == ""
    assert not (new_user / "data").exists()  # a failed command makes no stack or provider as a side effect


def _help(main: object, name: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        main([name, "--help"])  # type: ignore[operator]
    assert stopped.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(("main", "name"),
                         [(webapp_cli.main, n) for n in webapp_cli.COMMANDS]
                         + [(iam_cli.main, n) for n in iam_cli.COMMANDS],
                         ids=[f"webapp-{n}" for n in webapp_cli.COMMANDS] + [f"iam_policies-{n}" for n in iam_cli.COMMANDS])
def test_every_command_documents_its_exit_codes_in_help(main: object, name: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(_help(main, name, capsys).split())
    assert "exit codes:" in text and " 0 " in text and " 2 " in text, text[-400:]


@pytest.mark.parametrize("words", [["users", "add"], ["users", "list"], ["idp-keys", "--data-dir", "d", "rotate"]])
def test_sub_commands_document_the_exit_codes_too(words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        webapp_cli.main([*words, "--help"])
    assert stopped.value.code == 0
    assert "exit codes:" in capsys.readouterr().out
