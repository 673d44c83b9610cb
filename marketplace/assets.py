"""Static files: content-hashed URLs cached for a year, and compressed copies for browsers.

Every `url_for('static', filename=...)` gets `?v=<hash of the file's content>` (a URL default,
so no template has to remember it; `static_url(filename)` is the same as a Jinja global). A
request that carries the current hash is answered with `Cache-Control: public,
max-age=31536000, immutable`: the browser never asks again, and a changed file gets a new URL.
Without the hash (or with an old one) the answer must be revalidated (`no-cache` + ETag), so
nobody keeps a stale file.

CSS, JS and SVG are read once, and compressed once (Brotli and gzip at their best settings)
the first time they are asked for; a browser that accepts `br` or `gzip` gets the smaller copy
with `Vary: Accept-Encoding` and its own ETag. In debug mode a file's modification time is
checked on each use, so edits show at once; in production the files do not change while the
server runs. The nginx sample (deploy/nginx.conf) serves /static/ itself the same way.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, request, url_for
from werkzeug.security import safe_join

HASH_LENGTH = 12
ONE_YEAR = 60 * 60 * 24 * 365
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt", ".xml", ".map"}
MAX_COMPRESSED_FILE = 2 * 1024 * 1024  # larger files go through send_file as they are
ENCODINGS = ("br", "gzip")  # preferred first


@dataclass
class Asset:
    path: Path
    mtime: float
    version: str
    body: bytes | None = None  # compressible files only
    encoded: dict[str, bytes] = field(default_factory=dict)


def _compress(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        import brotli  # installed with Flask-Compress

        return brotli.compress(data, quality=11)
    return gzip.compress(data, compresslevel=9, mtime=0)


class StaticFiles:
    """Versions (content hashes) and compressed copies of the files in one static folder."""

    def __init__(self, folder: str | Path, check_changes: bool) -> None:
        self.folder = Path(folder)
        self.check_changes = check_changes
        self._assets: dict[str, Asset] = {}
        self._lock = threading.Lock()

    def get(self, filename: str) -> Asset | None:
        """The file's asset record, or None for a missing file or a path outside the folder."""
        asset = self._assets.get(filename)
        if asset is not None and not self.check_changes:
            return asset
        joined = safe_join(str(self.folder), filename)
        if joined is None:
            return None
        path = Path(joined)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        if asset is not None and asset.mtime == mtime:
            return asset
        if not path.is_file():
            return None
        data = path.read_bytes()
        asset = Asset(
            path=path, mtime=mtime, version=hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
        )
        if path.suffix in COMPRESSIBLE and len(data) <= MAX_COMPRESSED_FILE:
            asset.body = data
        with self._lock:
            self._assets[filename] = asset
        return asset

    def version(self, filename: str) -> str | None:
        asset = self.get(filename)
        return asset.version if asset else None

    def encoded(self, asset: Asset, encoding: str) -> bytes | None:
        """The asset compressed with `encoding`, made once; None when it would not be smaller."""
        if asset.body is None:
            return None
        if encoding not in asset.encoded:
            data = _compress(asset.body, encoding)
            with self._lock:
                asset.encoded[encoding] = data
        data = asset.encoded[encoding]
        return data if len(data) < len(asset.body) else None


def _accepted_encoding() -> str | None:
    accepted = request.accept_encodings
    for encoding in ENCODINGS:
        if accepted[encoding] > 0:  # quality; 0 when not listed (or refused with q=0)
            return encoding
    return None


def _cache_headers(response: Response, asset: Asset | None) -> Response:
    if asset is not None and request.args.get("v") == asset.version:
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
        response.cache_control.no_cache = None
    else:  # an unversioned or outdated URL: revalidate every time
        response.cache_control.no_cache = True
        response.cache_control.max_age = None
    return response


def init_app(app: Flask) -> None:
    files = StaticFiles(app.static_folder or "static", check_changes=app.debug)
    app.extensions["static_files"] = files
    send_original = app.view_functions["static"]

    @app.url_defaults
    def fingerprint_static(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and "filename" in values:
            version = files.version(values["filename"])
            if version:
                values["v"] = version

    def static(filename: str) -> Response:
        asset = files.get(filename)
        if asset is None or asset.body is None:
            return _cache_headers(send_original(filename=filename), asset)
        encoding = _accepted_encoding()
        body = files.encoded(asset, encoding) if encoding else None
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        response = Response(body if body is not None else asset.body, mimetype=mimetype)
        response.vary.add("Accept-Encoding")
        if body is not None:
            response.content_encoding = encoding
        response.set_etag(f"{asset.version}-{encoding}" if body is not None else asset.version)
        response.last_modified = asset.mtime
        _cache_headers(response, asset)
        return response.make_conditional(request)

    app.view_functions["static"] = static


def static_url(filename: str) -> str:
    """The file's URL with its content hash, e.g. /static/site.css?v=3f2a9c0d1b7e."""
    return url_for("static", filename=filename)
