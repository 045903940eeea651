"""Web Push subscriptions: a phone that subscribes rings on an alert even when locked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import delete, select

from safewatch.alerts.web_push import known_push_service
from safewatch.api.deps import ALL_ROLES, AlertingDep, SessionDep, SettingsDep, allow
from safewatch.core.errors import Conflict, Invalid
from safewatch.models import PushSubscription
from safewatch.schemas.common import Schema
from safewatch.services.context import Caller

router = APIRouter(tags=["push"])
Anyone = Annotated[Caller, allow(*ALL_ROLES)]


class PushKey(Schema):
    application_server_key: str


class PushKeys(Schema):
    p256dh: str = Field(min_length=20, max_length=200)
    auth: str = Field(min_length=8, max_length=100)


class PushSubscriptionIn(Schema):
    """What the browser's ``PushManager.subscribe()`` returns (its ``toJSON()``)."""

    endpoint: str = Field(pattern=r"^https?://", max_length=1000)  # and a known service
    keys: PushKeys
    expirationTime: float | None = None


class Unsubscribe(Schema):
    endpoint: str = Field(max_length=1000)


@router.get("/push/key")
def push_key(_caller: Anyone, alerting: AlertingDep) -> PushKey:
    if alerting.push_key is None:
        raise Conflict("web push is turned off on this hub")
    return PushKey(application_server_key=alerting.push_key)


@router.post("/me/push-subscriptions", status_code=201)
def subscribe(
    session: SessionDep, settings: SettingsDep, caller: Anyone, data: PushSubscriptionIn
) -> dict[str, str]:
    """This phone rings for the caller's alerts (the same endpoint again just updates it).
    The endpoint must be on a known push service (``SAFEWATCH_WEB_PUSH_SERVICES``)."""
    if not known_push_service(data.endpoint, settings.web_push_services):
        raise Invalid("the endpoint is not on a known push service")
    found = session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == data.endpoint)
    )
    if found is None:
        found = PushSubscription(endpoint=data.endpoint, user_id=caller.user_id, p256dh="", auth="")
        session.add(found)
    found.user_id, found.p256dh, found.auth = caller.user_id, data.keys.p256dh, data.keys.auth
    session.flush()
    caller.record(session, "create", "push_subscription", found.id, "phone notifications on")
    return {"status": "subscribed"}


@router.delete("/me/push-subscriptions", status_code=204)
def unsubscribe(session: SessionDep, caller: Anyone, data: Unsubscribe) -> None:
    session.execute(
        delete(PushSubscription).where(
            PushSubscription.endpoint == data.endpoint, PushSubscription.user_id == caller.user_id
        )
    )
    caller.record(session, "delete", "push_subscription", None, "phone notifications off")
