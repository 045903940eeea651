"""What an incident is and what a timeline line says, as typed facts that each screen words in
its own language. The English ``summary`` and ``detail`` stay beside them for logs, exports and
the API's older clients; a screen never shows them when facts are there."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from safewatch.incidents.lifecycle import Recipient
from safewatch.incidents.location import FixSource, Place


class SignalSource(StrEnum):
    """Where the signal came from."""

    camera = "camera"
    phone = "phone"
    watch = "watch"
    bell = "bell"
    officer = "officer"
    monitor = "monitor"  # the offender's court-ordered electronic monitor (its feed)


class SosFeedback(StrEnum):
    """What her watch or phone does when she presses SOS — her choice; silent unless she chose
    otherwise (Seoul 2021: the offender said the voice from the watch enraged him)."""

    silent = "silent"  # nothing a bystander could see or hear
    vibrate = "vibrate"  # one short vibration she feels


class IncidentKind(StrEnum):
    offender_recognized = "offender_recognized"
    intrusion = "intrusion"
    proximity = "proximity"  # the offender's monitor came within the case's radius
    loitering = "loitering"
    stranger = "stranger"
    unidentified_person = "unidentified_person"  # a face never usable (masked) in a boundary
    camera_offline = "camera_offline"
    camera_tampered = "camera_tampered"
    sos = "sos"
    watch_silent = "watch_silent"
    manual = "manual"


class IncidentFacts(BaseModel):
    """The facts an incident's one-line description is made of."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: IncidentKind
    source: SignalSource
    camera: str | None = None  # the camera's name at its site (a name people gave it)
    zone: str | None = None  # the zone's name (typed by people, in the region's language)
    identity: str | None = None  # whom a camera recognised
    serial: str | None = None  # a device's serial number
    minutes: int | None = None  # how long a watch has been silent
    seconds: int | None = None  # how long a camera has been silent
    battery: int | None = None  # percent
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None  # the position's accuracy radius (none: not said)
    fix_source: FixSource | None = None  # gps | wifi | cell | fixed_address
    text: str | None = None  # a person's own words (an officer's notice)
    duress: bool | None = None  # raised silently by the app's duress PIN
    # A proximity: how far the offender's monitor is from which of her places (its own
    # position is latitude/longitude/accuracy_m above).
    distance_m: int | None = None
    near: Place | None = None

    def for_victim(self) -> IncidentFacts:
        """What the protected person is shown: that the offender's monitor is near, and how
        near — not where he is (the staff send help; she is not sent towards him)."""
        if self.kind is not IncidentKind.proximity:
            return self
        where = {"latitude": None, "longitude": None, "accuracy_m": None, "fix_source": None}
        return self.model_copy(update=where)

    def without_personal_data(self) -> IncidentFacts:
        """For a reader whose time with the incident's personal data is over: no one named,
        no position, no person's own words."""
        personal = {
            "identity": None,
            "latitude": None,
            "longitude": None,
            "text": None,
            "distance_m": None,
        }
        return self.model_copy(update=personal)


class EntryReason(StrEnum):
    """Why a timeline line was written, for the lines the system writes itself."""

    signal = "signal"  # created / joined: the signal's own facts
    incident_type = "incident_type"  # told because of the incident's type
    upgraded = "upgraded"  # the type became more severe
    requested_by = "requested_by"  # a person asked for the police
    deadline_missed = "deadline_missed"  # a group did not acknowledge in time
    clip_added = "clip_added"
    location = "location"
    camera_back = "camera_back"
    shown_on_connect = "shown_on_connect"
    police_reached_nobody = "police_reached_nobody"  # no 112 screen or system took it
    police_not_in_time = "police_not_in_time"  # 112 did not accept it by its deadline
    for_group = "for_group"  # a person acknowledged for their group
    # Delivery receipts, per channel.
    screens_reached = "screens_reached"
    no_screen = "no_screen"
    no_account = "no_account"
    push_accepted = "push_accepted"
    no_push_phone = "no_push_phone"
    push_turned_off = "push_turned_off"
    push_failed = "push_failed"
    police_system_accepted = "police_system_accepted"
    police_system_unreachable = "police_system_unreachable"
    police_system_refused = "police_system_refused"
    sms_accepted = "sms_accepted"  # written to the development folder (no phone reads it)
    sms_gateway_accepted = "sms_gateway_accepted"  # the gateway took it; no receipt yet
    sms_gateway_unreachable = "sms_gateway_unreachable"
    sms_gateway_refused = "sms_gateway_refused"
    sms_not_korean_number = "sms_not_korean_number"
    sms_reached_phone = "sms_reached_phone"  # the carrier's receipt: the phone has it
    sms_undelivered = "sms_undelivered"  # the carrier's receipt: it never reached the phone
    no_phone_number = "no_phone_number"
    channel_missing = "channel_missing"
    channel_error = "channel_error"


class EntryFacts(BaseModel):
    """What a system-written timeline line says, as facts (its parameters by reason)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: EntryReason
    channel: str | None = None  # in_app | web_push | webhook | sms | …
    count: int | None = None  # screens or phones reached
    attempt: int | None = None
    code: int | None = None  # the 112 system's HTTP answer
    kind: IncidentKind | None = None  # told because of / upgraded to
    before: IncidentKind | None = None  # upgraded from
    role: str | None = None  # who asked (a role's value)
    missed: Recipient | None = None  # the group that did not acknowledge
    to: Recipient | None = None  # the group told next
    by: datetime | None = None  # the deadline missed
    camera: str | None = None
    serial: str | None = None
    seconds: int | None = None
    state: str | None = None  # a camera's state when heard again
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    fix_source: FixSource | None = None
    note: str | None = None  # a person's own words
    phone: str | None = None  # the duty phone a police request was texted to
    signal: IncidentFacts | None = None
