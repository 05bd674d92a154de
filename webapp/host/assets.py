"""The page's static files: a whitelist, gzip computed once, ETag and Cache-Control.

Only what the page needs is served: ``index.html``, ``styles.css``, ``dist/**`` and
``assets/**``. Sources (``src/``), ``node_modules``, ``package.json`` and the build script are
never reachable, whatever the URL (``..``, encoded slashes, symlinks out of the tree).

Compression follows RFC 9110 §8.4 (``Content-Encoding``) and §12.5.3 (``Accept-Encoding``, with
``q=0`` meaning "not acceptable"); each encoding is a different representation, so it has its own
ETag (§8.8.3) and responses say ``Vary: Accept-Encoding`` (§12.5.5). A conditional request with a
matching ``If-None-Match`` gets ``304 Not Modified`` (RFC 9110 §13.1.2). Bodies are compressed once
and cached until the file's size or modification time changes, so a request costs a dict lookup.

The bundle's file names carry no content hash, so every asset is ``Cache-Control: no-cache``:
the browser keeps it but revalidates, which is one cheap 304 per file.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

#: Exact files and directory prefixes (relative to the static root) the host serves.
SERVED_FILES = frozenset({"index.html", "styles.css"})
SERVED_DIRECTORIES = ("dist", "assets")
#: Path segments never served, even inside a served directory.
FORBIDDEN_SEGMENTS = frozenset({"node_modules", "src", "package.json", "package-lock.json"})

COMPRESSIBLE_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml",
                      "application/manifest+json", "application/wasm")
#: Below this size gzip's header costs more than it saves.
MIN_COMPRESS_BYTES = 512

_TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8",
          ".map": "application/json; charset=utf-8", ".json": "application/json; charset=utf-8",
          ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".ico": "image/x-icon",
          ".woff2": "font/woff2", ".webmanifest": "application/manifest+json"}


def is_served(relative: str) -> bool:
    """Whether a URL path (relative to the static root) names a file the host may serve."""
    if not relative or "\\" in relative or "\x00" in relative or relative.startswith("/"):
        return False
    parts = relative.split("/")
    if any(p in ("", ".", "..") or p.startswith(".") or p in FORBIDDEN_SEGMENTS for p in parts):
        return False
    if relative in SERVED_FILES:
        return True
    return len(parts) >= 2 and parts[0] in SERVED_DIRECTORIES


def content_type(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


@dataclass(frozen=True)
class Representation:
    body: bytes
    etag: str
    encoding: str | None  # None: identity


@dataclass(frozen=True)
class Asset:
    content_type: str
    identity: Representation
    gzip: Representation | None
    stamp: tuple[int, int]  # (size, mtime_ns) of the file the bodies came from

    def representation(self, accepts_gzip: bool) -> Representation:
        return self.gzip if accepts_gzip and self.gzip is not None else self.identity


class AssetStore:
    """Files under ``root`` that pass ``is_served``, read and compressed once."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[str, Asset] = {}
        self._lock = threading.Lock()

    def get(self, relative: str) -> Asset | None:
        if not is_served(relative):
            return None
        path = (self.root / relative).resolve()
        # A symlink inside dist/ must not lead out of the served parts of the tree.
        try:
            inside = path.relative_to(self.root).as_posix()
        except ValueError:
            return None
        if not is_served(inside) or not path.is_file():
            return None
        stat = path.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
        cached = self._cache.get(relative)
        if cached is not None and cached.stamp == stamp:
            return cached
        asset = self._load(path, relative, stamp)
        with self._lock:
            self._cache[relative] = asset
        return asset

    @staticmethod
    def _load(path: Path, relative: str, stamp: tuple[int, int]) -> Asset:
        body = path.read_bytes()
        kind = content_type(relative)
        digest = hashlib.sha256(body).hexdigest()[:32]
        identity = Representation(body, f'"{digest}"', None)
        compressed = None
        if len(body) >= MIN_COMPRESS_BYTES and kind.startswith(COMPRESSIBLE_TYPES):
            packed = gzip.compress(body, compresslevel=9, mtime=0)
            if len(packed) < len(body):
                compressed = Representation(packed, f'"{digest}-gzip"', "gzip")
        return Asset(kind, identity, compressed, stamp)
