"""Production smoke: the production settings really serve the product under gunicorn.

Run by `.ci/run` after `make test` (and by hand: `make smoke`, once `make setup` has run). Steps:

1. a throwaway database next to the configured one (`<name>_prodsmoke` on PostgreSQL, a file in
   a temporary folder otherwise), migrated and seeded with the demo data under the local settings
   (`seed_demo` refuses production settings on purpose);
2. under `config.settings.production`: `collectstatic` into a temporary STATIC_ROOT and
   `check --deploy --fail-level WARNING` (no warning may remain);
3. gunicorn with the production settings on 127.0.0.1 and a free port, its own SECRET_KEY and
   ALLOWED_HOSTS; requests come as from the TLS-terminating proxy (`X-Forwarded-Proto: https`),
   and one plain-HTTP request checks the redirect to HTTPS;
4. as a seeded manager: log in through the form (CSRF, secure cookies), open the home page, the
   ledger, a notice PDF of the user's branch and, as a foreign branch's notice, a 404; check
   status codes, content types, the security headers and a hashed static file;
5. stop gunicorn and drop the throwaway database, whatever happened.

It prints one line per check and closes with `prod-smoke: N passed, N failed`; its exit status
is non-zero when any check failed.
"""

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
USERNAME, PASSWORD = "east_manager", "Demo#2026"  # org/demo.py: a manager of the east branch


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Smoke:
    def __init__(self):
        self.passed, self.failed = 0, 0

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"  ok    {what}")
        else:
            self.failed += 1
            print(f"  FAIL  {what}{': ' + detail if detail else ''}")
        return ok


def run(args: list[str], env: dict, what: str) -> str:
    print(f"-- {what}", flush=True)
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stdout.write(done.stdout[-4000:])
        sys.stdout.write(done.stderr[-4000:])
        raise SystemExit(f"prod-smoke: {what} failed (exit {done.returncode})")
    return done.stdout + done.stderr


# ---------------------------------------------------------------- the throwaway database


def throwaway_database(work: Path) -> tuple[str, callable]:
    """A database URL for the smoke and a function that drops it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{work / 'smoke.sqlite3'}", lambda: None
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    smoke_name = f"{name}_prodsmoke"
    admin_url = parts._replace(path="/postgres").geturl()

    def execute(sql: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql)

    execute(f'DROP DATABASE IF EXISTS "{smoke_name}" WITH (FORCE)')
    execute(f'CREATE DATABASE "{smoke_name}"')
    return parts._replace(path=f"/{smoke_name}").geturl(), lambda: execute(
        f'DROP DATABASE IF EXISTS "{smoke_name}" WITH (FORCE)')


# ---------------------------------------------------------------- a tiny HTTP client behind the "proxy"


class Browser:
    """Cookies kept by hand: the production cookies are Secure and the smoke speaks plain HTTP to
    gunicorn, as the TLS-terminating proxy does (with X-Forwarded-Proto: https)."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}
        self.host = f"127.0.0.1:{port}"
        self.set_cookie_headers: list[str] = []

    def request(self, method: str, path: str, body: dict | None = None, *, https: bool = True,
                headers: dict | None = None) -> tuple[http.client.HTTPResponse, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = {"Host": self.host, "Accept-Language": "zh-CN"}
        if https:
            all_headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        all_headers.update(headers or {})
        conn.request(method, path, body=data, headers=all_headers)
        response = conn.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.set_cookie_headers.append(header)
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in header.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        conn.close()
        return response, content


def check_page(smoke: Smoke, response, content: bytes, what: str, status: int = 200,
               content_type: str = "text/html") -> bool:
    ok = smoke.check(response.status == status, f"{what}: status {status}", f"got {response.status}")
    got_type = response.headers.get("Content-Type", "")
    return smoke.check(got_type.startswith(content_type), f"{what}: {content_type}", f"got {got_type!r}") and ok


def exercise(port: int, notice_own: str, notice_foreign: str) -> Smoke:
    smoke, browser = Smoke(), Browser(port)

    response, _ = browser.request("GET", "/accounts/login/", https=False)
    smoke.check(response.status == 301 and response.headers.get("Location", "").startswith("https://"),
                "plain HTTP is redirected to HTTPS", f"{response.status} {response.headers.get('Location')}")

    response, content = browser.request("GET", "/accounts/login/")
    check_page(smoke, response, content, "login page")
    policy = response.headers.get("Content-Security-Policy", "")
    smoke.check("script-src 'self'" in policy and "unsafe-inline" not in policy,
                "login page: Content-Security-Policy enforced", policy)
    smoke.check("max-age=" in response.headers.get("Strict-Transport-Security", ""), "login page: HSTS")
    smoke.check(response.headers.get("X-Content-Type-Options") == "nosniff", "login page: nosniff")
    smoke.check(response.headers.get("X-Frame-Options") == "DENY", "login page: X-Frame-Options DENY")
    html = content.decode()
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', html)
    if smoke.check(css is not None, "login page links the hashed stylesheet of the manifest"):
        response, content = browser.request("GET", css.group(1))
        check_page(smoke, response, content, "hashed stylesheet", content_type="text/css")
        smoke.check("immutable" in response.headers.get("Cache-Control", "") or
                    "max-age=315360000" in response.headers.get("Cache-Control", ""),
                    "hashed stylesheet is cached for good", response.headers.get("Cache-Control", ""))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not smoke.check(token is not None and "csrftoken" in browser.cookies, "login form carries the CSRF token"):
        return smoke

    origin = f"https://{browser.host}"
    response, _ = browser.request(
        "POST", "/accounts/login/",
        {"csrfmiddlewaretoken": token.group(1), "username": USERNAME, "password": PASSWORD},
        headers={"Origin": origin, "Referer": f"{origin}/accounts/login/"})
    smoke.check(response.status == 302 and response.headers.get("Location") == "/",
                f"log in as {USERNAME}", f"{response.status} {response.headers.get('Location')}")
    session_cookie = next((h for h in browser.set_cookie_headers if h.startswith("sessionid=")), "")
    smoke.check("secure" in session_cookie.lower() and "httponly" in session_cookie.lower(),
                "session cookie is Secure and HttpOnly", session_cookie)

    response, content = browser.request("GET", "/")
    check_page(smoke, response, content, "home page")
    response, content = browser.request("GET", "/hazards/")
    if check_page(smoke, response, content, "ledger"):
        smoke.check('id="hazard-table"' in content.decode() and re.search(r'href="/hazards/\d+/"', content.decode()),
                    "ledger lists the branch's hazards")
    response, content = browser.request("GET", f"/hazards/notices/{notice_own}/document/")
    if check_page(smoke, response, content, "notice PDF of the user's branch", content_type="application/pdf"):
        smoke.check(content.startswith(b"%PDF-"), "notice PDF is a PDF", repr(content[:16]))
    response, content = browser.request("GET", f"/hazards/notices/{notice_foreign}/document/")
    check_page(smoke, response, content, "notice PDF of another branch", status=404)
    response, content = browser.request("GET", "/no-such-page/")
    check_page(smoke, response, content, "missing page", status=404)
    return smoke


# ---------------------------------------------------------------- main


PREPARE = """
from django.contrib.auth import get_user_model
from hazards.selectors import notice_list
from hazards.models import Notice
user = get_user_model().objects.get(username="{username}")
own = notice_list(user=user).order_by("pk").values_list("pk", flat=True).first()
foreign = (Notice.objects.exclude(pk__in=notice_list(user=user).values("pk")).order_by("pk")
           .values_list("pk", flat=True).first())
print("NOTICES", own, foreign)
"""


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="prod-smoke-"))
    database_url, drop_database = throwaway_database(work)
    base_env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(work / "media"),
                "STATIC_ROOT": str(work / "static")}
    base_env.pop("DJANGO_SETTINGS_MODULE", None)
    gunicorn = None
    try:
        local = {**base_env, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], local, "migrate the throwaway database")
        run([PYTHON, "manage.py", "seed_demo"], local, "seed the demo data (local settings)")
        out = run([PYTHON, "manage.py", "shell", "-c", PREPARE.format(username=USERNAME)], local, "find notices")
        own, foreign = re.search(r"NOTICES (\S+) (\S+)", out).groups()
        if "None" in (own, foreign):
            raise SystemExit(f"prod-smoke: the demo data has no notice to open ({own}, {foreign})")

        port = free_port()
        production = {**base_env, "DJANGO_SETTINGS_MODULE": "config.settings.production",
                      "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
                      "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}"}
        run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], production, "collectstatic (production)")
        out = run([PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], production,
                  "check --deploy (production, no warning allowed)")
        print("   ", out.strip().splitlines()[-1] if out.strip() else "")

        print(f"-- gunicorn config.wsgi on 127.0.0.1:{port}", flush=True)
        with open(work / "gunicorn.log", "w") as log:
            gunicorn = subprocess.Popen(
                [GUNICORN, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60",
                 "--access-logfile", "-", "--error-logfile", "-"],
                cwd=ROOT, env=production, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(300):
            if gunicorn.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        if gunicorn.poll() is not None:
            print((work / "gunicorn.log").read_text()[-4000:])
            raise SystemExit("prod-smoke: gunicorn did not start")
        smoke = exercise(port, own, foreign)
        if smoke.failed:
            print((work / "gunicorn.log").read_text()[-6000:])
        print(f"prod-smoke: {smoke.passed} passed, {smoke.failed} failed")
        return 1 if smoke.failed else 0
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(gunicorn.pid, signal.SIGKILL)
                gunicorn.wait()
        drop_database()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
