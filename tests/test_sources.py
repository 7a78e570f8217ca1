"""Tests of the download cache (HTTP is monkeypatched: no network in tests)."""

from __future__ import annotations

import pytest
import requests

from accessibilite import DownloadError, InputError, settings, sources
from accessibilite.sources import OFFICIAL_SOURCES, fetch

PAYLOAD = b"id_fs,lib_fs\n1,France services de Geaune\n" * 1000


class FakeResponse:
    """The slice of ``requests.Response`` that :func:`fetch` uses."""

    def __init__(self, body: bytes, status: int = 200, headers=None, fail_after=None):
        self.body, self.status_code = body, status
        self.headers = {"content-length": str(len(body))} if headers is None else headers
        self.fail_after = fail_after

    def raise_for_status(self):
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code} Client Error")

    def iter_content(self, chunk_size=1):
        for i in range(0, len(self.body), 1000):
            if self.fail_after is not None and i >= self.fail_after:
                raise requests.ConnectionError("connexion interrompue")
            yield self.body[i : i + 1000]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def folders(tmp_path, monkeypatch):
    cache, data = tmp_path / "cache", tmp_path / "data"
    monkeypatch.setattr(settings, "cache_folder", cache)
    monkeypatch.setattr(settings, "data_folder", None)
    monkeypatch.setattr(settings, "progress", False)
    # HTTP is faked below: the connection probe would see the sockets blocked by conftest
    monkeypatch.setattr(sources, "check_connection", lambda url, timeout=None: None)
    return cache, data


@pytest.fixture
def http(monkeypatch):
    """Record the requested URLs and serve ``responses`` in order."""
    calls, responses = [], []

    def get(url, stream=False, timeout=None):
        calls.append((url, stream, timeout))
        return responses.pop(0)

    monkeypatch.setattr(sources.requests, "get", get)
    return calls, responses


def test_official_sources_are_complete():
    assert set(OFFICIAL_SOURCES) == {"france_services", "finess", "filosofi_200m", "bpe"}
    for entry in OFFICIAL_SOURCES.values():
        assert set(entry) >= {"url", "filename", "producer", "licence"}
        assert entry["url"].startswith("https://")
        assert "/" not in entry["filename"]
    assert "data.gouv.fr" in OFFICIAL_SOURCES["france_services"]["url"]


def test_download_then_cache(folders, http):
    cache, _ = folders
    calls, responses = http
    responses.append(FakeResponse(PAYLOAD))
    path = fetch("france_services")
    assert path == cache / "liste-structures-france-services.csv"
    assert path.read_bytes() == PAYLOAD
    assert calls == [(OFFICIAL_SOURCES["france_services"]["url"], True, settings.timeout)]
    # second call: served from the cache, no HTTP request
    assert fetch("france_services") == path
    assert len(calls) == 1
    # no temporary file left behind
    assert sorted(p.name for p in cache.iterdir()) == [path.name]


def test_refresh_downloads_again(folders, http):
    calls, responses = http
    responses += [FakeResponse(b"old"), FakeResponse(b"new")]
    path = fetch("bpe")
    assert path.read_bytes() == b"old"
    assert fetch("bpe", refresh=True).read_bytes() == b"new"
    assert len(calls) == 2


def test_data_folder_wins(folders, http, monkeypatch):
    cache, data = folders
    calls, _ = http
    data.mkdir()
    (data / "BPE24.zip").write_bytes(b"local copy")
    monkeypatch.setattr(settings, "data_folder", data)
    assert fetch("bpe") == data / "BPE24.zip"
    assert fetch("bpe", refresh=True) == data / "BPE24.zip"
    assert calls == []
    assert not cache.exists()


def test_url_and_filename(folders, http):
    cache, _ = folders
    calls, responses = http
    responses += [FakeResponse(b"a"), FakeResponse(b"b")]
    url = "https://example.org/donn%C3%A9es/liste%20fs.csv?version=2"
    assert fetch(url) == cache / "liste_fs.csv"
    assert fetch(url, "autre.csv").read_bytes() == b"b"
    assert [c[0] for c in calls] == [url, url]


def test_offline_error_is_french_and_leaves_nothing(folders, monkeypatch):
    cache, _ = folders

    def offline(*args, **kwargs):
        raise requests.ConnectionError("Name or service not known")

    monkeypatch.setattr(sources.requests, "get", offline)
    with pytest.raises(DownloadError, match="passez son chemin") as err:
        fetch("finess")
    assert OFFICIAL_SOURCES["finess"]["url"] in str(err.value)
    assert "finess-etalab-cs1100507-stock.csv" in str(err.value)
    assert list(cache.iterdir()) == []


@pytest.mark.parametrize(
    "response",
    [
        FakeResponse(b"", status=404),
        FakeResponse(b""),
        FakeResponse(PAYLOAD, fail_after=5000),
        FakeResponse(PAYLOAD[:100], headers={"content-length": str(len(PAYLOAD))}),
    ],
    ids=["http-404", "empty", "interrupted", "truncated"],
)
def test_failed_downloads_keep_previous_cache(folders, http, response):
    cache, _ = folders
    _, responses = http
    responses += [FakeResponse(b"good copy"), response]
    path = fetch("filosofi_200m")
    with pytest.raises(DownloadError):
        fetch("filosofi_200m", refresh=True)
    assert path.read_bytes() == b"good copy"
    assert sorted(p.name for p in cache.iterdir()) == [path.name]


def test_gzip_encoded_answer_is_not_flagged_truncated(folders, http):
    _, responses = http
    headers = {"content-length": "10", "content-encoding": "gzip"}
    responses.append(FakeResponse(PAYLOAD, headers=headers))
    assert fetch("bpe").read_bytes() == PAYLOAD


@pytest.mark.parametrize("bad", ["inconnue", "ftp://example.org/x.csv", "https://example.org/"])
def test_bad_names(folders, bad):
    with pytest.raises(InputError):
        fetch(bad)


@pytest.mark.parametrize("bad", ["../x.csv", "a/b.csv", ""])
def test_bad_filenames(folders, bad):
    with pytest.raises(InputError):
        fetch("bpe", bad)


# --------------------------------------------------------------------------- offline probe
def test_probe_fails_at_once_with_sockets_blocked(tmp_path, monkeypatch):
    # conftest blocks every socket connection, as a sandbox without network would
    import time

    from accessibilite import OfflineError

    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    monkeypatch.setattr(settings, "data_folder", None)
    start = time.perf_counter()
    with pytest.raises(OfflineError, match="pas de connexion internet : www.data.gouv.fr") as err:
        fetch("france_services")
    assert time.perf_counter() - start < 1.0
    message = str(err.value)
    assert "liste-structures-france-services.csv" in message and "(" not in message
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").iterdir()) == []


def test_probe_without_dns(monkeypatch):
    import socket

    from accessibilite import OfflineError

    def no_dns(address, timeout=None):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "create_connection", no_dns)
    with pytest.raises(OfflineError, match="overpass-api.de injoignable"):
        sources.check_connection("https://overpass-api.de/api/interpreter")


def test_probe_gives_up_after_its_timeout(monkeypatch):
    # a firewall dropping packets: the name resolves but the connection hangs
    import socket
    import threading
    import time

    from accessibilite import OfflineError

    release = threading.Event()

    def hang(address, timeout=None):
        release.wait(10)
        raise OSError("too late")

    monkeypatch.setattr(socket, "create_connection", hang)
    start = time.perf_counter()
    try:
        with pytest.raises(OfflineError):
            sources.check_connection("https://www.data.gouv.fr/x", timeout=0.2)
    finally:
        release.set()
    assert time.perf_counter() - start < 1.5


def test_probe_reaches_the_proxy_and_succeeds(monkeypatch):
    import socket

    seen = []

    class Conn:
        def close(self):
            seen.append("closed")

    def connect(address, timeout=None):
        seen.append((address, timeout))
        return Conn()

    monkeypatch.setattr(socket, "create_connection", connect)
    monkeypatch.setenv("https_proxy", "http://proxy.example.fr:3128")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    sources.check_connection("https://www.data.gouv.fr/x", timeout=1.5)
    assert seen == [(("proxy.example.fr", 3128), 1.5), "closed"]
    monkeypatch.delenv("https_proxy")
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    seen.clear()
    sources.check_connection("https://www.data.gouv.fr/x", timeout=1.5)
    assert seen == [(("www.data.gouv.fr", 443), 1.5), "closed"]
