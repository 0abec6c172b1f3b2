"""Whatever the endpoint does wrong, no event is lost and none is stored twice.

Each fault is played by a real local server (or a real closed port, a real
self-signed certificate, a real unresolvable name) against real ``kedro``
processes: refused connections, connections reset before or during the answer,
a 200 with a body that is not JSON, a redirect to another host, an answer slower
than the read timeout, a TLS certificate that does not verify, a host name that
does not resolve, and an endpoint flapping under thirty commands at once.

An event that the endpoint did not take stays in the outbox under the same
idempotency key and is delivered once the fault is gone; an event it took is
never posted again.
"""

from __future__ import annotations

import itertools
import re
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.delivery_tools import (
    Senders,
    TimedReceiver,
    assert_nothing_stored_twice,
    consent,
    flush,
    queue_without_sending,
    queued_keys,
    refusing_port,
    run_in_parallel,
    stray_files,
    wait_until,
)
from tests.support.heap_receiver import Answer
from tests.support.kedro_env import kedro

ENDPOINT = "KEDRO_TELEMETRY_ENDPOINT"


@pytest.fixture
def consented(project: Path) -> Path:
    consent(project)
    return project


def run_info(project: Path, env: dict[str, str]) -> None:
    result = kedro("info", cwd=project, env=env)
    assert result.returncode == 0, result.stderr


def offline(env: dict[str, str]) -> dict[str, str]:
    """``env`` without proxies, so a test's request can only go where its URL says."""
    return {k: v for k, v in env.items() if not k.lower().endswith("_proxy")}


def assert_kept_and_nothing_sent(
    state_dir: Path, backlog: list[str], *receivers: TimedReceiver
) -> None:
    assert queued_keys(state_dir) == backlog
    for receiver in receivers:
        assert receiver.accepted == []


# Refused, unresolvable, untrusted: the connection never gets going ------------


def test_a_refused_connection_keeps_the_event_until_the_endpoint_listens(
    consented: Path, env: dict[str, str], senders: Senders, state_dir: Path
) -> None:
    with refusing_port() as port:
        env[ENDPOINT] = f"http://127.0.0.1:{port}/api/track"
        backlog = queue_without_sending(consented, env, senders, 1)
        refused = flush(consented, env, timeout=3)
        assert (refused.sent, refused.left) == (0, 1)
        assert "network: ConnectionError" in refused.output
        assert queued_keys(state_dir) == backlog
    with TimedReceiver(port=port) as receiver:
        healed = flush(consented, env, timeout=60)
        assert (healed.sent, healed.left) == (1, 0)
        assert [event["idempotency_key"] for event in receiver.accepted] == backlog
        assert_nothing_stored_twice(receiver)
        assert receiver.violations == []


def test_a_host_name_that_does_not_resolve_fails_as_a_network_error_and_keeps_the_event(
    consented: Path, env: dict[str, str], senders: Senders, state_dir: Path
) -> None:
    env = offline(env)
    env[ENDPOINT] = "http://kedro-telemetry-test.invalid/api/track"  # RFC 6761
    backlog = queue_without_sending(consented, env, senders, 1)
    result = flush(consented, env, timeout=10)
    assert (result.sent, result.left) == (0, 1)
    # The lookup failed outright; had it hung, the flush would have said that
    # the endpoint did not answer in time.
    assert "network: ConnectionError" in result.output
    assert "did not answer in time" not in result.output
    assert queued_keys(state_dir) == backlog


@pytest.fixture(scope="module")
def self_signed_certificate(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no trust store knows."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a certificate")
    directory = tmp_path_factory.mktemp("tls")
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return certificate, key


class TlsReceiver(TimedReceiver):
    """The receiver behind HTTPS, with the certificate it is given."""

    def __init__(self, certificate: Path, key: Path) -> None:
        super().__init__()
        self.certificate = certificate
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}/api/track"


@pytest.fixture
def tls_receiver(self_signed_certificate: tuple[Path, Path]) -> Iterator[TlsReceiver]:
    with TlsReceiver(*self_signed_certificate) as running:
        yield running
    assert running.violations == []


def test_a_certificate_that_does_not_verify_is_refused_and_the_event_kept(
    consented: Path,
    env: dict[str, str],
    senders: Senders,
    state_dir: Path,
    tls_receiver: TlsReceiver,
) -> None:
    env = offline(env)
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        env.pop(variable, None)  # the default trust store, as a user would have
    env[ENDPOINT] = tls_receiver.url
    backlog = queue_without_sending(consented, env, senders, 1)
    untrusted = flush(consented, env, timeout=3)
    assert (untrusted.sent, untrusted.left) == (0, 1)
    assert "network: SSLError" in untrusted.output
    assert_kept_and_nothing_sent(state_dir, backlog, tls_receiver)

    # The control: trust that very certificate and the same server takes the
    # event, so only verification stood in the way.
    trusted_env = {**env, "REQUESTS_CA_BUNDLE": str(tls_receiver.certificate)}
    trusted = flush(consented, trusted_env, timeout=60)
    assert (trusted.sent, trusted.left) == (1, 0)
    assert [event["idempotency_key"] for event in tls_receiver.accepted] == backlog
    assert_nothing_stored_twice(tls_receiver)


def test_a_dead_endpoint_in_older_records_does_not_hold_back_a_live_one(
    consented: Path,
    env: dict[str, str],
    timed_receiver: TimedReceiver,
    senders: Senders,
) -> None:
    """The endpoint changed (a relay, the EU data centre) while the old one is down."""
    with refusing_port() as port:
        live = env[ENDPOINT]
        env[ENDPOINT] = f"http://127.0.0.1:{port}/api/track"
        [stranded] = queue_without_sending(consented, env, senders, 1)
        env[ENDPOINT] = live
        [fresh] = queue_without_sending(consented, env, senders, 1)

        result = flush(consented, env, timeout=5)
        assert (result.sent, result.left) == (1, 1)
        assert [e["idempotency_key"] for e in timed_receiver.accepted] == [fresh]
        assert queued_keys(senders.state_dir) == [stranded]
        assert_nothing_stored_twice(timed_receiver)


# The endpoint answers, but not as it should -----------------------------------


@pytest.mark.parametrize(
    "fault", ["reset", "cut"], ids=["reset-before-answer", "reset-mid-answer"]
)
def test_a_reset_connection_is_retried_and_the_event_stored_once(
    fault: str,
    consented: Path,
    env: dict[str, str],
    timed_receiver: TimedReceiver,
    senders: Senders,
) -> None:
    timed_receiver.answer(Answer(behaviour=fault), then=Answer())
    run_info(consented, env)
    [event] = timed_receiver.wait_for(1)
    senders.wait_until_gone()
    assert timed_receiver.request_count == 2  # the reset one, then one retry
    assert queued_keys(senders.state_dir) == []
    assert len(timed_receiver.accepted) == 1
    # Only the retry can have been answered in full.
    assert timed_receiver.posted_keys[-1] == event["idempotency_key"]


def test_a_200_with_a_garbage_body_counts_as_delivered_and_is_not_resent(
    consented: Path,
    env: dict[str, str],
    timed_receiver: TimedReceiver,
    senders: Senders,
    state_dir: Path,
) -> None:
    timed_receiver.answer(Answer(behaviour="garbage"), then=Answer())
    run_info(consented, env)
    [first] = timed_receiver.wait_for(1)
    senders.wait_until_gone()
    assert queued_keys(state_dir) == []

    run_info(consented, env)  # its sender would pick up anything left behind
    timed_receiver.wait_for(2)
    senders.wait_until_gone()
    [second] = [e for e in timed_receiver.accepted if e is not first]
    assert timed_receiver.posted_keys == [
        first["idempotency_key"],
        second["idempotency_key"],
    ]
    assert_nothing_stored_twice(timed_receiver)


def test_a_redirect_to_another_host_is_not_followed_and_the_event_stays_queued(
    consented: Path,
    env: dict[str, str],
    timed_receiver: TimedReceiver,
    senders: Senders,
    state_dir: Path,
) -> None:
    with TimedReceiver() as elsewhere:
        port = elsewhere.url.split(":")[2].split("/")[0]
        redirect = Answer(
            301, headers={"Location": f"http://localhost:{port}/api/track"}
        )
        timed_receiver.answer(then=redirect)
        run_info(consented, env)
        wait_until(lambda: timed_receiver.request_count >= 1, "the sender posted")
        senders.wait_until_gone()
        [key] = queued_keys(state_dir)

        refused = flush(consented, env, timeout=5)
        assert (refused.sent, refused.left) == (0, 1)
        assert "HTTP 301" in refused.output
        assert elsewhere.request_count == 0
        assert_kept_and_nothing_sent(state_dir, [key], timed_receiver, elsewhere)

        timed_receiver.answer(then=Answer())
        healed = flush(consented, env, timeout=60)
        assert (healed.sent, healed.left) == (1, 0)
        assert [event["idempotency_key"] for event in timed_receiver.accepted] == [key]
        assert elsewhere.request_count == 0
        assert_nothing_stored_twice(timed_receiver)


def test_an_answer_slower_than_the_read_timeout_is_retried_later_under_the_same_key(
    consented: Path,
    env: dict[str, str],
    timed_receiver: TimedReceiver,
    senders: Senders,
    state_dir: Path,
) -> None:
    backlog = queue_without_sending(consented, env, senders, 1)
    timed_receiver.answer(Answer(behaviour="slow"), then=Answer())
    impatient = flush(consented, env, timeout=2)
    assert (impatient.sent, impatient.left) == (0, 1)
    # The read timed out (or, on a loaded machine, the flush's own deadline hit first).
    assert re.search(r"ReadTimeout|did not answer in time", impatient.output)
    assert queued_keys(state_dir) == backlog

    later = flush(consented, env, timeout=60)
    assert (later.sent, later.left) == (1, 0)
    # The slow server did store its copy in the end: Heap keeps one per key.
    wait_until(lambda: len(timed_receiver.requests) == 2, "the slow answer completed")
    assert timed_receiver.posted_keys == backlog * 2
    assert [event["idempotency_key"] for event in timed_receiver.accepted] == backlog
    assert queued_keys(state_dir) == []


# Many commands against a flapping endpoint ------------------------------------


COMMANDS = 30


@pytest.mark.slow
def test_thirty_commands_against_a_flapping_endpoint_deliver_thirty_events_once(
    consented: Path,
    env: dict[str, str],
    timed_receiver: TimedReceiver,
    senders: Senders,
    state_dir: Path,
) -> None:
    flapping = [Answer(500), Answer(), Answer(behaviour="reset"), Answer()]
    script = itertools.islice(itertools.cycle(flapping), 200)
    timed_receiver.answer(*script, then=Answer())
    # Thirty commands, six at a time: every answer of the cycle meets several
    # senders racing for the outbox, at three fifths of the cost of fifty.
    runs = run_in_parallel(COMMANDS, 6, consented, env, "info")
    assert [run.result.returncode for run in runs] == [0] * COMMANDS

    for _ in range(10):
        if flush(consented, env, timeout=30).left == 0:
            break
    senders.wait_until_gone()
    assert queued_keys(state_dir) == []
    accepted = timed_receiver.wait_for(COMMANDS)
    assert len({event["idempotency_key"] for event in accepted}) == len(accepted)
    assert len(accepted) == COMMANDS
    assert {event["properties"]["command"] for event in accepted} == {"kedro info"}
    assert timed_receiver.accepted == accepted  # settled above: nothing more comes
    assert_nothing_stored_twice(timed_receiver)
    assert stray_files(state_dir) == []
