"""The key that signs the host's session cookie.

``settings.secret_key`` (``WEBAPP_SECRET_KEY``) when set: several hosts behind a load balancer
must share it. Otherwise a 256-bit key is generated once into ``<data>/host/secret.key`` (mode
0600), so that a restart keeps everyone signed in. Created with ``O_EXCL``: two gunicorn workers
starting together end up with the same key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from webapp.settings import Settings


def cookie_secret(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / "host" / "secret.key"
    return _load_or_create(path)


def _load_or_create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker is writing it right now
            text = path.read_text().strip()
            if text:
                return text.encode()
            import time

            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty; delete it to generate a new key") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key.encode()
