"""The alert chain's parts as the hub assembles them from settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from safewatch.alerts.channels import Channel, InAppChannel, SmsFileChannel, WebhookChannel
from safewatch.alerts.dispatcher import AlertDispatcher
from safewatch.alerts.sens import SensAccount, SensSmsChannel
from safewatch.alerts.web_push import (
    WebPushChannel,
    application_server_key,
    load_or_create_vapid,
)
from safewatch.bus.base import EventBus
from safewatch.bus.memory import MemoryBus
from safewatch.bus.nats import NatsBus, NatsConnection
from safewatch.core.config import Settings, SmsGateway
from safewatch.core.links import LinkSigner
from safewatch.incidents.device_health import Silence
from safewatch.incidents.location import Trust
from safewatch.incidents.policy import Routing, load_policy
from safewatch.store.base import utcnow


@dataclass
class Alerting:
    routing: Routing
    bus: EventBus
    links: LinkSigner
    dispatcher: AlertDispatcher
    clock: Callable[[], datetime]
    push_key: str | None  # the VAPID public key browsers subscribe with
    silence: Silence = field(default_factory=Silence)  # when a device counts as offline

    def close(self) -> None:
        if isinstance(self.bus, NatsBus):
            self.bus.connection.close()


def make_bus(url: str) -> EventBus:
    if url == "memory://":
        return MemoryBus()
    if url.startswith(("nats://", "tls://")):
        return NatsBus(NatsConnection(url))
    raise ValueError(f"SAFEWATCH_BUS_URL {url!r}: memory:// or nats://host:port")


def sms_channel(settings: Settings) -> Channel:
    if settings.sms_gateway is SmsGateway.sens:
        account = SensAccount(
            settings.sens_url,
            settings.sens_service_id,
            settings.sens_access_key,
            settings.sens_secret_key.get_secret_value(),
            settings.sms_sender,
        )
        return SensSmsChannel(account)
    return SmsFileChannel(settings.data_dir / "sms-outbox")


def build_alerting(
    settings: Settings,
    factory: sessionmaker[Session],
    clock: Callable[[], datetime] = utcnow,
) -> Alerting:
    bus = make_bus(settings.bus_url)
    channels: dict[str, Channel] = {
        "in_app": InAppChannel(bus),
        "sms": sms_channel(settings),
    }
    push_key = None
    if settings.web_push:
        vapid = load_or_create_vapid(settings.data_dir / "vapid-private.pem")
        channels["web_push"] = WebPushChannel(vapid, settings.web_push_contact)
        push_key = application_server_key(vapid)
    if settings.emergency_webhook_url:
        channels["webhook"] = WebhookChannel(
            settings.emergency_webhook_url, settings.emergency_webhook_secret
        )
    routing = Routing(
        load_policy(settings.alert_policy_file),
        frozenset(channels),
        settings.police_duty_phone,
        timedelta(hours=settings.security_keeps_closed_hours),
        Trust(settings.location_coarse_m, timedelta(seconds=settings.location_stale_seconds)),
    )
    links = LinkSigner(settings.secret_key)
    silence = Silence(
        camera=timedelta(seconds=settings.camera_silent_seconds),
        other=timedelta(minutes=settings.watch_silent_minutes),
    )
    dispatcher = AlertDispatcher(
        factory, routing, channels, links, clock, silence.other, silence.camera, bus.publish
    )
    return Alerting(routing, bus, links, dispatcher, clock, push_key, silence)
