"""WeasyPrint in a box: every PDF is rendered in a child process with a time limit, a memory
limit and an output limit, and with a URL fetcher that serves only our own files.

Why a child process: a document is built from what users typed. Neither a time limit nor a memory
limit can be enforced on WeasyPrint inside a web or Celery worker (its layout runs in C through
Pango and cannot be interrupted; a memory limit would apply to the whole worker), and one hostile
or huge document once grew a worker to 3 GB. The child is forked from the
warmed-up caller (WeasyPrint and the fonts loaded once per process), so a render costs what it
costs in-process.

Why this fetcher: WeasyPrint's default fetcher opens any URL a document names (http(s), file:,
ftp:). Ours serves only
- `hz://static/<path>`: our static files (CSS, fonts, images), looked up in the directories the
  parent gives (the staticfiles finders' roots), never outside them;
- `hz://media/<name>`: stored uploads that the document was explicitly given (an allowlist of
  storage names built by the code that renders it, e.g. the photos of a notice's hazards),
  checked to be images by their first bytes;
- `data:` URIs;
and refuses everything else: http(s), file:, ftp:, other hosts of `hz:`, paths outside the roots.

This module does not import Django: the child gets everything it may read from the caller. It
unpickles one thing only: the render's result, from its own forked child's pipe (the bandit
exceptions B403/B301 below)."""

from __future__ import annotations

import base64
import logging
import os
import pickle  # nosec B403
import resource
import select
import signal
import stat
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

SCHEME = "hz"
STATIC_HOST = "static"
MEDIA_HOST = "media"
# Relative references inside our own CSS (`url(fonts/x.woff2)`) resolve like http URLs: the
# scheme must be known to urllib as relative and netloc-based. The host never changes on joining,
# so a relative path cannot leave the static files for the media (dot segments stop at the root).
for _scheme_list in (urllib.parse.uses_relative, urllib.parse.uses_netloc):
    if SCHEME not in _scheme_list:
        _scheme_list.append(SCHEME)

# The font stack of every document, in order of preference. Each family comes from a Debian
# package that scripts/system_deps.sh installs (see the README, "Documents");
# tests/test_documents_glyphs.py renders a broad sample of scripts and symbols and checks that
# every glyph is drawn from these fonts.
FONT_FAMILIES = (
    "Noto Sans CJK SC",     # fonts-noto-cjk: Chinese (simplified forms first), kana, hangul, full-width forms
    "Noto Sans",            # fonts-noto-core: Latin with every diacritic, Greek, Cyrillic
    "Noto Sans Symbols",    # fonts-noto-core: technical and other symbols
    "Noto Sans Symbols2",   # fonts-noto-core: arrows, shapes, dingbats, chess, braille
    "Noto Sans Math",       # fonts-noto-core: mathematical operators and alphanumerics
    "DejaVu Sans",          # fonts-dejavu-core: box drawing, blocks, more symbols
    "Noto Sans Arabic",     # fonts-noto-core
    "Noto Sans Hebrew",     # fonts-noto-core
    "Noto Sans Thai",       # fonts-noto-core
    "Noto Sans Devanagari",  # fonts-noto-core
    # Emoji: Pango draws emoji runs with fonts-noto-color-emoji by itself (fontconfig's "emoji"
    # alias), in colour. Listing it here made Pango draw plain digits with it too (the emoji font
    # has keycap digits), as bitmaps, and a long table three times slower.
    "Symbola",              # fonts-symbola: symbols and text-style emoji the fonts above lack
    "HanaMinA",             # fonts-hanazono: CJK extension A (all of it) and rare ideographs
    "HanaMinB",             # fonts-hanazono: CJK extensions B and beyond (names written with them)
    "Unifont",              # fonts-unifont: last resort, a glyph for every assigned BMP character
    "Unifont Upper",        # fonts-unifont: the same for the supplementary planes
)
FONT_FAMILY_CSS = ", ".join(f'"{family}"' for family in FONT_FAMILIES) + ", sans-serif"
# Not in the stack, but what Pango draws emoji runs with (see above).
EMOJI_FAMILY = "Noto Color Emoji"

STATIC_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}
# Uploads are embedded only as the image types we accept, recognised by their first bytes.
MEDIA_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"RIFF", "image/webp"),  # checked further below: RIFF....WEBP
)

logger = logging.getLogger("org.documents")


@dataclass(frozen=True)
class Limits:
    """How far one render may go."""

    seconds: float = 60.0
    # Address space the render may add to the (already warmed-up) renderer process.
    memory_bytes: int = 1024 * 1024 * 1024
    output_bytes: int = 50 * 1024 * 1024
    # One fetched file (a static file, a photo, a data: URI).
    resource_bytes: int = 20 * 1024 * 1024


@dataclass(frozen=True)
class Resources:
    """What the fetcher of one render may serve."""

    static_roots: tuple[str, ...] = ()
    # storage name -> absolute path of the stored file
    media: dict[str, str] = field(default_factory=dict)


class RenderError(Exception):
    """A document could not be produced within its limits. `reason` is one of "timeout",
    "memory", "output" (the PDF would exceed the output limit) or "failed"."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Refused(ValueError):
    """The fetcher does not serve this URL."""


@dataclass
class RenderResult:
    pdf: bytes
    # URLs the document asked for and did not get (logged as warnings as well).
    refused: list[str] = field(default_factory=list)
    # WeasyPrint's warnings and errors during the render, e.g. ".notdef glyph rendered".
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0


def media_url(name: str) -> str:
    return f"{SCHEME}://{MEDIA_HOST}/{urllib.parse.quote(name)}"


def static_url(path: str) -> str:
    return f"{SCHEME}://{STATIC_HOST}/{urllib.parse.quote(path.lstrip('/'))}"


# ---------------------------------------------------------------------------------- the fetcher

def _read_regular_file(path: str, limit: int) -> bytes:
    """The bytes of a regular file, at most `limit` of them: devices (/dev/zero), FIFOs and
    directories are refused before anything is read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"not a regular file: {path}")
        if info.st_size > limit:
            raise Refused(f"larger than {limit} bytes: {path}")
        chunks, total = [], 0
        while chunk := os.read(fd, 1024 * 1024):
            total += len(chunk)
            if total > limit:
                raise Refused(f"larger than {limit} bytes: {path}")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _inside(root: str, relative: str) -> str | None:
    """The real path of `relative` under `root`, or None if it would leave the root."""
    root = os.path.realpath(root)
    candidate = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([root, candidate]) != root or candidate == root:
        return None
    return candidate


def _media_type(data: bytes) -> str | None:
    for signature, media_type in MEDIA_SIGNATURES:
        if data.startswith(signature):
            if media_type == "image/webp" and data[8:12] != b"WEBP":
                return None
            return media_type
    return None


def make_fetcher(resources: Resources, limits: Limits):
    """The URL fetcher of one render (a weasyprint.urls.URLFetcher, imported lazily)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SandboxFetcher(URLFetcher):
        def __init__(self):
            # Only the attributes WeasyPrint reads; no opener, no handlers: nothing here can
            # open a socket or a file outside what fetch() below allows.
            self._fail_on_errors = False
            self.refused: list[str] = []
            self.served: list[str] = []

        def fetch(self, url, headers=None):
            try:
                body, media_type = self._resolve(url)
            except Refused:
                self.refused.append(url)
                raise
            self.served.append(url)
            return URLFetcherResponse(url, body, {"Content-Type": media_type})

        def open(self, url, data=None, timeout=None):
            raise Refused("no direct opening")

        def __call__(self, url):
            return self.fetch(url)

        def _resolve(self, url: str) -> tuple[bytes, str]:
            if url[:5].lower() == "data:":
                return _data_uri(url, limits.resource_bytes)
            try:
                parts = urllib.parse.urlsplit(url)
            except ValueError as exc:
                raise Refused("malformed URL") from exc
            if parts.scheme.lower() != SCHEME or parts.username or parts.password or parts.port:
                raise Refused("only our own files and data: URIs are served")
            path = urllib.parse.unquote(parts.path).lstrip("/")
            if "\x00" in path or not path:
                raise Refused("bad path")
            if parts.hostname == STATIC_HOST:
                return self._static(path)
            if parts.hostname == MEDIA_HOST:
                return self._media(path)
            raise Refused("unknown internal host")

        def _static(self, path: str) -> tuple[bytes, str]:
            media_type = STATIC_TYPES.get(os.path.splitext(path)[1].lower())
            if media_type is None:
                raise Refused("not a stylesheet, font or image")
            for root in resources.static_roots:
                candidate = _inside(root, path)
                if candidate and os.path.isfile(candidate):
                    return _read_regular_file(candidate, limits.resource_bytes), media_type
            raise Refused("no such static file")

        def _media(self, name: str) -> tuple[bytes, str]:
            path = resources.media.get(name)
            if path is None:
                raise Refused("not a file of this document")
            data = _read_regular_file(path, limits.resource_bytes)
            media_type = _media_type(data)
            if media_type is None:
                raise Refused("not a JPEG, PNG or WebP image")
            return data, media_type

    return SandboxFetcher()


def _data_uri(url: str, limit: int) -> tuple[bytes, str]:
    header, sep, payload = url[5:].partition(",")
    if not sep:
        raise Refused("malformed data: URI")
    if len(payload) > limit * 2:
        raise Refused("data: URI too large")
    params = header.split(";")
    media_type = params[0].strip().lower() or "text/plain"
    try:
        if "base64" in (p.strip().lower() for p in params[1:]):
            body = base64.b64decode(urllib.parse.unquote(payload), validate=False)
        else:
            body = urllib.parse.unquote_to_bytes(payload)
    except ValueError as exc:
        raise Refused("malformed data: URI") from exc
    if len(body) > limit:
        raise Refused("data: URI too large")
    return body, media_type


# ---------------------------------------------------------------------------------- the child

class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        try:
            self.messages.append(record.getMessage())
        except Exception:  # noqa: BLE001 - a bad log record must not fail the render
            self.messages.append(str(record.msg))


def _vm_size() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _apply_limits(limits: Limits) -> None:
    # Address space: what the process already maps (the caller's heap, libraries, mapped fonts)
    # plus the allowance. An allocation beyond it fails (MemoryError) instead of growing.
    allowance = _vm_size() + limits.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (allowance, allowance))
    # Back-stops in case the parent is gone and cannot kill us: CPU time and a wall-clock alarm.
    cpu = int(limits.seconds) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.alarm(int(limits.seconds) + 10)


def _child(html: str, resources: Resources, limits: Limits) -> tuple:
    """Runs in the forked child: the render, as a message for the parent."""
    collect = _Collect()
    weasy_logger = logging.getLogger("weasyprint")
    # Only our collector: the caller's handlers (files, streams) are not the child's to write to.
    weasy_logger.handlers, weasy_logger.propagate = [collect], False
    weasy_logger.setLevel(logging.WARNING)
    started = time.monotonic()
    try:
        _apply_limits(limits)
        from weasyprint import HTML

        fetcher = make_fetcher(resources, limits)
        pdf = HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
        if len(pdf) > limits.output_bytes:
            return ("error", "output", f"{len(pdf)} bytes")
        return ("ok", pdf, fetcher.refused, collect.messages, time.monotonic() - started)
    except MemoryError:
        return ("error", "memory", "")
    except BaseException as exc:  # noqa: BLE001 - whatever happened is reported to the parent
        return ("error", "failed", f"{type(exc).__name__}: {exc}"[:500])


# ---------------------------------------------------------------------------------- the parent

_warm_lock = threading.Lock()
_warm_pid = None
_fork_lock = threading.Lock()


def _warm_up() -> None:
    """Load WeasyPrint, fontconfig's font list, Pango's font map and the CJK font once in this
    process, so that each forked child starts warm (a render then costs what it costs in-process,
    about 0.15 s for a notice, instead of 0.3 s or more). The warm-up document is fixed text."""
    global _warm_pid
    with _warm_lock:
        if _warm_pid == os.getpid():
            return
        from weasyprint import HTML

        HTML(string=f'<html lang="zh-CN"><body style=\'font-family: {FONT_FAMILY_CSS}\'>隐患告知书 Notice 1</body>'
                    "</html>", base_url=None).write_pdf()
        _warm_pid = os.getpid()


def render(html: str, *, resources: Resources = Resources(), limits: Limits = Limits()) -> RenderResult:  # noqa: B008
    """Render `html` to PDF bytes in a forked child within `limits`, fetching only `resources`.
    Raises RenderError when a limit is reached or the renderer fails.

    A plain fork rather than multiprocessing: no re-import of the caller's main module, no
    daemon rules (Celery), and the child does nothing but render and write one message to a pipe,
    then leaves with os._exit (no finalizers run on the caller's database connections or files).
    The caller's other threads never use WeasyPrint's libraries, so no lock of theirs is copied
    held into the child; Python's own locks are reinitialised at fork."""
    _warm_up()
    started = time.monotonic()
    # One fork at a time, and the parent's write end closed before the next: a child forked by
    # another thread must not inherit this pipe's write end, or this render would see its end of
    # file only when that other child exits (one render waiting on another's).
    _fork_lock.acquire()
    try:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
    except BaseException:
        _fork_lock.release()
        raise
    if pid == 0:  # the child
        code = 0
        try:
            os.close(read_fd)
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
                signal.signal(signum, signal.SIG_DFL)
            message = pickle.dumps(_child(html, resources, limits), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as out:
                out.write(message)
        except BaseException:  # noqa: BLE001 - the parent sees the exit code
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    _fork_lock.release()
    try:
        data = _read_until_eof(read_fd, deadline=started + limits.seconds, limit=limits.output_bytes + 1024 * 1024)
    except RenderError:
        _kill(pid)
        raise
    finally:
        os.close(read_fd)
    exit_code = _reap(pid)
    if not data:
        raise RenderError("failed", f"the renderer stopped ({_describe_exit(exit_code)})")
    # Written by our own forked child into a pipe only the two processes hold.
    message = pickle.loads(data)  # nosec B301
    if message[0] != "ok":
        raise RenderError(message[1], message[2])
    _ok, pdf, refused, messages, _child_seconds = message
    for text in messages:
        logger.warning("PDF rendering: %s", text[:500])
    return RenderResult(pdf=pdf, refused=refused, messages=messages, seconds=time.monotonic() - started)


def _read_until_eof(fd: int, *, deadline: float, limit: int) -> bytes:
    chunks, total = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RenderError("timeout", "the time limit was reached")
        ready, _w, _x = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 1024 * 1024)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise RenderError("output", f"more than {limit} bytes")
        chunks.append(chunk)


def _reap(pid: int) -> int:
    """The child's wait status (0 if it was reaped already: a caller that ignores SIGCHLD)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)


def _describe_exit(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
