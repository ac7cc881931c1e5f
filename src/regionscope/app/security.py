"""Who may use a served explorer, and the HTTP rules every response follows.

Three modes of access (:class:`Access`):

``"open"``
    No authentication: everyone who reaches the server is the same user and
    sees the same datasets, exclusions and classes. Only for a server on
    loopback (local use, notebooks), or with an explicit ``--no-auth``.
``"token"``
    As Jupyter does: a random token is part of the printed URL
    (``http://host:port/?token=...``). Opening it once sets a cookie; any
    request with neither the cookie nor the token is refused (403). Everyone
    with the token is one user.
``"users"``
    Users and hashed passwords from a file (``--auth FILE``): a login page sets
    the cookie. Each user's uploads, exclusions and classes are theirs.

The users file has one ``name:hash`` per line (``#`` starts a comment); the
hash is what ``regionscope hash-password`` prints (werkzeug's scrypt hash)::

    # regionscope users
    ada:scrypt:32768:8:1$Qm9...$3f1c...
    grace:scrypt:32768:8:1$c2F...$9a0b...

Every mode also gets (``install``): a ``Host`` check on loopback servers (a DNS
rebinding page cannot reach them), an ``Origin`` check on POST, the request
size limit, and security headers (Content-Security-Policy, frame-ancestors /
X-Frame-Options, ``nosniff``, no referrer).

Flask hooks only (``before_request`` / ``after_request``); the identity of the
request's user is :func:`current_user`, which the callbacks use to scope
datasets and annotations.
"""

from __future__ import annotations

import hmac
import html
import ipaddress
import logging
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from regionscope.errors import RegionscopeError

log = logging.getLogger("regionscope.server")

#: The user of every request in token mode (everyone with the token is one user).
TOKEN_USER = "token"
#: Host names a loopback server answers to (anything else is DNS rebinding or a mistake).
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")
#: Paths open without login in "users" mode (the login page and what it needs).
LOGIN_PATH = "/login"
USER_NAME = re.compile(r"^[A-Za-z0-9._@+-]{1,64}$")
#: Where a served page may be framed from when shown inline in Jupyter (loopback only).
JUPYTER_FRAME_ANCESTORS = "'self' http://localhost:* http://127.0.0.1:* http://[::1]:* https://localhost:* https://127.0.0.1:*"


class AccessError(RegionscopeError):
    """An access setting that cannot be used (a bad users file, --debug on a public host, ...)."""


def is_loopback(host):
    """Whether a bind address only accepts connections from this machine."""
    host = (host or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def hash_password(password):
    """A salted scrypt hash of a password, for the users file (werkzeug's format)."""
    from werkzeug.security import generate_password_hash

    if not password:
        raise AccessError("the password is empty")
    return generate_password_hash(password, method="scrypt")


def read_users(path):
    """The users file: ``{name: password hash}``.

    Raises
    ------
    AccessError
        Naming the file and line of anything that is not ``name:hash``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AccessError(
            f"{path}: cannot read the users file ({exc.__class__.__name__}: {getattr(exc, 'strerror', None) or exc})"
        ) from None
    users = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, hashed = line.partition(":")
        if not sep or not USER_NAME.match(name) or not hashed.startswith(("scrypt:", "pbkdf2:")) or "$" not in hashed:
            raise AccessError(
                f"{path}, line {number}: expected 'name:hash' with a hash from 'regionscope hash-password' "
                "(names: letters, digits and . _ @ + -)"
            )
        if name in users:
            raise AccessError(f"{path}, line {number}: user {name!r} is listed twice")
        users[name] = hashed
    if not users:
        raise AccessError(f"{path}: no users in the file (add lines 'name:hash' made with 'regionscope hash-password')")
    return users


@dataclass
class Access:
    """Who may use a server and how it answers.

    Attributes
    ----------
    mode : {"open", "token", "users"}
    bind_host : str
        The address the server listens on.
    port : int or None
        Its port (None until known: a server on port 0 sets it once bound).
    token : str or None
        The token of ``"token"`` mode.
    users : dict of str to str
        Password hashes of ``"users"`` mode.
    frame_ancestors : str
        The CSP ``frame-ancestors`` sources (``'none'``: never framed).
    max_request_bytes : int or None
        Largest request body accepted.
    """

    mode: str = "open"
    bind_host: str = "127.0.0.1"
    port: int | None = None
    token: str | None = None
    users: dict = field(default_factory=dict)
    frame_ancestors: str = "'none'"
    max_request_bytes: int | None = None

    @property
    def authenticated(self):
        """Whether requests carry a user (uploads and annotations are then per user)."""
        return self.mode != "open"

    def principals(self):
        """The users this server can have (the owners a session file is restored for)."""
        if self.mode == "token":
            return [TOKEN_USER]
        return list(self.users)

    def url(self, host=None):
        """The address to print: with the token in token mode."""
        host = host or self.bind_host
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host in ("::", "::0") else host)
        if ":" in shown and not shown.startswith("["):
            shown = f"[{shown}]"
        base = f"http://{shown}:{self.port}/"
        return base + ("?" + urlencode({"token": self.token}) if self.mode == "token" else "")


def access_for(host, *, auth_file=None, no_auth=False, debug=False, token=None):
    """The access rules of ``regionscope view`` options.

    Parameters
    ----------
    host : str
        The address to serve on.
    auth_file : path-like or None
        ``--auth FILE``: users and password hashes.
    no_auth : bool
        ``--no-auth``: serve without authentication even on a public address.
    debug : bool
        ``--debug`` (refused with a non-loopback host: the debugger runs code).
    token : str or None
        A fixed token instead of a random one (token mode).

    Returns
    -------
    Access
    """
    loopback = is_loopback(host)
    if debug and not loopback:
        raise AccessError(f"--debug serves Dash's debugger and Werkzeug's development server: only on 127.0.0.1, not on {host}")
    if auth_file and no_auth:
        raise AccessError("--auth and --no-auth cannot be used together")
    if auth_file:
        return Access(mode="users", bind_host=host, users=read_users(auth_file))
    if no_auth or loopback:
        return Access(mode="open", bind_host=host)
    return Access(mode="token", bind_host=host, token=token or secrets.token_urlsafe(24))


def current_user():
    """The user of the request being served (None without authentication or outside a request)."""
    from flask import g, has_request_context

    if not has_request_context():
        return None
    return g.get("regionscope_user")


def content_security_policy(script_hashes, frame_ancestors):
    """The page's Content-Security-Policy.

    ``'unsafe-eval'``: dash-ag-grid compiles its ``{"function": ...}`` strings
    with ``new Function`` and Plotly's WebGL traces (the feature plot's
    ``scattergl``) generate shader code the same way; neither works without it.
    Inline scripts are allowed only by hash (Dash's renderer start-up), styles
    inline (Plotly and the grid set ``style`` attributes and insert <style>).
    Images and fetches of ``data:``/``blob:``: the picture, the label-index PNG
    (decoded with ``fetch``) and the overlay are data URLs.
    """
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' 'unsafe-eval' " + " ".join(script_hashes),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self' data: blob:",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def _plain(status, message):
    from flask import Response

    return Response(message + "\n", status=status, mimetype="text/plain")


def _host_allowed(access, host_header):
    parsed = urlsplit("//" + (host_header or ""))
    try:
        name, port = (parsed.hostname or ""), parsed.port
    except ValueError:
        return False
    if name not in LOOPBACK_NAMES:
        return False
    return access.port is None or port == access.port or (port is None and access.port == 80)


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>regionscope: log in</title>
<style>body{{font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto}}label{{display:block;margin:.6rem 0}}
input{{width:100%;padding:.3rem}}.rs-error{{color:#b00020}}</style></head>
<body><h1>regionscope</h1><p>{message}</p>
<form method="post" action="{action}"><label>User <input name="user" autocomplete="username" autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Log in</button></form></body></html>
"""


def install(dash_app, access):
    """Attach the access rules and security headers to a Dash app's Flask server.

    Parameters
    ----------
    dash_app : dash.Dash
        With every callback registered (the inline-script hashes of the CSP are
        taken at the first request).
    access : Access
    """
    from flask import g, redirect, request, session

    server = dash_app.server
    server.secret_key = secrets.token_bytes(32)
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="regionscope-session",
        MAX_CONTENT_LENGTH=access.max_request_bytes,
    )
    server.extensions["regionscope_access"] = access
    policy = {}

    def set_cookie_name():
        # Cookies are not kept apart by port: two servers on one host would share one.
        if access.port is not None:
            server.config["SESSION_COOKIE_NAME"] = f"regionscope-{access.port}"

    def without_token():
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
        return request.path + ("?" + urlencode(args) if args else "")

    @server.before_request
    def check_request():
        set_cookie_name()
        g.regionscope_user = None
        if is_loopback(access.bind_host) and not _host_allowed(access, request.host):
            log.warning("refused a request for Host %r (this server answers to localhost only)", request.host[:100])
            return _plain(403, "This regionscope server answers only to localhost / 127.0.0.1 / [::1] (Host header refused).")
        origin = request.headers.get("Origin")
        if request.method == "POST" and origin and origin != "null" and urlsplit(origin).netloc != request.host:
            return _plain(403, "Cross-site request refused.")
        if access.max_request_bytes and (request.content_length or 0) > access.max_request_bytes:
            return too_large(None)
        if access.mode == "open":
            return None
        if access.mode == "token":
            given = request.args.get("token") or _authorization_token(request.headers.get("Authorization"))
            if given and hmac.compare_digest(given.encode(), access.token.encode()):
                session["user"] = TOKEN_USER
                g.regionscope_user = TOKEN_USER
                if request.method == "GET" and "token" in request.args:
                    # Out of the address bar (and of the history) once the cookie holds it.
                    return redirect(without_token(), code=303)
                return None
            if session.get("user") == TOKEN_USER:
                g.regionscope_user = TOKEN_USER
                return None
            return _plain(403, "This regionscope server needs its token: open the address it printed (…/?token=…).")
        # users
        if request.path == LOGIN_PATH:
            return login()
        user = session.get("user")
        if user in access.users:
            g.regionscope_user = user
            return None
        if request.method == "GET" and request.path == "/":
            return redirect(LOGIN_PATH, code=303)
        return _plain(403, "Not logged in (or the server restarted): reload the page and log in.")

    def login():
        from werkzeug.security import check_password_hash

        message = "Log in to the explorer."
        status = 200
        if request.method == "POST":
            user = request.form.get("user", "")
            password = request.form.get("password", "")
            hashed = access.users.get(user)
            if hashed is not None and check_password_hash(hashed, password):
                session.clear()
                session["user"] = user
                log.info("user %s logged in", user)
                return redirect("/", code=303)
            log.warning("failed login for %r", user[:64])
            message, status = '<span class="rs-error">Unknown user or wrong password.</span>', 403
        page = LOGIN_PAGE.format(message=message, action=html.escape(LOGIN_PATH))
        from flask import Response

        return Response(page, status=status, mimetype="text/html")

    @server.errorhandler(413)
    def too_large(_error):
        limit = access.max_request_bytes or 0
        return _plain(
            413,
            f"The request is larger than this server accepts ({limit / 2**20:.0f} MB with encoding). "
            "Open files that large from the command line: regionscope view IMAGE --labels MASK.",
        )

    @server.after_request
    def add_headers(response):
        if "csp" not in policy:
            policy["csp"] = content_security_policy(dash_app.csp_hashes(), access.frame_ancestors)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy["csp"])
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        if access.frame_ancestors == "'none'":
            headers.setdefault("X-Frame-Options", "DENY")
        return response


def _authorization_token(header):
    """The token of an ``Authorization: token <t>`` header (scripts, as in Jupyter)."""
    if header and header.lower().startswith("token "):
        return header[6:].strip()
    return None


#: AnnotationStore methods whose first argument is a dataset id (scoped per user).
SCOPED_METHODS = frozenset(
    {
        "classes",
        "define_class",
        "rename_class",
        "delete_class",
        "assign",
        "assignments",
        "exclude",
        "include",
        "restore_all",
        "excluded",
        "revision",
        "snapshot",
        "restore_snapshot",
        "save_model",
        "model",
        "model_id",
        "delete_model",
    }
)


def annotation_key(dataset_id, user):
    """The key a user's exclusions and classes of a dataset are stored under.

    Without authentication (``user`` None) it is the dataset id itself, shared
    by everyone, as before; with it, ``<id>@<user>``: two users who open the
    same file each have their own classes.
    """
    return dataset_id if user is None else f"{dataset_id}@{user}"


class UserAnnotations:
    """An :class:`~regionscope.annotations.AnnotationStore` as the request's user sees it.

    Holds no state of its own: each call reads the user from the request
    (:func:`current_user`) and scopes the dataset id with :func:`annotation_key`.
    """

    def __init__(self, store):
        self.store = store

    def __getattr__(self, name):
        method = getattr(self.store, name)
        if name not in SCOPED_METHODS:
            return method

        def scoped(dataset, *args, **kwargs):
            key = dataset if isinstance(dataset, str) else getattr(dataset, "id", dataset)
            return method(annotation_key(key, current_user()), *args, **kwargs)

        return scoped
