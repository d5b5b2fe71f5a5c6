"""One scrape for several processes of one instance: gunicorn's workers, notify's consume and its code lane.

Each process serves its own Prometheus text on ``<run dir>/metrics-<pid>.sock`` (:class:`ProcessSocket`);
the process a scrape reaches reads its siblings' and adds up series with the same name and labels
(:func:`merge`), so the instance answers as one and no series appears twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

log = logging.getLogger(__name__)

SIBLING_TIMEOUT_SECONDS = 2.0
_SOCKET_PREFIX = "metrics-"


class ProcessSocket:
    """This process's metrics text (``text()``) on ``<run dir>/metrics-<pid>.sock``, answered on a thread of its own."""

    def __init__(self, run_dir: Path, text: Callable[[], bytes]):
        self.run_dir = run_dir
        self.path = run_dir / f"{_SOCKET_PREFIX}{os.getpid()}.sock"
        self._text = text
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._server.bind(str(self.path))
        self._server.listen(8)
        threading.Thread(target=self._serve, name="metrics-socket", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return  # closed
            with connection:
                try:
                    connection.sendall(self._text())
                except OSError:
                    log.debug("a sibling's metrics read broke off", exc_info=True)

    def siblings(self) -> list[bytes]:
        """The text of every other live process of this run folder; a socket nobody answers is removed."""
        texts = []
        for path in sorted(self.run_dir.glob(f"{_SOCKET_PREFIX}*.sock")):
            if path == self.path:
                continue
            try:
                texts.append(_read_socket(path))
            except (ConnectionRefusedError, FileNotFoundError):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()  # a process that died without cleaning up
            except OSError as error:
                log.warning("metrics of process %s unavailable: %s", path.name, error)
        return texts

    def scrape(self) -> bytes:
        """This process's text and every sibling's, added up."""
        return merge([self._text(), *self.siblings()])

    def close(self) -> None:
        self._server.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _read_socket(path: Path) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(SIBLING_TIMEOUT_SECONDS)
        connection.connect(str(path))
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def merge_families(texts: Iterable[bytes]) -> list[Metric]:
    """The families of ``texts``, each sample the sum of those with its name and labels."""
    families: dict[str, Metric] = {}
    values: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for text in texts:
        for family in text_string_to_metric_families(text.decode()):
            if family.name not in families:
                families[family.name] = Metric(family.name, family.documentation, family.type, family.unit)
                values[family.name] = {}
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                values[family.name][key] = values[family.name].get(key, 0.0) + sample.value
    for name, family in families.items():
        for (sample_name, labels), total in values[name].items():
            family.add_sample(sample_name, dict(labels), total)
    return list(families.values())


def merge(texts: Iterable[bytes]) -> bytes:
    """:func:`merge_families` in the Prometheus text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FixedFamilies(merge_families(texts)))
    return generate_latest(registry)


class FixedFamilies:
    """A collector answering families already made (what ``generate_latest`` writes out)."""

    def __init__(self, families: list[Metric]):
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families
