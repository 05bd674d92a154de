"""How a job command ends when it is stopped: Ctrl-C is one line naming --resume and exit 1,
wherever in the job it lands (CI saw a Ctrl-C that landed after the segments had finished end
as a bare exit 130 with nothing said)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pytest

from webapp.jobs.cli.common import run_job
from webapp.jobs.segments import Interrupted


def stopped_during_the_segments() -> None:
    raise Interrupted()


def stopped_while_finishing() -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize("job", [stopped_during_the_segments, stopped_while_finishing])
def test_a_stopped_job_says_how_to_finish_it(job: Callable[[], None], capsys: pytest.CaptureFixture[str]) -> None:
    code = run_job(job, lambda result: {}, lambda result: "", argparse.Namespace())
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "--resume" in err and "Traceback" not in err
