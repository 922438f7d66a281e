"""The editors' pages over real HTTP, without a browser: sign-in, CSRF and origin checks, errors, headers."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.web.editor_support import TOKEN, private_store, serve_store


@pytest.fixture(scope="module")
def store(demo_sqlite_url, tmp_path_factory):
    return private_store(demo_sqlite_url, tmp_path_factory.mktemp("editor_http"))


@pytest.fixture(scope="module")
def site(store):
    server = serve_store(store)
    yield server
    server.stop()


def signed_in(site, name: str = "Ana") -> httpx.Client:
    client = httpx.Client(base_url=site.url, follow_redirects=False)
    answer = client.post("/login", data={"token": TOKEN, "editor": name, "next": "/dramas/1"})
    assert answer.status_code == 303 and answer.headers["location"] == "/dramas/1"
    assert "httponly" in answer.headers["set-cookie"].lower()
    assert "samesite=strict" in answer.headers["set-cookie"].lower()
    return client


def csrf_of(client: httpx.Client, path: str = "/dramas/1") -> str:
    html = client.get(path).text
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert found, "a signed-in page carries the CSRF token in its forms"
    return found.group(1)


def test_pages_are_served_with_a_strict_content_security_policy(site):
    answer = httpx.get(site.url + "/")
    assert answer.status_code == 200 and "text/html" in answer.headers["content-type"]
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(site.url + "/static/editor.js").status_code == 200


def test_bad_filter_values_get_a_clear_400(site):
    answer = httpx.get(site.url + "/", params={"year": "abc"})
    assert answer.status_code == 400 and "year must be a whole number" in answer.text
    answer = httpx.get(site.url + "/", params={"sort": "bogus"})
    assert answer.status_code == 400 and "sort must be one of" in answer.text


def test_unknown_drama_is_a_404_page(site):
    answer = httpx.get(site.url + "/dramas/999999")
    assert answer.status_code == 404 and "no drama with id 999999" in answer.text


def test_wrong_token_does_not_sign_in(site):
    answer = httpx.post(site.url + "/login", data={"token": "guess", "editor": "Eve", "next": "/"})
    assert answer.status_code == 403 and "dramascore_editor" not in answer.headers.get("set-cookie", "")


def test_sign_in_never_redirects_off_site(site):
    client = httpx.Client(base_url=site.url)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        answer = client.post("/login", data={"token": TOKEN, "editor": "Ana", "next": target})
        assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_a_forged_cookie_is_not_an_editor(site):
    client = httpx.Client(base_url=site.url, cookies={"dramascore_editor": "QW5h.0000"})
    assert "Editing as" not in client.get("/dramas/1").text


def test_write_without_csrf_token_is_refused(site):
    client = signed_in(site)
    form = {"kind": "exclude_review", "review_id": "1", "reason": "spam", "back": "/dramas/1"}
    assert client.post("/corrections", data=form).status_code == 403
    assert client.post("/corrections", data={**form, "csrf": "0" * 64}).status_code == 403


def test_cross_site_post_is_refused_even_with_the_token(site):
    client = signed_in(site)
    form = {"kind": "exclude_review", "review_id": "1", "reason": "spam", "back": "/dramas/1", "csrf": csrf_of(client)}
    answer = client.post("/corrections", data=form, headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403


def test_a_correction_needs_a_reason_and_valid_targets(site):
    client = signed_in(site)
    csrf = csrf_of(client)
    base = {"csrf": csrf, "back": "/dramas/1"}
    answer = client.post("/corrections", data={**base, "kind": "exclude_review", "review_id": "1", "reason": " "})
    assert answer.status_code == 400 and "needs a reason" in answer.text
    answer = client.post("/corrections", data={**base, "kind": "exclude_review", "review_id": "abc", "reason": "x"})
    assert answer.status_code == 400 and "review id must be a number" in answer.text
    answer = client.post("/corrections", data={**base, "kind": "exclude_review", "review_id": "987654", "reason": "x"})
    assert answer.status_code == 400 and "no review with id 987654" in answer.text
    answer = client.post("/corrections", data={**base, "kind": "drop_table", "reason": "x"})
    assert answer.status_code == 400 and "unknown correction" in answer.text


def test_source_weight_then_revoke_from_the_audit_page(site):
    client = signed_in(site, "Bo")
    csrf = csrf_of(client)
    html = client.get("/dramas/1").text
    source_id = re.search(r'data-kind="source_weight">.*?name="source_id" value="(\d+)"', html, re.S).group(1)
    form = {"csrf": csrf, "back": "/dramas/1", "kind": "source_weight", "source_id": source_id, "value": "0",
            "reason": "muting a source for the test"}  # fmt: skip
    answer = client.post("/corrections", data=form)
    assert answer.status_code == 303 and "done=" in answer.headers["location"]
    correction_id = answer.headers["location"].split("done=")[1]
    audit = client.get("/audit").text
    assert f'data-correction-id="{correction_id}"' in audit and "muting a source for the test" in audit
    answer = client.post(f"/corrections/{correction_id}/revoke", data={"csrf": csrf_of(client, "/audit")})
    assert answer.status_code == 303
    row = re.search(rf'<tr class="(\w+)" data-correction-id="{correction_id}"', client.get("/audit").text)
    assert row.group(1) == "revoked"


def test_read_only_server_offers_no_sign_in(store):
    with serve_store(store, token=None) as server:
        html = httpx.get(server.url + "/dramas/1").text
        assert 'id="login"' not in html and "Read-only" in html
        answer = httpx.post(server.url + "/login", data={"token": "", "editor": "Ana"})
        assert answer.status_code == 403
