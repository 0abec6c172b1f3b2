"""Delivery on a company network: a proxy, a private CA, OpenSSL's trust variables.

In-process: the real drain and Heap adapter, with the real ``requests``
session they build, against a real proxy and real receivers on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kedro_telemetry.outbox.store import Outbox
from kedro_telemetry.sender.drain import Report
from kedro_telemetry.sender.http_session import openssl_trust
from tests.support.company_network import ForwardProxy, PrivateCA
from tests.support.heap_receiver import HeapReceiver, assert_nothing_stored_twice
from tests.support.outbox import drain_here, queue_records

NETWORK_VARIABLES = (
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
    "http_proxy", "https_proxy", "no_proxy", "all_proxy",
    "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR",
)  # fmt: skip


@pytest.fixture(autouse=True)
def plain_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy and no trust setting but what each test sets."""
    for variable in NETWORK_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> PrivateCA:
    try:
        return PrivateCA(tmp_path_factory.mktemp("company-ca"))
    except RuntimeError as error:
        pytest.skip(str(error))


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy() as running:
        yield running


@pytest.fixture
def tls_receiver(ca: PrivateCA) -> Iterator[HeapReceiver]:
    with HeapReceiver(tls=ca.server_context()) as running:
        yield running


def send_one(tmp_path: Path, endpoint: str) -> Report:
    """Queue one event for ``endpoint`` and run one drain of 10 seconds."""
    outbox = Outbox(tmp_path / "outbox")
    queue_records(outbox, 1, endpoint)
    return drain_here(outbox, 10)


def test_events_go_through_the_proxy_that_http_proxy_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proxy: ForwardProxy
) -> None:
    with HeapReceiver() as receiver:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        report = send_one(tmp_path, receiver.url)
        assert (report.sent, report.left) == (1, 0)
        assert proxy.seen == [f"POST {receiver.url}"]
        assert len(receiver.accepted) == 1


def test_no_proxy_sends_straight_to_the_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proxy: ForwardProxy
) -> None:
    with HeapReceiver() as receiver:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert send_one(tmp_path, receiver.url).sent == 1
        assert proxy.seen == []
        assert len(receiver.accepted) == 1


def test_https_through_a_tunnelling_proxy_trusting_a_private_ca(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    proxy: ForwardProxy,
    tls_receiver: HeapReceiver,
    ca: PrivateCA,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca.certificate))
    assert send_one(tmp_path, tls_receiver.url).sent == 1
    assert [line.split(" ")[0] for line in proxy.seen] == ["CONNECT"]
    assert len(tls_receiver.accepted) == 1


def test_an_untrusted_certificate_keeps_the_event_until_ssl_cert_file_names_its_ca(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tls_receiver: HeapReceiver,
    ca: PrivateCA,
) -> None:
    outbox = Outbox(tmp_path / "outbox")
    [key] = queue_records(outbox, 1, tls_receiver.url)
    untrusted = drain_here(outbox, 10)
    assert (untrusted.sent, untrusted.left) == (0, 1)
    assert untrusted.problem == "network: SSLError"
    assert tls_receiver.accepted == []

    monkeypatch.setenv("SSL_CERT_FILE", str(ca.certificate))
    assert drain_here(outbox, 10).sent == 1
    assert [event["idempotency_key"] for event in tls_receiver.accepted] == [key]
    assert_nothing_stored_twice(tls_receiver)


@pytest.mark.slow
def test_requests_own_variable_wins_over_ssl_cert_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tls_receiver: HeapReceiver,
    ca: PrivateCA,
) -> None:
    other = PrivateCA(tmp_path / "other-ca")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.certificate))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other.certificate))
    assert send_one(tmp_path, tls_receiver.url).problem == "network: SSLError"


def test_openssl_trust_names_only_what_exists(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    assert openssl_trust({"SSL_CERT_FILE": str(bundle)}) == str(bundle)
    assert openssl_trust({"SSL_CERT_DIR": str(tmp_path)}) == str(tmp_path)
    assert openssl_trust({"SSL_CERT_FILE": str(tmp_path / "missing.pem")}) is None
    assert openssl_trust({"SSL_CERT_FILE": " "}) is None
