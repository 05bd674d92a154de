"""The number options of ``python -m webapp top`` and the jobs (export, import, backfill): what they
accept, and the one-line usage error (exit 2) for what they refuse. The texts are the ones each
command printed before ``webapp/cli/numbers.py`` gave them one parser."""

from __future__ import annotations

import argparse

import pytest

from webapp.cli import top
from webapp.jobs.cli import common


def _parser(configure: object) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cmd")
    if configure is common:
        common.add_scan(parser)
        common.add_pacing(parser, units="read")
    else:
        top.configure(parser)
    return parser


#: Per command and option: each value given -> the value parsed, or the error text.
OPTIONS = [
    (top, "--interval", {"0.5": 0.5, "3600": 3600.0, "soon": "'soon' is not a number of seconds",
                         "0.01": "must be from 0.1 to 3600 seconds"}),
    (top, "--minutes", {"1440": 1440, "1.5": "'1.5' is not a whole number of minutes",
                        "0": "must be from 1 to 1440 minutes"}),
    (top, "--top", {"100": 100, "x": "'x' is not a whole number", "101": "must be from 1 to 100"}),
    (common, "--segments", {"1": 1, "0": "must be at least 1"}),
    (common, "--page-size", {"ten": "'ten' is not a whole number"}),
    (common, "--rate", {"0.5": 0.5, "0": "must be more than 0", "fast": "'fast' is not a number"}),
]
CASES = [(command, option, given, want) for command, option, table in OPTIONS for given, want in table.items()]


@pytest.mark.parametrize(("command", "option", "given", "want"), CASES)
def test_number_option(command: object, option: str, given: str, want: object,
                       capsys: pytest.CaptureFixture[str]) -> None:
    parser = _parser(command)
    dest = option.lstrip("-").replace("-", "_")
    if isinstance(want, str):
        with pytest.raises(SystemExit) as stopped:
            parser.parse_args([option, given])
        assert stopped.value.code == 2
        assert f"argument {option}: {want}" in capsys.readouterr().err
    else:
        assert getattr(parser.parse_args([option, given]), dest) == want
