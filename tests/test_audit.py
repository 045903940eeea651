"""The audit trail: every touch of personal data is recorded, and tampering is detected."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update

from safewatch.models import AuditEntry, AuditHead
from safewatch.store import audit
from tests.live import event, jpeg, send_with_media, tiny_mp4
from tests.world import World

V1 = "/api/v1"


def _entries(world: World) -> list[AuditEntry]:
    with world.factory() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def _verify(world: World) -> audit.ChainReport:
    with world.factory() as s:
        return audit.verify(s)


def test_reading_a_case_records_who_what_when_why(world: World) -> None:
    before = len(_entries(world))
    r = world.client.get(
        f"{V1}/cases/{world.cases['a']}",
        headers=world.h("caseworker_a", reason="home visit tomorrow"),
    )
    assert r.status_code == 200
    new = _entries(world)[before:]
    assert len(new) == 1
    e = new[0]
    assert (e.actor_id, e.actor_role, e.action, e.entity) == (
        world.users["caseworker_a"],
        "caseworker",
        "read",
        "case",
    )
    assert e.entity_id == str(world.cases["a"]) and e.case_id == world.cases["a"]
    assert e.reason == "case viewed: home visit tomorrow"
    assert e.at is not None


def test_case_page_shows_who_viewed_it(world: World) -> None:
    world.get("security_a", f"{V1}/cases/{world.cases['a']}")
    trail = world.get(
        "officer_a", f"{V1}/cases/{world.cases['a']}/audit", params={"action": "read"}
    ).json()
    roles = [e["actor_role"] for e in trail["items"]]
    assert "security_operator" in roles
    assert all(e["case_id"] == str(world.cases["a"]) for e in trail["items"])


def test_refused_change_leaves_no_record(world: World) -> None:
    before = len(_entries(world))
    r = world.assess("officer_a", "a", "very_high", "stalking")  # override without a reason
    assert r.status_code == 422
    assert len(_entries(world)) == before  # the read-for-update was rolled back with it


def test_chain_is_intact_after_normal_use(world: World) -> None:
    for user in ("officer_a", "caseworker_a", "victim_a", "admin"):
        world.get(user, f"{V1}/cases/{world.cases['a']}")
    report = _verify(world)
    assert report.ok, report.problems
    assert report.entries == len(_entries(world)) > 4


def test_edited_entry_is_detected(world: World) -> None:
    world.get("officer_a", f"{V1}/cases/{world.cases['a']}")
    world.get("officer_b", f"{V1}/cases/{world.cases['b']}")
    target = _entries(world)[-2].seq
    with world.factory() as s, s.begin():
        s.execute(
            update(AuditEntry).where(AuditEntry.seq == target).values(reason="nothing to see")
        )
    report = _verify(world)
    assert not report.ok
    assert f"entry {target} was altered after it was written" in report.problems


def test_removed_entry_is_detected(world: World) -> None:
    world.get("officer_a", f"{V1}/cases/{world.cases['a']}")
    world.get("officer_a", f"{V1}/cases/{world.cases['a']}")
    target = _entries(world)[-2].seq
    with world.factory() as s, s.begin():
        s.execute(delete(AuditEntry).where(AuditEntry.seq == target))
    problems = _verify(world).problems
    assert f"entries {target}..{target} are missing" in problems
    assert f"entry {target + 1} does not link to the entry before it" in problems


def test_removed_tail_is_detected(world: World) -> None:
    world.get("officer_a", f"{V1}/cases/{world.cases['a']}")
    with world.factory() as s, s.begin():
        last = s.scalar(select(func.max(AuditEntry.seq)))
        s.execute(delete(AuditEntry).where(AuditEntry.seq == last))
    problems = _verify(world).problems
    assert any("entries were cut from the end" in p for p in problems)


def test_rewritten_chain_without_head_is_detected(world: World) -> None:
    world.get("officer_a", f"{V1}/cases/{world.cases['a']}")
    with world.factory() as s, s.begin():
        s.execute(delete(AuditHead))
    assert "the chain head record is missing" in _verify(world).problems


def test_admin_can_verify_through_the_api(world: World) -> None:
    r = world.get("admin", f"{V1}/audit/verify")
    assert r.status_code == 200 and r.json()["ok"] is True
    page = world.get("admin", f"{V1}/audit", params={"size": 5}).json()
    assert len(page["items"]) == 5 and page["items"][0]["seq"] > page["items"][1]["seq"]


def test_opening_a_signed_link_names_whom_it_was_made_for(world: World, tmp_path: Path) -> None:
    """A link to a snapshot goes to a browser or the 112 system, which send no sign-in: the
    trail records the person whose screen asked for it (issue 19 point 13), not "system"."""
    camera = world.device("camera", "CAM-LINK")
    send_with_media(
        world.client, camera, event(), jpeg(), tiny_mp4(tmp_path / "c.mp4").read_bytes()
    )
    [incident] = world.get("security_a", f"{V1}/incidents").json()["items"]
    packet = world.get("security_a", f"{V1}/incidents/{incident['id']}").json()["packet"]
    before = len(_entries(world))
    assert world.client.get(urlsplit(packet["snapshot_url"]).path).status_code == 200
    [opened] = _entries(world)[before:]
    assert (opened.actor_id, opened.actor_role) == (world.users["security_a"], "signed_link")
    assert "made for security" in opened.reason and opened.case_id == world.cases["a"]
