"""``python -m webapp serve``: run the local stack until Ctrl-C or SIGTERM, and print its URLs.

Parses, builds ``Settings``, starts ``webapp.stack.LocalStack`` and prints its banner. Exit
codes: 0 after a clean stop, 1 a port is taken or the data directory cannot be used (another
stack runs on it, it is a file, no permission; one line on stderr), 2 bad arguments (argparse)
or a ``WEBAPP_*`` value that cannot be used (``SettingsError``, one line from ``webapp.__main__``).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import threading
from pathlib import Path

from iam_policies.cli import fail_line
from webapp.files import write_private
from webapp.serving import PortInUse
from webapp.settings import Settings
from webapp.stack import LocalStack


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "exit codes: 0 stopped by Ctrl-C or SIGTERM; 1 one of the five ports is taken, --bind is no "
        "address of this machine, or the data "
        "directory is in use by another stack or cannot be created (one line on stderr says which); 2 bad arguments or a WEBAPP_* value that cannot be used "
        "(one line on stderr)"
    )
    parser.add_argument("--port", type=int, help="the host's port; STS, DynamoDB, IAM and S3 take the next four (default 8000)")
    parser.add_argument("--data-dir", type=Path, help="where data, keys and credentials persist (default ./data)")
    parser.add_argument("--bind", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--public-host", help="host name the browser uses (default localhost)")
    parser.add_argument("--backend-url", help="a DynamoDB-compatible upstream instead of in-process moto")
    parser.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(
        port=args.port, data_dir=args.data_dir, bind=args.bind,
        public_host=args.public_host, backend_url=args.backend_url,
    )
    from webapp.backend.journal import JournalInUse

    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file of that name, no permission: say so before anything starts
        fail_line(f"cannot use {settings.data_dir} as the data directory: {exc.strerror}")
        return 1
    try:
        stack = LocalStack(settings).start()
    except PortInUse as exc:
        if exc.errno == errno.EADDRNOTAVAIL:  # not "taken": this machine has no such address
            fail_line(f"cannot listen on {settings.bind}: no network interface of this machine has that address; "
                      "pass another --bind (or WEBAPP_BIND), e.g. 127.0.0.1")
            return 1
        fail_line(str(exc.strerror))
        return 1
    except JournalInUse as exc:  # a second ./dev serve on the same data directory
        fail_line(f"another local stack is running on the data directory {settings.data_dir} ({exc}); "
                  "stop it, or pass another --data-dir")
        return 1
    print(stack.banner(), flush=True)
    if args.ready_file:
        # replaced atomically: a watcher that sees the file never reads it half-written
        write_private(args.ready_file, json.dumps({"pid": os.getpid(), "url": settings.host_url}).encode())
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    print("Stopping.", file=sys.stderr, flush=True)
    stack.stop()
    return 0
