"""The outbox's table and queries (``outbox.py``)."""

# The unblurred originals of a snapshot and a clip travel as items of their own (kinds
# original_snapshot, original_clip) after their event: the alert does not wait for them, and
# they are not lost if the hub is away.
# 3: an item the hub refuses for good is 'quarantined' (was 'rejected'), with the time.
VERSION = 3  # PRAGMA user_version; 1 (no version) knew events and clips only
SCHEMA = """
CREATE TABLE IF NOT EXISTS item (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('event', 'clip', 'original_snapshot', 'original_clip')),
    event_id TEXT NOT NULL,
    camera TEXT NOT NULL,
    payload TEXT,
    blob_path TEXT,  -- the clip file
    snapshot BLOB,  -- the event's (shown) snapshot, or the original snapshot
    error TEXT,
    created REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sent', 'quarantined')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    quarantined_at REAL,
    UNIQUE (kind, event_id)
);
CREATE INDEX IF NOT EXISTS item_pending ON item (state, seq);
"""
UPGRADED = f"PRAGMA user_version = {VERSION};"
OLD_COLUMNS = (
    "seq, kind, event_id, camera, payload, blob_path, snapshot, error, created, state, "
    "attempts, next_attempt, last_error"
)
UPGRADE = "".join(
    [
        "BEGIN IMMEDIATE; ALTER TABLE item RENAME TO item_old; DROP INDEX item_pending;",
        SCHEMA,
        f"INSERT INTO item ({OLD_COLUMNS}) SELECT {OLD_COLUMNS} FROM item_old;",  # noqa: S608
        "UPDATE item SET state = 'quarantined', quarantined_at = created ",
        "WHERE state = 'rejected'; DROP TABLE item_old;",
        UPGRADED,
        "COMMIT;",
    ]
)

OLDEST_EVENTS = (
    "SELECT seq, kind, event_id, camera, payload, blob_path, snapshot, error, attempts, "
    "next_attempt FROM item WHERE state = 'pending' AND kind = 'event' ORDER BY seq LIMIT ?"
)
# The clip or original due first whose own event has gone (sent, or refused for good).
# A refused event's clip and originals have nothing to join at the hub: refused with it
# (the hub's "no such event" is otherwise retried: in cluster mode the event may still be on
# its way through the stream).
# Run as an event is refused, and as its clip arrives later.
ORPHANS_REFUSED = (
    "UPDATE item SET state = 'quarantined', last_error = 'its event was refused', "
    "quarantined_at = ? WHERE event_id = ? AND state = 'pending' AND kind != 'event' "
    "AND EXISTS (SELECT 1 FROM item AS e WHERE e.kind = 'event' "
    "AND e.event_id = item.event_id AND e.state = 'quarantined')"
)
CLIPS_NEVER_CUT = (
    "SELECT event_id, camera FROM item AS e WHERE kind = 'event' "
    "AND json_extract(payload, '$.clip_end_t') IS NOT NULL AND NOT EXISTS (SELECT 1 "
    "FROM item AS c WHERE c.kind = 'clip' AND c.event_id = e.event_id) ORDER BY seq"
)
QUARANTINE = (
    "UPDATE item SET state = 'quarantined', last_error = ?, quarantined_at = ? WHERE seq = ?"
)

NEXT_CLIP = (
    "SELECT seq, kind, event_id, camera, payload, blob_path, snapshot, error, attempts, "
    "next_attempt FROM item AS c WHERE state = 'pending' AND kind != 'event' "
    "AND NOT EXISTS (SELECT 1 FROM item AS e WHERE e.kind = 'event' "
    "AND e.event_id = c.event_id AND e.state = 'pending') ORDER BY next_attempt, seq LIMIT 1"
)
EVENT_WAITING = "SELECT 1 FROM item WHERE kind = 'event' AND state = 'pending' AND event_id = ?"
