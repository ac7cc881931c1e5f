"""Issue 9.5: authentication, per-user separation, the Host check, cross-site POSTs and security headers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from regionscope.app.security import Access, AccessError, access_for, hash_password, read_users  # noqa: E402

from server_support import DashClient, notice_text, png_bytes, response_values, serve, show_dataset, two_boxes, upload_image  # noqa: E402

TOKEN = "test-token-0123456789"


# --- which mode --------------------------------------------------------------


def test_loopback_needs_no_login_and_other_hosts_get_a_token():
    assert access_for("127.0.0.1").mode == "open"
    assert access_for("localhost").mode == "open"
    assert access_for("::1").mode == "open"
    public = access_for("0.0.0.0")
    assert public.mode == "token" and len(public.token) >= 24
    assert access_for("0.0.0.0").token != public.token  # random per server
    assert access_for("192.168.1.20", no_auth=True).mode == "open"


def test_debug_is_refused_on_a_public_host():
    with pytest.raises(AccessError, match="--debug"):
        access_for("0.0.0.0", debug=True)
    assert access_for("127.0.0.1", debug=True).mode == "open"


def test_auth_and_no_auth_together_are_refused(tmp_path):
    with pytest.raises(AccessError, match="together"):
        access_for("0.0.0.0", auth_file=tmp_path / "users", no_auth=True)


def test_the_printed_url_carries_the_token():
    access = Access(mode="token", bind_host="0.0.0.0", port=8050, token=TOKEN)
    assert access.url() == f"http://127.0.0.1:8050/?token={TOKEN}"


def test_users_file_errors_name_the_file_and_line(tmp_path):
    path = tmp_path / "users.txt"
    path.write_text("# lab\nada:" + hash_password("pw") + "\ngrace plain-password\n")
    with pytest.raises(AccessError, match=r"users.txt, line 3: expected 'name:hash'"):
        read_users(path)
    with pytest.raises(AccessError, match="cannot read the users file"):
        read_users(tmp_path / "missing.txt")
    path.write_text("# nobody\n")
    with pytest.raises(AccessError, match="no users"):
        read_users(path)


def test_hash_password_command_makes_a_line_the_users_file_accepts(tmp_path):
    from werkzeug.security import check_password_hash

    result = subprocess.run(
        [sys.executable, "-m", "regionscope.cli", "hash-password", "ada", "--stdin"],
        input="correct horse\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    (tmp_path / "users").write_text(line + "\n")
    users = read_users(tmp_path / "users")
    assert check_password_hash(users["ada"], "correct horse")
    assert "correct horse" not in line


def test_view_with_a_missing_users_file_is_a_one_line_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "regionscope.cli", "view", "--host", "127.0.0.1", "--auth", str(tmp_path / "nope.txt")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "nope.txt" in result.stderr and "Traceback" not in result.stderr


# --- token mode ---------------------------------------------------------------


@pytest.fixture
def token_app():
    served = serve(access=Access(mode="token", bind_host="127.0.0.1", token=TOKEN))
    yield served
    served.stop()


def test_without_token_everything_is_refused(token_app):
    client = token_app.client()
    for path in ("/", "/_dash-layout", "/_dash-dependencies", "/assets/regionscope.js"):
        reply = client.get(path)
        assert reply.status == 403, path
        assert "needs its token" in reply.text
    assert client.get("/?token=wrong").status == 403
    dependency = {"output": "rs-picture.data", "inputs": [], "state": []}
    assert client.call(dependency, {}, []).status == 403


def test_the_token_sets_a_cookie_and_leaves_the_address(token_app):
    client = token_app.client()
    reply = client.get(f"/?token={TOKEN}")
    assert reply.status == 303
    assert reply.headers["location"] == "/"
    assert client.cookies  # the session cookie
    assert client.get("/").status == 200
    assert show_dataset(client, token_app.dataset.id).status == 200
    # Scripts may send the token as a header instead (as with Jupyter).
    script = token_app.client()
    script.extra_headers["Authorization"] = f"token {TOKEN}"
    assert script.get("/_dash-layout").status == 200


# --- users mode ---------------------------------------------------------------


@pytest.fixture
def users_app(tmp_path):
    users = tmp_path / "users.txt"
    users.write_text(f"ada:{hash_password('ada-pw')}\ngrace:{hash_password('grace-pw')}\n")
    served = serve(access=Access(mode="users", bind_host="127.0.0.1", users=read_users(users)))
    yield served
    served.stop()


def logged_in(served, user, password):
    client = served.client()
    reply = client.post_form("/login", {"user": user, "password": password})
    assert reply.status == 303, reply.text
    return client


def test_login_is_required_and_checked(users_app):
    client = users_app.client()
    reply = client.get("/")
    assert reply.status == 303 and reply.headers["location"] == "/login"
    assert client.get("/login").status == 200
    assert client.get("/_dash-layout").status == 403
    assert client.post_form("/login", {"user": "ada", "password": "wrong"}).status == 403
    assert client.post_form("/login", {"user": "mallory", "password": "ada-pw"}).status == 403
    assert client.get("/_dash-layout").status == 403
    ada = logged_in(users_app, "ada", "ada-pw")
    assert ada.get("/").status == 200


def test_another_users_dataset_id_is_refused(users_app):
    ada = logged_in(users_app, "ada", "ada-pw")
    grace = logged_in(users_app, "grace", "grace-pw")
    reply = upload_image(ada, png_bytes(two_boxes(offset=3)[0]), "ada.png")
    ada_id = response_values(reply)["rs-dataset.data"]["id"]
    assert "rs-grid.rowData" in response_values(show_dataset(ada, ada_id))
    # Grace knows the id: she gets neither its table nor its pixels.
    refused = show_dataset(grace, ada_id)
    assert refused.status == 200
    assert "rs-grid.rowData" not in response_values(refused)
    assert "no longer on the server" in notice_text(refused)
    plane = grace.call(grace.callback_of("rs-picture.data"), {"rs-dataset.data": {"id": ada_id}}, "rs-dataset.data")
    assert "rs-picture.data" not in response_values(plane)
    # Nor can she write into it.
    exclude = grace.callback_with_input("rs-excluded.data", "rs-exclude.n_clicks")
    grace.call(
        exclude,
        {"rs-exclude.n_clicks": 1, "rs-grid.selectedRows": {"ids": ["1"]}, "rs-dataset.data": {"id": ada_id}},
        "rs-exclude.n_clicks",
    )
    assert users_app.annotations.excluded(f"{ada_id}@ada") == []
    assert users_app.annotations.excluded(f"{ada_id}@grace") == []


def _add_class(client, dataset_id, name):
    dependency = client.callback_with_input("rs-classes.data", "rs-class-add.n_clicks")
    values = {
        "rs-class-add.n_clicks": 1,
        "rs-class-name.value": name,
        "rs-class-color.value": "#ff0000",
        "rs-dataset.data": {"id": dataset_id},
    }
    return client.call(dependency, values, "rs-class-add.n_clicks")


def test_the_same_file_uploaded_by_two_users_keeps_their_classes_apart(users_app):
    ada = logged_in(users_app, "ada", "ada-pw")
    grace = logged_in(users_app, "grace", "grace-pw")
    payload = png_bytes(two_boxes(offset=4)[0])
    ada_id = response_values(upload_image(ada, payload))["rs-dataset.data"]["id"]
    assert "added" in notice_text(_add_class(ada, ada_id, "debris"))
    grace_id = response_values(upload_image(grace, payload))["rs-dataset.data"]["id"]
    assert grace_id == ada_id  # same content, same dataset ...
    classes = response_values(show_dataset(grace, grace_id))["rs-classes.data"]
    assert classes["classes"] == []  # ... but not the same classes
    assert [c["name"] for c in response_values(show_dataset(ada, ada_id))["rs-classes.data"]["classes"]] == ["debris"]


def test_the_default_dataset_is_shared_but_its_annotations_are_not(users_app):
    ada = logged_in(users_app, "ada", "ada-pw")
    grace = logged_in(users_app, "grace", "grace-pw")
    default = users_app.dataset.id
    _add_class(ada, default, "ada-only")
    assert response_values(show_dataset(grace, default))["rs-classes.data"]["classes"] == []


# --- every mode -----------------------------------------------------------------


def test_loopback_checks_the_host_header():
    with serve() as served:
        port = served.server.port
        client = served.client()
        assert client.get("/").status == 200
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
            assert client.get("/", Host=host).status == 200, host
        for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", f"localhost.evil.example:{port}"):
            reply = client.get("/", Host=host)
            assert reply.status == 403, host
            assert "Host header refused" in reply.text


def test_a_cross_site_post_is_refused():
    with serve() as served:
        client = served.client()
        reply = show_dataset(client, served.dataset.id)
        assert reply.status == 200
        client.extra_headers["Origin"] = "http://evil.example"
        assert show_dataset(client, served.dataset.id).status == 403


def test_security_headers_on_pages_and_callbacks():
    with serve() as served:
        client = served.client()
        for reply in (client.get("/"), show_dataset(client, served.dataset.id), client.get("/assets/regionscope.js")):
            policy = reply.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in policy
            assert "default-src 'self'" in policy and "object-src 'none'" in policy
            assert reply.headers["x-frame-options"] == "DENY"
            assert reply.headers["x-content-type-options"] == "nosniff"
            assert reply.headers["referrer-policy"] == "no-referrer"


def test_without_authentication_everything_stays_shared():
    """Local use: no login, one shared set of datasets and annotations (documented)."""
    with serve() as served:
        first, second = served.client(), served.client()
        uploaded = response_values(upload_image(first, png_bytes(two_boxes(offset=6)[0])))["rs-dataset.data"]["id"]
        _add_class(first, uploaded, "shared")
        classes = response_values(show_dataset(second, uploaded))["rs-classes.data"]["classes"]
        assert [c["name"] for c in classes] == ["shared"]


def test_the_client_refuses_non_loopback_hosts():
    with pytest.raises(ValueError):
        DashClient("http://example.org/")
