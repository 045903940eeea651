"""Texts that reach a phone: NAVER Cloud's SENS (Simple & Easy Notification Service) SMS API
v2, with the gateway's own delivery receipts.

The published contract (api.ncloud-docs.com: sens-overview, sens-sms-send, sens-sms-list,
sens-sms-get):

- Every request carries ``x-ncp-apigw-timestamp`` (ms since the epoch),
  ``x-ncp-iam-access-key`` and ``x-ncp-apigw-signature-v2``: the base64 HMAC-SHA256, with the
  secret key, of ``"{METHOD} {path?query}\\n{timestamp}\\n{access key}"``.
- ``POST /sms/v2/services/{serviceId}/messages`` with ``{type: SMS|LMS, contentType: COMM,
  countryCode, from, content, messages: [{to}]}`` answers 202 ``{requestId, requestTime,
  statusCode, statusName}``: the gateway took it, nothing more.
- ``GET …/messages?requestId=`` lists the request's messages (``messageId``, ``to``);
  ``GET …/messages/{messageId}`` says what became of one: ``status`` READY, PROCESSING or
  COMPLETED, and once completed ``statusName`` success or fail, ``statusCode``,
  ``statusMessage`` and ``completeTime`` (Korean time, ``yyyy-MM-dd HH:mm:ss``).

So a text is *accepted* when the gateway answers 202 and *delivered* only when its receipt
says the phone got it; the alert loop asks for receipts (``ReceiptChannel``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

from safewatch.alerts.channels import ACCEPTED, FAILED, RETRY, Message, Result
from safewatch.alerts.wording import sms_text
from safewatch.incidents.facts import EntryReason
from safewatch.words import Lang

log = logging.getLogger(__name__)
KOREA = ZoneInfo("Asia/Seoul")
SMS_BYTES = 90  # an SMS holds 90 bytes of EUC-KR; a longer text goes as an LMS (2,000)
# Answers that will not change however often the same request is sent (a number the gateway
# refuses, a malformed request): failed now. Others (429, 5xx, a key being rotated) retry.
REFUSED_FOR_GOOD = frozenset({400, 404})


class ReceiptState(StrEnum):
    waiting = "waiting"  # READY or PROCESSING: ask again later
    delivered = "delivered"  # the phone got it
    undelivered = "undelivered"  # the carrier gave up (phone off for days, number gone, …)


@dataclass(frozen=True)
class Receipt:
    ref: str  # the gateway's request id
    state: ReceiptState
    at: datetime | None = None  # when the carrier completed it (UTC)
    code: int | None = None  # the gateway's result code when undelivered
    detail: str = ""


@runtime_checkable
class ReceiptChannel(Protocol):
    """A channel whose gateway says later whether a message it accepted reached the phone."""

    name: str

    def receipts(self, refs: Sequence[str]) -> list[Receipt]: ...


@dataclass(frozen=True)
class SensAccount:
    url: str  # https://sens.apigw.ntruss.com (a region's own: sens.apigw.gov-ntruss.com)
    service_id: str  # ncp:sms:kr:…:…
    access_key: str
    secret_key: str = field(repr=False)  # never in a log line
    sender: str = ""  # the calling number registered with the service


def signature(secret_key: str, method: str, path: str, timestamp: str, access_key: str) -> str:
    message = f"{method} {path}\n{timestamp}\n{access_key}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def korean_number(phone: str) -> str | None:
    """The number as SENS wants it (digits only, national form): ``+82 10-1234-5678`` and
    ``010-1234-5678`` are both ``01012345678``; None for another country's number (the
    regions served are Korean; a foreign number is refused, not texted to a wrong one)."""
    digits = re.sub(r"\D", "", phone)
    international = phone.strip().startswith("+") or digits.startswith("00")
    digits = digits[2:] if digits.startswith("00") else digits
    if international or (digits.startswith("82") and len(digits) >= 11):
        return "0" + digits[2:].lstrip("0") if digits.startswith("82") else None
    return digits or None


class SensSmsChannel:
    """The ``sms`` channel through SENS: one request per message (each its own receipt)."""

    name = "sms"

    def __init__(
        self,
        account: SensAccount,
        lang: Lang = "ko",
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.account, self.lang, self.clock = account, lang, clock
        self.http = httpx.Client(base_url=account.url.rstrip("/"), timeout=timeout)
        self.base = f"/sms/v2/services/{account.service_id}"

    def _headers(self, method: str, path: str) -> dict[str, str]:
        timestamp = str(int(self.clock() * 1000))
        a = self.account
        return {
            "Content-Type": "application/json; charset=utf-8",
            "x-ncp-apigw-timestamp": timestamp,
            "x-ncp-iam-access-key": a.access_key,
            "x-ncp-apigw-signature-v2": signature(
                a.secret_key, method, path, timestamp, a.access_key
            ),
        }

    def _get(self, path: str) -> Any:
        response = self.http.get(path, headers=self._headers("GET", path))
        response.raise_for_status()
        return response.json()

    def send(self, message: Message) -> Result:
        if not message.phone:
            return Result(FAILED, "no phone number", reason=EntryReason.no_phone_number)
        text = sms_text(message.packet, message.recipient, self.lang)
        number = korean_number(message.phone)
        if number is None:
            return Result(
                FAILED,
                f"not a Korean number: {message.phone}",
                reason=EntryReason.sms_not_korean_number,
            )
        body: dict[str, Any] = {
            "type": "SMS" if len(text.encode("euc-kr", "replace")) <= SMS_BYTES else "LMS",
            "contentType": "COMM",
            "from": re.sub(r"\D", "", self.account.sender),
            "content": text,
            "countryCode": "82",
            "messages": [{"to": number}],
        }
        path = f"{self.base}/messages"
        try:
            response = self.http.post(path, json=body, headers=self._headers("POST", path))
        except httpx.HTTPError as exc:
            return Result(
                RETRY,
                f"SMS gateway not reachable: {type(exc).__name__}",
                reason=EntryReason.sms_gateway_unreachable,
            )
        code = response.status_code
        if code == 202:  # taken (without its id no receipt can be asked: it stays accepted)
            return Result(
                ACCEPTED,
                f"accepted by the SMS gateway for {message.phone}",
                reason=EntryReason.sms_gateway_accepted,
                ref=_field(response, "requestId") or None,
            )
        outcome = FAILED if code in REFUSED_FOR_GOOD else RETRY
        return Result(
            outcome,
            f"SMS gateway answered {code}",
            reason=EntryReason.sms_gateway_refused,
            code=code,
        )

    def receipts(self, refs: Sequence[str]) -> list[Receipt]:
        """What became of each request; one the gateway cannot answer now stays waiting, and
        a gateway that cannot be reached is not asked again this pass."""
        answers = []
        for k, ref in enumerate(refs):
            try:
                answers.append(self._receipt(ref))
            except httpx.TransportError as exc:  # down or slow: the rest wait for next time
                log.warning("SMS gateway not reachable for receipts: %r", exc)
                answers += [Receipt(r, ReceiptState.waiting) for r in refs[k:]]
                break
            except Exception as exc:  # an answer not as documented: this one waits
                log.warning("SMS receipt for request %s not available: %r", ref, exc)
                answers.append(Receipt(ref, ReceiptState.waiting))
        return answers

    def _receipt(self, ref: str) -> Receipt:
        listed = self._get(f"{self.base}/messages?{urlencode({'requestId': ref})}")
        ids = [m["messageId"] for m in listed.get("messages") or []]
        if not ids:
            return Receipt(ref, ReceiptState.waiting)  # not listed yet
        found = self._get(f"{self.base}/messages/{ids[0]}")
        message = (found.get("messages") or [{}])[0]
        if message.get("status") != "COMPLETED":
            return Receipt(ref, ReceiptState.waiting)
        at = _korean_time(message.get("completeTime"))
        if message.get("statusName") == "success":
            return Receipt(ref, ReceiptState.delivered, at)
        code = str(message.get("statusCode", ""))
        return Receipt(
            ref,
            ReceiptState.undelivered,
            at,
            int(code) if code.isdigit() else None,
            str(message.get("statusMessage") or "")[:200],
        )


def _field(response: httpx.Response, name: str) -> str:
    try:
        value = response.json().get(name)
    except ValueError:
        return ""
    return value if isinstance(value, str) else ""


def _korean_time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        at = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=KOREA)
    except ValueError:
        return None
    return at.astimezone(UTC)
