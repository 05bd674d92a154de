"""A job's checkpoint file only moves forward, however its segments' writes interleave."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from webapp.jobs.checkpoint import Checkpoint


def test_segments_recording_together_leave_every_last_state_and_no_temporary_file(tmp_path: Path) -> None:
    checkpoint = Checkpoint.new(tmp_path / "checkpoint.json", job="export", table="T", segments=6)
    checkpoint.save()

    def record(segment: int) -> None:
        for page in range(1, 41):
            checkpoint.update(segment, pages=page, items=page * 10, last_key={"pk": {"S": f"{segment}-{page}"}})

    threads = [threading.Thread(target=record, args=(s,)) for s in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    loaded = Checkpoint.load(tmp_path / "checkpoint.json", job="export")
    assert [(s.pages, s.items, s.last_key) for s in loaded.segments] == [
        (40, 400, {"pk": {"S": f"{segment}-40"}}) for segment in range(6)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.json"]
    assert (tmp_path / "checkpoint.json").stat().st_mode & 0o777 == 0o600


def test_a_document_finished_after_a_later_one_is_not_put_back(tmp_path: Path) -> None:
    """Two segments' documents, the earlier one's write finishing last: the later state stays."""
    checkpoint = Checkpoint.new(tmp_path / "checkpoint.json", job="export", table="T", segments=2)
    with checkpoint.lock:
        checkpoint.segments[0].pages = 1
        earlier = checkpoint._document()
        checkpoint.segments[1].pages = 1
        later = checkpoint._document()
    checkpoint._write(*later)
    checkpoint._write(*earlier)
    document = json.loads((tmp_path / "checkpoint.json").read_text())
    assert [s["pages"] for s in document["segments"]] == [1, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.json"]
