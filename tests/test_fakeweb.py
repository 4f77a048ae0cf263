"""The fake web does what its URLs promise, seen from plain clients and raw sockets."""

from __future__ import annotations

import gzip
import http.client
import io
import json
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import pytest

from tests.fakeweb import PDF_SENTENCE, FakeWeb, RemoteFakeWeb, Site
from tests.fakeweb.routes import MAX_SLEEP, sleep_seconds

ROOT = Path(__file__).resolve().parent.parent


def get(
    web: FakeWeb | str,
    path: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    """One request with http.client, which neither follows redirects nor decompresses."""
    base = web if isinstance(web, str) else web.base_url
    conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def raw(web: FakeWeb, request: bytes) -> bytes:
    """Send `request` bytes on a fresh socket and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", urlsplit(web.base_url).port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


def raw_get(web: FakeWeb, path: str) -> tuple[bytes, bytes]:
    answer = raw(web, b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


# -- the server ------------------------------------------------------------------------------


def test_listens_on_loopback_only(fakeweb: FakeWeb) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", fakeweb.base_url)
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        FakeWeb(host="0.0.0.0")


def test_keep_alive_serves_several_requests_on_one_connection(fakeweb: FakeWeb) -> None:
    conn = http.client.HTTPConnection(urlsplit(fakeweb.base_url).netloc, timeout=5)
    ports = []
    for path in ("/plain.txt", "/status/404", "/gzip/plain.txt"):
        conn.request("GET", path)
        conn.getresponse().read()
        ports.append(conn.sock.getsockname()[1])
    conn.close()
    assert len(set(ports)) == 1


def test_head_answers_headers_only(fakeweb: FakeWeb) -> None:
    body = get(fakeweb, "/articles/alep.html")[1]
    head, head_body = get(fakeweb, "/articles/alep.html", method="HEAD")
    assert head.status == 200 and head_body == b""
    assert head.getheader("Content-Length") == str(len(body))


def test_slow_answers_late_without_blocking_others(site: Site) -> None:
    done: dict[str, float] = {}
    slow_path = "/slow/4" + site.path("/p")  # long enough for a loaded machine to answer /p
    site.set("/p", "late")

    def slow() -> None:
        get(site.web, slow_path)
        done["slow"] = time.monotonic()

    start = time.monotonic()
    thread = threading.Thread(target=slow)
    thread.start()
    while not site.web.requests_for(slow_path):  # the server is now sleeping on it
        time.sleep(0.01)
    assert get(site.web, site.path("/p"))[1] == b"late"
    done["fast"] = time.monotonic()
    thread.join()
    # Ordering with a 4 s margin, not a tight bound: this machine's load must not make it flaky.
    assert done["fast"] < done["slow"] and done["slow"] - start >= 4
    assert sleep_seconds("100") == MAX_SLEEP


def test_standalone_process_prints_url_obeys_control_and_dies_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeweb"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert select.select([proc.stdout], [], [], 10)[0], "no URL within 10 s"
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
        assert get(base, "/plain.txt")[0].status == 200
        remote = RemoteFakeWeb(base)
        remote.set("/made", "made at {{base}}", headers=[("X-A", "1"), ("X-A", "2")])
        response, body = get(base, "/made")
        assert body == f"made at {base}".encode()
        assert response.headers.get_all("X-A") == ["1", "2"]
        assert [seen.path for seen in remote.requests] == ["/plain.txt", "/made"]
        remote.reset()
        assert get(base, "/made")[0].status == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0


# -- static pages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/articles/alep.html", "text/html; charset=utf-8"),
        ("/sources/blog-post.html", "text/html; charset=utf-8"),
        ("/sources/agency-story.html", "text/html; charset=utf-8"),
        ("/sources/tchurkin-onu.html", "text/html; charset=utf-8"),
        ("/plain.txt", "text/plain; charset=utf-8"),
        ("/static/site.css", "text/css; charset=utf-8"),
        ("/image.png", "image/png"),
    ],
)
def test_static_pages(fakeweb: FakeWeb, path: str, content_type: str) -> None:
    response, body = get(fakeweb, path)
    assert (response.status, response.getheader("Content-Type")) == (200, content_type)
    assert b"{{base}}" not in body


def test_article_keeps_accents_and_cites_the_fake_web(fakeweb: FakeWeb) -> None:
    text = get(fakeweb, "/articles/alep.html")[1].decode("utf-8")
    base = fakeweb.base_url
    assert "Alep, l’impasse de la coalition menée par les Etats-Unis" in text
    assert f"<p>Source: {base}/sources/blog-post.html</p>" in text
    assert f"<p>Source:\xa0{base}/sources/agency-story.html</p>" in text
    cited = set(re.findall(r'href="(http://127[^"]+)"', text))
    assert {
        f"{base}/pdf/rapport-31-octobre.pdf",
        f"{base}/redirect?to=/sources/tchurkin-onu.html&amp;code=301",
        f"{base}/status/404",
    } <= cited


def test_article_citations_answer_as_intended(fakeweb: FakeWeb) -> None:
    for path in ("/sources/blog-post.html", "/sources/agency-story.html"):
        assert get(fakeweb, path)[0].status == 200
    moved = get(fakeweb, "/redirect?to=/sources/tchurkin-onu.html&code=301")[0]
    assert (moved.status, moved.getheader("Location")) == (301, "/sources/tchurkin-onu.html")
    assert get(fakeweb, "/status/404")[0].status == 404
    assert get(fakeweb, "/pdf/rapport-31-octobre.pdf")[0].status == 200


def test_robots_txt_allows_everything(fakeweb: FakeWeb) -> None:
    robots = RobotFileParser()
    robots.parse(get(fakeweb, "/robots.txt")[1].decode().splitlines())
    assert robots.can_fetch("citewatch", fakeweb.url("/articles/alep.html"))


@pytest.mark.parametrize(
    "path", ["/nowhere", "/articles/", "/../pyproject.toml", "/%2e%2e/tests/conftest.py", "/a%00b"]
)
def test_unknown_paths_and_escapes_are_404(fakeweb: FakeWeb, path: str) -> None:
    head, body = raw_get(fakeweb, path)
    assert head.startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert b"<h1>404 Not Found</h1>" in body


# -- behaviour URLs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (200, "OK"),
        (403, "Forbidden"),
        (404, "Not Found"),
        (410, "Gone"),
        (429, "Too Many Requests"),
        (451, "Unavailable For Legal Reasons"),
        (500, "Internal Server Error"),
        (503, "Service Unavailable"),
    ],
)
def test_status(fakeweb: FakeWeb, code: int, reason: str) -> None:
    head, body = raw_get(fakeweb, f"/status/{code}")
    assert head.startswith(f"HTTP/1.1 {code} {reason}\r\n".encode())
    assert f"<title>{code} {reason}</title>".encode() in body


@pytest.mark.parametrize(
    ("query", "code"), [("", 302), *((f"&code={c}", c) for c in (301, 302, 303, 307, 308))]
)
def test_redirect(fakeweb: FakeWeb, query: str, code: int) -> None:
    response = get(fakeweb, f"/redirect?to=/plain.txt{query}")[0]
    assert (response.status, response.getheader("Location")) == (code, "/plain.txt")
    assert get(fakeweb, "/redirect?to=/x&code=200")[0].status == 400


def test_redirect_chain_takes_n_hops(fakeweb: FakeWeb) -> None:
    location, hops = "/redirect-chain/3?to=/plain.txt&code=301", 0
    while (response := get(fakeweb, location)[0]).status == 301:
        location, hops = response.getheader("Location"), hops + 1
    assert (hops, location, response.status) == (3, "/plain.txt", 200)


def test_redirect_loop_points_at_itself(fakeweb: FakeWeb) -> None:
    response = get(fakeweb, "/redirect-loop")[0]
    assert (response.status, response.getheader("Location")) == (302, "/redirect-loop")


def test_gzip_bytes_on_the_wire(fakeweb: FakeWeb) -> None:
    plain = get(fakeweb, "/articles/alep.html")[1]
    response, body = get(fakeweb, "/gzip/articles/alep.html")
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Content-Length") == str(len(body))
    assert body[:2] == b"\x1f\x8b" and gzip.decompress(body) == plain


def test_chunked_framing_on_the_raw_socket(fakeweb: FakeWeb) -> None:
    plain = get(fakeweb, "/articles/alep.html")[1]
    head, body = raw_get(fakeweb, "/chunked/articles/alep.html")
    assert b"\r\nTransfer-Encoding: chunked" in head and b"Content-Length" not in head
    chunks = []
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        chunks.append(body[:size])
        assert body[size : size + 2] == b"\r\n"
        body = body[size + 2 :]
        if size == 0:
            break
    assert body == b"" and len(chunks) > 2 and b"".join(chunks) == plain


def test_drop_closes_without_answer(fakeweb: FakeWeb) -> None:
    with pytest.raises(http.client.RemoteDisconnected):
        get(fakeweb, "/drop")
    assert fakeweb.requests_for("/drop")


def test_drop_mid_cuts_the_body(fakeweb: FakeWeb) -> None:
    conn = http.client.HTTPConnection(urlsplit(fakeweb.base_url).netloc, timeout=5)
    conn.request("GET", "/drop-mid/articles/alep.html")
    response = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    conn.close()
    assert len(cut.value.partial) == int(response.getheader("Content-Length")) // 2


def test_charset_in_header_meta_or_nowhere(fakeweb: FakeWeb) -> None:
    text = "Alep, l’impasse de la coalition menée"
    response, body = get(fakeweb, "/charset/windows-1252/articles/alep.html")
    assert response.getheader("Content-Type") == "text/html; charset=windows-1252"
    assert text.encode("windows-1252") in body and b"<meta charset" not in body
    response, meta_body = get(fakeweb, "/charset-meta/windows-1252/articles/alep.html")
    assert response.getheader("Content-Type") == "text/html"
    assert meta_body.count(b"<meta charset") == 1 and b'<meta charset="windows-1252">' in meta_body
    response, bare = get(fakeweb, "/charset-none/windows-1252/articles/alep.html")
    assert response.getheader("Content-Type") == "text/html"
    assert bare == body and b"charset" not in bare.split(b"</head>")[0]
    latin1 = get(fakeweb, "/charset/iso-8859-1/articles/alep.html")[1]
    assert "Alep, l&#8217;impasse de la coalition menée".encode("latin-1") in latin1
    assert get(fakeweb, "/charset/no-such-codec/plain.txt")[0].status == 400


def test_etag_answers_304_to_matching_validators(fakeweb: FakeWeb) -> None:
    response, body = get(fakeweb, "/etag/articles/alep.html")
    etag, modified = response.getheader("ETag"), response.getheader("Last-Modified")
    assert response.status == 200 and body and etag.startswith('"')
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-Modified-Since": modified},
        {"If-Modified-Since": formatdate(time.time(), usegmt=True)},
    ):
        answer, empty = get(fakeweb, "/etag/articles/alep.html", headers=headers)
        assert (answer.status, empty, answer.getheader("ETag")) == (304, b"", etag)
    for headers in (
        {"If-None-Match": '"other"'},
        {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
        {"If-None-Match": '"other"', "If-Modified-Since": modified},  # If-None-Match wins
    ):
        assert get(fakeweb, "/etag/articles/alep.html", headers=headers)[0].status == 200


def test_two_set_cookie_and_two_link_headers(fakeweb: FakeWeb) -> None:
    response = get(fakeweb, "/cookies")[0]
    assert len(response.headers.get_all("Set-Cookie")) == 2
    assert len(response.headers.get_all("Link")) == 2


def test_latin1_header_is_a_raw_byte(fakeweb: FakeWeb) -> None:
    head, _ = raw_get(fakeweb, "/latin1-header")
    assert b"\r\nX-Note: caf\xe9\r\n" in head


def test_pdf_xref_offsets_point_at_objects(fakeweb: FakeWeb) -> None:
    response, pdf = get(fakeweb, "/pdf/rapport-31-octobre.pdf")
    assert response.getheader("Content-Type") == "application/pdf"
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    xref = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))
    assert pdf[xref:].startswith(b"xref\n0 7\n")
    entries = re.findall(rb"(\d{10}) 00000 n \n", pdf[xref:])
    assert len(entries) == 6
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj\n" % number)
    assert f"({PDF_SENTENCE}) Tj".encode() in pdf


def test_pdf_text_layer_reads_with_pypdf(fakeweb: FakeWeb) -> None:
    pypdf = pytest.importorskip("pypdf", reason="pypdf is not a test dependency (yet)")
    reader = pypdf.PdfReader(io.BytesIO(get(fakeweb, "/pdf/x.pdf")[1]), strict=True)
    assert PDF_SENTENCE in reader.pages[0].extract_text()


def test_png_is_valid(fakeweb: FakeWeb) -> None:
    png = get(fakeweb, "/image.png")[1]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    at, kinds = 8, []
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length : at + 12 + length])[0] == zlib.crc32(
            kind + data
        )
        kinds.append(kind)
        at += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]


@pytest.mark.parametrize("size", [5000, 1_000_000])
def test_big_page_has_the_size_asked(fakeweb: FakeWeb, size: int) -> None:
    body = get(fakeweb, f"/big/{size}")[1]
    assert body.startswith(b"<!doctype html>") and body.endswith(b"</html>\n")
    assert len(body) == size
    assert 10 < len(get(fakeweb, "/big/10")[1]) < 200  # never less than a whole page


def test_echo_shows_headers_in_order_with_duplicates(fakeweb: FakeWeb) -> None:
    conn = http.client.HTTPConnection(urlsplit(fakeweb.base_url).netloc, timeout=5)
    conn.putrequest("POST", "/echo?q=1", skip_accept_encoding=True)
    for name, value in [("Cookie", "a=1"), ("If-None-Match", '"v1"'), ("Cookie", "b=2")]:
        conn.putheader(name, value)
    conn.putheader("Content-Length", "4")
    conn.endheaders(b"data")
    seen = json.loads(conn.getresponse().read())
    conn.close()
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/echo?q=1", "data")
    assert [pair for pair in seen["headers"] if pair[0] in ("Cookie", "If-None-Match")] == [
        ["Cookie", "a=1"],
        ["If-None-Match", '"v1"'],
        ["Cookie", "b=2"],
    ]


# -- changing pages --------------------------------------------------------------------------


def test_site_set_serves_body_status_headers(site: Site) -> None:
    site.set(
        "/a.html",
        "<a href='{{site}}/b.html'>{{base}}</a>",
        status=203,
        headers=[("X-Twice", "1"), ("X-Twice", "2")],
        content_type="text/x-test",
    )
    response, body = get(site.web, site.path("/a.html"))
    assert (response.status, response.getheader("Content-Type")) == (203, "text/x-test")
    assert response.headers.get_all("X-Twice") == ["1", "2"]
    assert body.decode() == f"<a href='{site.url('/b.html')}'>{site.web.base_url}</a>"


def test_site_delete_close_redirect_and_wildcard(site: Site) -> None:
    site.set("/page", "here")
    site.delete("/page")
    assert get(site.web, site.path("/page"))[0].status == 404
    site.close("/gone")
    with pytest.raises(http.client.RemoteDisconnected):
        get(site.web, site.path("/gone"))
    site.redirect("/old", "/new")
    site.redirect("/away", "https://elsewhere.example/")
    assert get(site.web, site.path("/old"))[0].getheader("Location") == site.path("/new")
    assert (
        get(site.web, site.path("/away"))[0].getheader("Location") == "https://elsewhere.example/"
    )
    site.set("/*", "soft 404", status=200)
    assert get(site.web, site.path("/any/thing"))[1] == b"soft 404"
    assert get(site.web, site.path("/old"))[0].status == 301  # exact paths beat the wildcard


def test_wrappers_apply_to_changed_pages(site: Site) -> None:
    site.set("/v.html", "version one")
    first = get(site.web, "/etag" + site.path("/v.html"))[0].getheader("ETag")
    site.set("/v.html", "version two")
    response = get(site.web, "/etag" + site.path("/v.html"), headers={"If-None-Match": first})[0]
    assert response.status == 200 and response.getheader("ETag") != first
    assert gzip.decompress(get(site.web, "/gzip" + site.path("/v.html"))[1]) == b"version two"


def test_sites_are_isolated_and_reset(fakeweb: FakeWeb) -> None:
    one, two = fakeweb.site("iso"), fakeweb.site("iso")
    one.set("/p", "one")
    two.set("/p", "two")
    assert one.prefix != two.prefix and one.prefix.startswith("/t/iso-")
    assert get(fakeweb, one.path("/p"))[1] == b"one"
    one.reset()
    assert get(fakeweb, one.path("/p"))[0].status == 404
    assert get(fakeweb, two.path("/p"))[1] == b"two"
    two.reset()


def test_request_log_counts_hits(site: Site) -> None:
    site.set("/article.html", "<a href='/nav'>nav</a>")
    get(site.web, site.path("/article.html"), headers={"X-Probe": "yes"})
    get(site.web, site.path("/article.html") + "?again=1")
    hits = site.requests_for("/article.html")
    assert len(hits) == 2 and hits[0].header("x-probe") == "yes"
    assert len(site.requests_for("/article.html?again=1")) == 1
    assert site.requests_for("/nav") == []
    assert [seen.url_path for seen in site.requests] == [site.path("/article.html")] * 2


def test_fakeweb_set_and_reset_restore_static_pages(fakeweb: FakeWeb) -> None:
    fakeweb.set("/plain.txt", "replaced", content_type="text/plain")
    assert get(fakeweb, "/plain.txt")[1] == b"replaced"
    fakeweb.reset("/plain.txt")
    assert get(fakeweb, "/plain.txt")[1].startswith(b"Fake web plain text page.")


def test_control_endpoint(site: Site) -> None:
    def control(action: str, payload: object) -> http.client.HTTPResponse:
        return get(site.web, f"/_control/{action}", "POST", body=json.dumps(payload).encode())[0]

    assert (
        control("set", {"path": site.path("/c"), "body": "via control", "status": 201}).status
        == 200
    )
    assert get(site.web, site.path("/c"))[1] == b"via control"
    assert control("reset", {"prefix": site.prefix + "/"}).status == 200
    assert get(site.web, site.path("/c"))[0].status == 404
    assert control("set", {"body": "no path"}).status == 400
    assert control("nonsense", {}).status == 404
    assert not [seen for seen in site.web.requests if seen.path.startswith("/_control/")]
    with urllib.request.urlopen(site.web.url("/_control/requests"), timeout=5) as answer:
        assert isinstance(json.load(answer), list)
