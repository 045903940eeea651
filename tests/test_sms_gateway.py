"""Texts that reach a phone (issue 23, point 6): the SMS channel goes through NAVER Cloud's
SENS API (signed requests, SMS or LMS by length, Korean numbers), a text is *accepted* when the
gateway takes it and *delivered* only when the carrier's receipt says the phone has it; a text
that never arrives is failed with the carrier's reason, on the timeline, and a police request
that only reached the duty phone that way is "not reached" again. Tested against a local
server written from the published contract (tests/sens_fake.py)."""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from safewatch.alerts.channels import Message
from safewatch.alerts.sens import ReceiptState, SensAccount, SensSmsChannel, korean_number
from safewatch.api.app import create_app
from safewatch.core.config import Settings, SmsGateway, new_secret
from safewatch.incidents.lifecycle import SendOutcome
from tests import sens_fake
from tests.conftest import Clock
from tests.live import alert_packet
from tests.sens_fake import FakeSens
from tests.world import World

V1 = "/api/v1"
SOS = {"latitude": 33.4996, "longitude": 126.5312}
VICTIM_PHONE, DUTY_PHONE = "010-1111-0001", "064-000-0000"


@pytest.fixture
def sens() -> Iterator[FakeSens]:
    fake = FakeSens().start()
    yield fake
    fake.stop()


def _account(url: str, secret: str = sens_fake.SECRET) -> SensAccount:
    return SensAccount(url, sens_fake.SERVICE, sens_fake.ACCESS, secret, "1588-0112")


def _message(phone: str | None, recipient: str = "victim") -> Message:
    return Message(uuid.uuid4(), "alert", recipient, None, phone, alert_packet())


def test_a_text_is_signed_and_taken_and_its_receipt_says_whether_the_phone_got_it(
    sens: FakeSens,
) -> None:
    channel = SensSmsChannel(_account(sens.url))
    sens.outcome = {"01011110002": "fail", "01011110003": "processing"}
    results = [channel.send(_message(p)) for p in ("+82 10-1111-0001", "010-1111-0002")]
    results.append(channel.send(_message("01011110003", "police")))
    assert sens.refused == []  # every request was signed as the API gateway checks
    assert [r.outcome for r in results] == [SendOutcome.accepted] * 3
    assert all(r.ref for r in results)
    first = sens.sent[0].body
    assert sens.sent[0].to == "01011110001" and first["countryCode"] == "82"
    assert first["from"] == "15880112" and first["contentType"] == "COMM"
    # An alert fits an SMS's 90 bytes; a police request (name, address) goes whole, as an LMS.
    assert first["type"] == "SMS" and "INC-2026-0007" in first["content"]
    assert sens.sent[2].body["type"] == "LMS"
    receipts = channel.receipts([r.ref or "" for r in results])
    assert [r.state for r in receipts] == [
        ReceiptState.delivered,
        ReceiptState.undelivered,
        ReceiptState.waiting,
    ]
    # The carrier's time is Korean: 21:00:05 there is 12:00:05 UTC.
    assert receipts[0].at == datetime(2026, 12, 7, 12, 0, 5, tzinfo=UTC)
    assert receipts[1].code == 3018 and receipts[1].detail == "전원 꺼짐"


def test_a_gateway_that_refuses_or_cannot_be_reached_is_tried_again(sens: FakeSens) -> None:
    wrong_key = SensSmsChannel(_account(sens.url, secret="not-the-secret"))
    refused = wrong_key.send(_message(VICTIM_PHONE))
    assert refused.outcome is SendOutcome.retry and refused.code == 401
    assert sens.refused == ["signature does not match"] and sens.sent == []
    with socket.socket() as s:  # a port nothing listens on: httpx's own ConnectError
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    unreachable = SensSmsChannel(_account(closed)).send(_message(VICTIM_PHONE))
    assert unreachable.outcome is SendOutcome.retry
    assert unreachable.reason is not None and unreachable.reason.value == "sms_gateway_unreachable"
    # A gateway that cannot be reached is not asked again in the same pass (its receipts wait).
    gone = SensSmsChannel(_account(closed)).receipts(["r1", "r2", "r3"])
    assert [r.state for r in gone] == [ReceiptState.waiting] * 3
    # A receipt the gateway cannot give now is asked again later, not guessed.
    channel = SensSmsChannel(_account(sens.url))
    ref = channel.send(_message(VICTIM_PHONE)).ref or ""
    sens.down = True
    assert [r.state for r in channel.receipts([ref])] == [ReceiptState.waiting]


def test_numbers_are_sent_as_the_gateway_wants_them_and_foreign_ones_are_refused(
    sens: FakeSens,
) -> None:
    assert korean_number("+82 10-1234-5678") == "01012345678"
    assert korean_number("010-1234-5678") == "01012345678"
    assert korean_number("+1 415 555 0100") is None
    assert korean_number("0082-10-1234-5678") == korean_number("821012345678") == "01012345678"
    assert korean_number("001 415 555 0100") is None
    foreign = SensSmsChannel(_account(sens.url)).send(_message("+1 415 555 0100"))
    assert foreign.outcome is SendOutcome.failed and sens.sent == []
    assert SensSmsChannel(_account(sens.url)).send(_message(None)).outcome is SendOutcome.failed


def test_production_refuses_texts_that_reach_no_phone(settings: Settings) -> None:
    secret = new_secret()
    with pytest.raises(ValueError, match="no phone receives"):
        Settings(environment="production", secret_key=secret)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="SAFEWATCH_SENS_SECRET_KEY"):
        Settings(sms_gateway="sens", sms_sender="1588", sens_service_id="s", sens_access_key="a")  # type: ignore[arg-type]


def test_the_phone_s_receipt_decides_delivered_and_a_text_that_never_came_is_shown(
    world: World,
    clock: Clock,
    settings: Settings,
    session_factory: sessionmaker[Session],
    sens: FakeSens,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sens.outcome = {"0640000000": "fail"}  # the duty phone's text never arrives
    configured = settings.model_copy(
        update={
            "sms_gateway": SmsGateway.sens,
            "sms_sender": "1588-0112",
            "sens_url": sens.url,
            "sens_service_id": sens_fake.SERVICE,
            "sens_access_key": sens_fake.ACCESS,
            "sens_secret_key": SecretStr(sens_fake.SECRET),
        }
    )
    caplog.set_level(logging.DEBUG)
    app = create_app(configured, session_factory, clock)
    with TestClient(app) as client:
        dispatcher = app.state.alerting.dispatcher
        dispatcher.close()

        def settle(seconds: int) -> None:
            for _ in range(seconds):
                while dispatcher.run_once():
                    pass
                dispatcher.ask_gateways()  # its own thread in a running hub
                clock.advance(1)

        r = client.post(f"{V1}/me/sos", json=SOS, headers=world.h("victim_a"))
        assert r.status_code == 201, r.text
        incident_id = r.json()["incident"]["id"]
        settle(5)  # sent, not yet asked about: the gateway took them, nothing more
        d = client.get(f"{V1}/incidents/{incident_id}", headers=world.h("security_a")).json()
        sms = {x["recipient"]: x for x in d["deliveries"] if x["channel"] == "sms"}
        assert sms["victim"]["status"] == "accepted", sms
        assert d["packet"]["incident"]["police_reach"] == "duty_phone_texted"
        settle(8)  # the receipts
        d = client.get(f"{V1}/incidents/{incident_id}", headers=world.h("security_a")).json()
    assert {s.to for s in sens.sent} == {"01011110001", "0640000000"}
    sms = {x["recipient"]: x for x in d["deliveries"] if x["channel"] == "sms"}
    assert sms["victim"]["status"] == "delivered"
    assert sms["police"]["status"] == "failed" and "전원 꺼짐" in sms["police"]["last_error"]
    lines = {e["facts"]["reason"]: e for e in d["timeline"] if e.get("facts")}
    reached = lines["sms_reached_phone"]
    assert reached["kind"] == "delivered" and reached["recipient"] == "victim"
    undelivered = lines["sms_undelivered"]
    assert undelivered["kind"] == "delivery_failed" and undelivered["recipient"] == "police"
    assert undelivered["facts"]["code"] == 3018
    assert sms["police"]["delivered_at"] is None  # taken by the gateway, never delivered
    # The duty phone never got it: nobody at 112 has the request, and the screens say so.
    assert d["packet"]["incident"]["police_reach"] == "not_reached"
    assert sens_fake.SECRET not in caplog.text
