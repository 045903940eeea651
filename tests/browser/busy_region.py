"""A busy region for the console tests (issue 18, points 6–9): company A's homes with open
incidents of several kinds — six intrusions at one home, an SOS, the offender at the door, a
camera offline, a covered camera — and another company's home; and consoles signed in to the
running hub."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update

from safewatch.incidents.lifecycle import Recipient
from safewatch.models import Incident, IncidentRecipient
from tests.live import event, jpeg, tiny_mp4
from tests.world import PASSWORD, World

V1 = "/api/v1"


@dataclass
class Region:
    """Company A's homes, talking to the running hub as cameras, phones and staff would."""

    world: World
    http: httpx.Client
    cameras: dict[str, str] = field(default_factory=dict)  # case id → camera credential
    last_event: dict[str, uuid.UUID] = field(default_factory=dict)  # case id → its last event

    def as_(self, user: str, method: str, path: str, body: Any = None) -> Any:
        headers = self.world.h(user) if user in self.world.tokens else self.login(user)
        r = self.http.request(method, f"{V1}{path}", json=body, headers=headers)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def login(self, user: str) -> dict[str, str]:
        r = self.http.post(f"{V1}/auth/login", json={"username": user, "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.world.tokens[user] = r.json()["access_token"]
        return self.world.h(user)

    def home(self, name: str, address: str) -> str:
        """A case of company A, with a camera installed; returns the case's id."""
        w = self.world
        order = {
            "kind": "restraining order",
            "issued_by": "Jeju District Court",
            "starts_on": str(date.today() - timedelta(days=1)),
            "ends_on": str(date.today() + timedelta(days=90)),
        }
        body = {
            "protected_person": {
                "full_name": name,
                "phone": "010-2222-0000",
                "address": address,
                "latitude": 33.49,
                "longitude": 126.5,
            },
            "support_centre_id": str(w.agencies["centre_a"]),
            "security_company_id": str(w.agencies["company_a"]),
            "offender": {"full_name": f"Offender of {name}", "order": order},
        }
        case_id: str = self.as_("officer_a", "POST", "/cases", body)["id"]
        serial = f"CAM-{case_id[:6]}"
        device = self.as_("officer_a", "POST", "/devices", {"kind": "camera", "serial": serial})
        self.as_("officer_a", "POST", f"/devices/{device['id']}/assign", {"case_id": case_id})
        secret = self.as_("officer_a", "POST", f"/devices/{device['id']}/credential")["secret"]
        self.cameras[case_id] = secret
        return case_id

    def alert(
        self,
        case_id: str,
        type_: str,
        track: int,
        picture: tuple[int, int] | None = (64, 48),
        **extra: Any,
    ) -> str:
        """A camera event at the home, with a snapshot of ``picture``'s size (a test tells
        pictures apart by it) or none; returns its incident's id."""
        e = event(type_=type_).model_copy(update={"track": track, "zone": "마당", **extra})
        snapshot = jpeg(size=picture, seed=str(track)) if picture else None
        r = self.http.post(
            f"{V1}/device/events",
            data={"event": e.model_dump_json()},
            files={"snapshot": ("s.jpg", snapshot, "image/jpeg")} if snapshot else None,
            headers={"Authorization": f"Bearer {self.cameras[case_id]}"},
        )
        assert r.status_code == 201, r.text
        self.last_event[case_id] = e.id
        items = self.as_("admin", "GET", f"/incidents?size=200&case_id={case_id}")["items"]
        return str(max(items, key=lambda i: i["created_at"])["id"])

    def clip(self, case_id: str, path: Path) -> None:
        """The clip of the home's last event arrives."""
        r = self.http.put(
            f"{V1}/device/events/{self.last_event[case_id]}/clip",
            content=tiny_mp4(path).read_bytes(),
            headers={
                "Authorization": f"Bearer {self.cameras[case_id]}",
                "Content-Type": "video/mp4",
            },
        )
        assert r.status_code == 200, r.text

    def sos(self) -> str:
        body = {"latitude": 33.4996, "longitude": 126.5312}
        return str(self.as_("victim_a", "POST", "/me/sos", body)["incident"]["id"])

    def backdate(self, incident_id: str, hours: float) -> None:
        at = datetime.now(UTC) - timedelta(hours=hours)
        with self.world.factory() as s, s.begin():
            s.execute(
                update(Incident)
                .where(Incident.id == uuid.UUID(incident_id))
                .values(created_at=at, last_signal_at=at)
            )

    def miss_deadline(self, incident_id: str, recipient: Recipient) -> None:
        """As if the group had let its deadline pass unanswered a moment ago."""
        with self.world.factory() as s, s.begin():
            s.execute(
                update(IncidentRecipient)
                .where(
                    IncidentRecipient.incident_id == uuid.UUID(incident_id),
                    IncidentRecipient.recipient == recipient,
                )
                .values(deadline_at=datetime.now(UTC) - timedelta(seconds=1))
            )


@dataclass
class Busy:
    """The region's incidents by what they are."""

    sos: str
    offender: str
    offline: str
    covered: str
    intrusions: list[str]
    closed: str


def fill(region: Region) -> Busy:
    kim = region.home("Kim Minji", "제주시 연동 123-4")
    park = region.home("Park Sora", "서귀포시 중앙로 78")
    lee = region.home("Lee Hana", "제주시 일도이동 45-6")
    intrusions = [region.alert(kim, "intrusion", track) for track in range(1, 8)]
    closed = intrusions.pop()
    region.as_("security_a2", "POST", f"/incidents/{closed}/resolve", {"outcome": "resolved"})
    region.backdate(intrusions[0], 2)
    offender = region.alert(park, "offender_recognized", 20, identity=f"Offender of {park}")
    offline = region.alert(park, "camera_offline", 21)
    covered = region.alert(lee, "camera_tampered", 30)
    other = region.world.device("camera", "CAM-B1", side="b")  # company B's home
    e = event(type_="intrusion")
    r = region.http.post(
        f"{V1}/device/events",
        data={"event": e.model_dump_json()},
        headers={"Authorization": f"Bearer {other}"},
    )
    assert r.status_code == 201, r.text
    return Busy(region.sos(), offender, offline, covered, intrusions, closed)


def queue_rows(page: Any) -> list[str]:
    rows: list[str] = page.locator("#queue > li > button").all_inner_texts()
    return [" ".join(r.split()) for r in rows]


def open_incident(page: Any, text: str) -> None:
    row = page.locator("#queue button", has_text=text).first
    incident = row.get_attribute("data-id")
    row.click()
    page.locator(f"#incident[data-id='{incident}']").wait_for()


def buttons(page: Any) -> set[str]:
    """The action buttons the person can see now."""
    names = page.locator("#incident [data-action]:visible").all_inner_texts()
    return {n.strip() for n in names}
