"""Official data sources, on-disk download cache and local data-folder override.

:func:`fetch` resolves a data file in this order:

1. ``settings.data_folder / filename`` — a folder of files the user put there
   to work offline (same file names as the cache);
2. ``settings.cache_folder / filename`` — a previous download;
3. a download from the official URL (streamed, with a progress bar, written
   atomically so that an interrupted download never leaves a truncated file).

Before any download, :func:`check_connection` opens one TCP connection to the
host (or to the proxy in use) with a short timeout (``settings.probe_timeout``)
and raises :class:`~accessibilite.errors.OfflineError` at once when the name
does not resolve or the host cannot be reached: an offline machine fails in a
few seconds instead of waiting for retries.

The URLs below are the stable addresses published by the producers
(``data.gouv.fr/fr/datasets/r/<id>`` always serves the latest version of a
data.gouv.fr resource). See ``docs/data-sources.md`` for the columns used.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import threading
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests
from tqdm.auto import tqdm

from . import settings
from .errors import DownloadError, InputError, OfflineError

__all__ = ["OFFICIAL_SOURCES", "OVERPASS_URL", "check_connection", "fetch"]

#: Official downloads: ``url``, cache ``filename``, ``producer``, ``licence``,
#: and ``page`` (the human-readable dataset page, to check for newer editions).
OFFICIAL_SOURCES: dict[str, dict[str, str]] = {
    "france_services": {
        "url": "https://www.data.gouv.fr/fr/datasets/r/afc3f97f-0ef5-429b-bf16-7b7876d27cd4",
        "filename": "liste-structures-france-services.csv",
        "producer": "ANCT (Agence nationale de la cohésion des territoires) et Banque des Territoires",
        "licence": "Licence Ouverte / Open Licence 2.0 (Etalab)",
        "page": "https://www.data.gouv.fr/fr/datasets/liste-des-structures-france-services/",
    },
    "finess": {
        "url": "https://www.data.gouv.fr/fr/datasets/r/98f3161f-79ff-4f16-8f6a-6d571a80fea2",
        "filename": "finess-etalab-cs1100507-stock.csv",
        "producer": "Ministère de la Santé (DREES), FINESS — extraction Etalab géolocalisée",
        "licence": "Licence Ouverte / Open Licence 2.0 (Etalab)",
        "page": "https://www.data.gouv.fr/fr/datasets/finess-extraction-du-fichier-des-etablissements/",
    },
    "filosofi_200m": {
        "url": "https://www.insee.fr/fr/statistiques/fichier/7655475/Filosofi2019_carreaux_200m_gpkg.zip",
        "filename": "Filosofi2019_carreaux_200m_gpkg.zip",
        "producer": "INSEE, Filosofi 2019 — revenus localisés, données carroyées à 200 m",
        "licence": "Licence Ouverte / Open Licence 2.0 (Etalab), secret statistique INSEE",
        "page": "https://www.insee.fr/fr/statistiques/7655475?sommaire=7655515",
    },
    "bpe": {
        "url": "https://www.insee.fr/fr/statistiques/fichier/8217525/BPE24.zip",
        "filename": "BPE24.zip",
        "producer": "INSEE, Base permanente des équipements 2024 — équipements géolocalisés",
        "licence": "Licence Ouverte / Open Licence 2.0 (Etalab)",
        "page": "https://www.insee.fr/fr/statistiques/8217525",
    },
}

#: Overpass API used by osmnx (``osmnx.settings.overpass_url``) to download road networks.
OVERPASS_URL = "https://overpass-api.de/api"

_CHUNK = 1 << 20


def _validate_filename(filename: str) -> str:
    """A bare file name (no folder, no ``..``) safe to join to the cache folder."""
    name = str(filename).strip()
    if not name or name in {".", ".."} or "/" in name or "\\" in name:
        raise InputError(f"nom de fichier de cache invalide : {filename!r}")
    return name


def _resolve(name_or_url: str, filename: str | None) -> tuple[str, str]:
    """``(url, filename)`` for an official source name or a URL."""
    key = str(name_or_url).strip()
    if key in OFFICIAL_SOURCES:
        source = OFFICIAL_SOURCES[key]
        return source["url"], _validate_filename(
            source["filename"] if filename is None else filename
        )
    parsed = urlparse(key)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError(
            f"source inconnue : {name_or_url!r} (attendu : une URL http(s) ou l'un de "
            f"{', '.join(sorted(OFFICIAL_SOURCES))})"
        )
    if filename is None:
        filename = unquote(Path(parsed.path).name)
        filename = re.sub(r"[^\w.\-]", "_", filename)
        if not filename:
            raise InputError(
                f"impossible de déduire un nom de fichier de {key!r} : passez filename="
            )
    return key, _validate_filename(filename)


def fetch(name_or_url: str, filename: str | None = None, *, refresh: bool = False) -> Path:
    """Path of a local copy of an official data file, downloading it if needed.

    Parameters
    ----------
    name_or_url : str
        A key of :data:`OFFICIAL_SOURCES` (``"france_services"``, ``"finess"``,
        ``"filosofi_200m"``, ``"bpe"``) or any http(s) URL.
    filename : str, optional
        Name of the file in the data and cache folders. Defaults to the
        source's ``filename``, or to the last segment of the URL.
    refresh : bool, default False
        Download again even if the cache holds a copy. A file in
        ``settings.data_folder`` is the user's explicit choice and still wins.

    Returns
    -------
    Path
        ``settings.data_folder / filename`` if that file exists, else
        ``settings.cache_folder / filename`` (downloaded when missing).

    Raises
    ------
    InputError
        Unknown source name or unusable file name.
    DownloadError
        The download failed (no connection, HTTP error, empty answer); the
        message tells the user how to work offline with a local file.
    """
    url, name = _resolve(name_or_url, filename)
    if settings.data_folder is not None:
        local = Path(settings.data_folder) / name
        if local.is_file():
            return local
    cached = Path(settings.cache_folder) / name
    if cached.is_file() and not refresh:
        return cached
    _download(url, cached)
    return cached


def check_connection(url: str, timeout: float | None = None) -> None:
    """Raise :class:`OfflineError` at once when the host of ``url`` cannot be reached.

    One TCP connection is opened to the host and port of ``url`` (or to the
    HTTP(S) proxy of the environment, when one applies to ``url``), in a
    background thread joined after ``timeout`` seconds: name resolution has no
    timeout of its own, and a machine without DNS or without a route must fail
    fast. Nothing is sent.

    Parameters
    ----------
    url : str
        An http(s) URL.
    timeout : float, optional
        Seconds to wait (default ``settings.probe_timeout``).

    Raises
    ------
    OfflineError
        No DNS answer, no route, refused or timed out connection, or sockets
        disabled (a sandbox, the test suite).
    """
    timeout = settings.probe_timeout if timeout is None else float(timeout)
    parsed = urlparse(url)
    proxy = _proxy_for(url)
    target = urlparse(proxy) if proxy else parsed
    host = target.hostname or ""
    port = target.port or (443 if target.scheme == "https" else 80)
    failure: list[BaseException] = []

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except Exception as exc:  # noqa: BLE001 - OSError, or sockets disabled by a sandbox
            failure.append(exc)

    thread = threading.Thread(target=probe, name="accessibilite-probe", daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    if thread.is_alive():
        failure.append(TimeoutError())
    if failure:
        where = f"le proxy {host}" if proxy else host
        raise OfflineError(f"pas de connexion internet : {where} injoignable")


def _proxy_for(url: str) -> str | None:
    """The proxy URL the environment gives for ``url`` (``HTTPS_PROXY``...), if any."""
    parsed = urlparse(url)
    if urllib.request.proxy_bypass(parsed.hostname or ""):
        return None
    proxy = urllib.request.getproxies().get(parsed.scheme)
    return proxy if proxy and "://" in proxy else (f"http://{proxy}" if proxy else None)


def _reason(exc: BaseException) -> str:
    """A short French reason of a failed request, without the nested library text."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"erreur HTTP {exc.response.status_code}"
    if isinstance(exc, requests.HTTPError):
        return str(exc).split(" for url")[0] or "erreur HTTP"
    if isinstance(exc, requests.Timeout):
        return "délai de réponse dépassé"
    if isinstance(exc, requests.ConnectionError):
        return "connexion impossible ou interrompue"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc) or type(exc).__name__


def _download(url: str, dest: Path) -> None:
    """Stream ``url`` into ``dest`` through a temporary file renamed on success."""
    offline_hint = (
        f"Sans connexion, téléchargez ce fichier ailleurs et passez son chemin en argument, "
        f"ou déposez-le sous le nom {dest.name} dans le dossier de données local, "
        f"variable ACCESSIBILITE_DATA."
    )
    try:
        check_connection(url)
    except OfflineError as exc:
        raise OfflineError(f"{exc}, {url} non téléchargé. {offline_hint}") from None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as exc:
        raise DownloadError(
            f"dossier de cache inutilisable {dest.parent} : {_reason(exc)}. {offline_hint}"
        ) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            with requests.get(url, stream=True, timeout=settings.timeout) as response:
                response.raise_for_status()
                total = int(response.headers.get("content-length") or 0) or None
                if response.headers.get("content-encoding"):
                    total = None  # decoded size differs from the transferred size
                with tqdm(
                    total=total,
                    unit="o",
                    unit_scale=True,
                    desc=f"Téléchargement {dest.name}",
                    disable=not settings.progress,
                ) as bar:
                    for chunk in response.iter_content(chunk_size=_CHUNK):
                        out.write(chunk)
                        bar.update(len(chunk))
        size = tmp.stat().st_size
        if size == 0:
            raise DownloadError(f"réponse vide pour {url}. {offline_hint}")
        if total is not None and size != total:
            raise DownloadError(
                f"téléchargement incomplet de {url} : {size} octets reçus sur {total}. "
                f"{offline_hint}"
            )
        os.replace(tmp, dest)
    except DownloadError:
        tmp.unlink(missing_ok=True)
        raise
    except (requests.RequestException, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise DownloadError(
            f"téléchargement impossible de {url} : {_reason(exc)}. {offline_hint}"
        ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
