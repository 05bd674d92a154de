"""The audit log (one JSON line per typed ``AuditEntry``, safe from many threads) and
``python -m webapp audit`` (filters, text table, JSON lines)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from webapp.audit import AuditEntry, AuditLog, Verdict

ROOT = Path(__file__).resolve().parents[4]

ENTRIES = [AuditEntry.from_dict(entry) for entry in [
    {"time": "2026-01-01T10:00:00.000Z", "request_id": "R1", "decision": "Allow",
     "principal": "arn:aws:sts::000000000000:assumed-role/WebUser/alice", "subject": "alice-sub",
     "source_ip": "127.0.0.1", "operation": "GetItem",
     "authorizations": [{"action": "dynamodb:GetItem",
                         "resource": "arn:aws:dynamodb:us-east-1:000000000000:table/Photos",
                         "leading_keys": ["alice-sub"], "decision": "Allow"}],
     "matched": [{"sid": "OwnItems", "statement_index": 0, "policy_type": "identity", "policy": "user",
                  "effect": "Allow"}]},
    {"time": "2026-01-01T11:00:00.000Z", "request_id": "R2", "decision": "Deny",
     "principal": "arn:aws:sts::000000000000:assumed-role/WebUser/bob", "subject": "bob-sub",
     "source_ip": "127.0.0.1", "operation": "Query", "deny_type": "implicit",
     "authorizations": [{"action": "dynamodb:Query",
                         "resource": "arn:aws:dynamodb:us-east-1:000000000000:table/Games/index/ByHost",
                         "leading_keys": ["alice-sub"], "decision": "Deny"}],
     "matched": []},
]]


def entry(n: int, **fields: object) -> AuditEntry:
    return AuditEntry(f"2026-01-01T10:00:{n % 60:02d}.000Z", f"N{n}", "dynamodb", "GetItem", Verdict.ALLOW,
                      message=json.dumps(fields))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    log = AuditLog(tmp_path / "audit.jsonl")
    for entry in ENTRIES:
        log.record(entry)
    log.close()
    return tmp_path


def audit_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "webapp", "audit", "--data-dir", str(data_dir), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_entries_are_in_the_file_when_record_returns(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    for n in range(100):
        log.record(entry(n))
        assert len((tmp_path / "audit.jsonl").read_text().splitlines()) == n + 1
    log.close()


def test_many_threads_write_whole_lines(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")

    def write(n: int) -> None:
        for i in range(200):
            log.record(entry(i, thread=n, i=i, pad="x" * 500))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 1600
    fields = [json.loads(json.loads(line)["message"]) for line in lines]
    assert {(f["thread"], f["i"]) for f in fields} == {
        (n, i) for n in range(8) for i in range(200)}


def test_logs_sharing_a_file_append_whole_lines(tmp_path: Path) -> None:
    """STS and IAM each open the log themselves when run alone: two writers of one file, each line
    whole (O_APPEND) and in the file when ``record`` returns."""
    logs = [AuditLog(tmp_path / "audit.jsonl") for _ in range(2)]

    def write(n: int) -> None:
        for i in range(200):
            logs[n % 2].record(entry(i, thread=n, i=i, pad="y" * 3000))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    for log in logs:
        log.close()
    assert sorted((f["thread"], f["i"]) for f in (json.loads(json.loads(x)["message"]) for x in lines)) == [
        (n, i) for n in range(4) for i in range(200)]


def test_log_is_private_to_its_owner(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record(entry(1))
    log.close()
    assert (tmp_path / "audit.jsonl").stat().st_mode & 0o777 == 0o600


def test_appends_across_reopen(tmp_path: Path) -> None:
    for n in (1, 2):
        log = AuditLog(tmp_path / "audit.jsonl")
        log.record(entry(n))
        log.close()
    assert [json.loads(x)["request_id"] for x in (tmp_path / "audit.jsonl").read_text().splitlines()] == ["N1", "N2"]


#: (filter arguments, request ids printed)
FILTERS = [
    ((), ["R1", "R2"]),
    (("--decision", "Deny"), ["R2"]),
    (("--decision", "allow"), ["R1"]),
    (("--principal", "alice"), ["R1"]),
    (("--subject", "bob-sub"), ["R2"]),
    (("--action", "GetItem"), ["R1"]),
    (("--action", "dynamodb:Query"), ["R2"]),
    (("--table", "Games"), ["R2"]),
    (("--table", "Gam"), []),
    (("--since", "2026-01-01T10:30:00Z"), ["R2"]),
]


@pytest.mark.parametrize("args, expected", FILTERS, ids=[" ".join(f[0]) or "all" for f in FILTERS])
def test_filters(args: tuple[str, ...], expected: list[str], data_dir: Path) -> None:
    out = audit_cli(data_dir, *args, "--format", "json")
    assert out.returncode == 0, out.stderr
    assert [json.loads(line)["request_id"] for line in out.stdout.splitlines()] == expected


def test_text_table(data_dir: Path) -> None:
    out = audit_cli(data_dir)
    assert out.returncode == 0
    header, allow, deny = out.stdout.splitlines()
    assert header.split() == ["TIME", "DECISION", "PRINCIPAL", "SUBJECT", "OPERATION", "RESOURCE", "WHY"]
    assert "WebUser/alice" in allow and "table/Photos" in allow and "by OwnItems" in allow
    assert "Deny" in deny and "implicit" in deny and "table/Games/index/ByHost" in deny


def test_bad_since_is_a_usage_error(data_dir: Path) -> None:
    out = audit_cli(data_dir, "--since", "yesterday")
    assert out.returncode == 2 and "ISO-8601" in out.stderr


def test_missing_log(tmp_path: Path) -> None:
    out = audit_cli(tmp_path)
    assert out.returncode == 1 and "no audit log" in out.stderr


@contextlib.contextmanager
def _following(data_dir: Path, *args: str) -> Iterator[Callable[[], str]]:
    """``python -m webapp audit --follow ARGS --format json`` running; yields "the request id of
    the next line it prints"."""
    process = subprocess.Popen(
        [sys.executable, "-m", "webapp", "audit", "--data-dir", str(data_dir), "--follow", *args,
         "--format", "json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout = process.stdout
    assert stdout is not None
    try:
        yield lambda: str(json.loads(stdout.readline())["request_id"])
    finally:
        process.terminate()
        process.wait(timeout=10)


def _append(data_dir: Path, *entries: AuditEntry) -> None:
    log = AuditLog(data_dir / "audit.jsonl")
    for added in entries:
        log.record(added)
    log.close()


def test_follow_prints_new_decisions(data_dir: Path) -> None:
    with _following(data_dir, "--decision", "Deny") as next_id:
        assert next_id() == "R2"
        _append(data_dir, replace(ENTRIES[0], request_id="R3"), replace(ENTRIES[1], request_id="R4"))
        assert next_id() == "R4"


def _more(data_dir: Path, count: int) -> None:
    _append(data_dir, *(replace(ENTRIES[n % 2], request_id=f"M{n}") for n in range(count)))


@pytest.mark.parametrize(("args", "expected"), [
    (("--tail", "2"), ["M2", "M3"]),
    (("--tail", "1", "--decision", "Allow"), ["M2"]),
    (("--tail", "0"), []),
    (("--limit", "3"), ["R1", "R2", "M0"]),
    (("--limit", "2", "--decision", "Deny"), ["R2", "M1"]),
    (("--tail", "3", "--limit", "1"), ["M1"]),
], ids=["tail", "tail of a filter", "tail 0", "limit", "limit of a filter", "tail then limit"])
def test_tail_and_limit(data_dir: Path, args: tuple[str, ...], expected: list[str]) -> None:
    _more(data_dir, 4)
    out = audit_cli(data_dir, *args, "--format", "json")
    assert out.returncode == 0, out.stderr
    assert [json.loads(line)["request_id"] for line in out.stdout.splitlines()] == expected


@pytest.mark.parametrize("value", ["-1", "many"])
def test_a_bad_count_is_a_usage_error(data_dir: Path, value: str) -> None:
    out = audit_cli(data_dir, "--tail", value)
    assert out.returncode == 2 and "wants a number of decisions" in out.stderr and "Traceback" not in out.stderr


def test_tail_with_follow_starts_from_the_last_decisions(data_dir: Path) -> None:
    _more(data_dir, 4)
    with _following(data_dir, "--tail", "1") as next_id:
        assert next_id() == "M3"
        _append(data_dir, replace(ENTRIES[0], request_id="NEW"))
        assert next_id() == "NEW"


def test_a_denial_says_whose_key_it_targeted(data_dir: Path) -> None:
    (data_dir / "idp").mkdir()
    (data_dir / "idp" / "users.json").write_text(json.dumps({"users": [
        {"name": "alice", "sub": "alice-sub"}, {"name": "bob", "sub": "bob-sub"}]}))
    log = AuditLog(data_dir / "audit.jsonl")
    log.record(replace(ENTRIES[1], request_id="OWN", authorizations=(
        replace(ENTRIES[1].authorizations[0], leading_keys=("bob-sub",)),)))
    log.close()
    _, allow, other, own = audit_cli(data_dir).stdout.splitlines()
    assert "key" not in allow.split("by OwnItems")[-1]
    assert other.endswith("implicit; key alice-sub (alice's)")  # bob was refused alice's key
    assert own.endswith("implicit; key bob-sub (the caller's own)")
