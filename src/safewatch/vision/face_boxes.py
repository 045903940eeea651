"""The geometry of faces and people in a picture: boxes as N × 4 float arrays (x1 y1 x2 y2 in
pixels), pure and vectorised — a person's head, whose face a face is, the way a face went
between two looks, boxes that cover each other merged (towards privacy: never less covered)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy.sparse.csgraph import connected_components

PAD = 0.25  # a face box grows by this share on each side: hair, ears, a moving head
HEAD_SHARE = 0.25  # the top quarter of a person's box holds the head
OWN_FACE_SHARE = 0.6  # a face belongs to a person when its centre is in the box's upper 60 %
AROUND = 0.5  # a person's head region grows by this share on each side for the search
Boxes = np.ndarray  # N × 4 float boxes, x1 y1 x2 y2 in pixels


def no_boxes() -> Boxes:
    return np.zeros((0, 4), dtype=np.float32)


def head_boxes(people: Boxes) -> Boxes:
    if not len(people):
        return no_boxes()
    x1, y1, x2, y2 = people[:, 0], people[:, 1], people[:, 2], people[:, 3]
    w, h = x2 - x1, y2 - y1
    return np.stack([x1 + 0.1 * w, y1, x2 - 0.1 * w, y1 + HEAD_SHARE * h], axis=1)


def on_offender(faces: Boxes, offenders: Boxes) -> np.ndarray:
    """Which faces lie on a recognised offender (centre in the upper part of his box)."""
    if not len(faces) or not len(offenders):
        return np.zeros(len(faces), dtype=bool)
    cx = ((faces[:, 0] + faces[:, 2]) / 2)[:, None]
    cy = ((faces[:, 1] + faces[:, 3]) / 2)[:, None]
    x1, y1, x2, y2 = (offenders[:, k][None, :] for k in range(4))
    inside = (cx >= x1) & (cx <= x2) & (cy >= y1) & (cy <= y1 + OWN_FACE_SHARE * (y2 - y1))
    return np.asarray(inside.any(axis=1))


def padded(boxes: Boxes, w: int, h: int, pad: float = PAD) -> Iterable[tuple[int, int, int, int]]:
    """Each box grown by ``pad`` of its size on each side, in whole pixels within w × h."""
    for x1, y1, x2, y2 in boxes:
        dx, dy = (x2 - x1) * pad, (y2 - y1) * pad
        yield (
            max(0, int(x1 - dx)),
            max(0, int(y1 - dy)),
            min(w, int(np.ceil(x2 + dx))),
            min(h, int(np.ceil(y2 + dy))),
        )


def around(heads: Boxes, bgr: np.ndarray) -> Boxes:
    """The regions searched for the faces of these heads (grown by ``AROUND`` each side)."""
    h, w = bgr.shape[:2]
    return np.array(list(padded(heads, w, h, pad=AROUND)), dtype=np.float32).reshape(-1, 4)


def paths(before: Boxes, after: Boxes) -> Boxes:
    """The box each face may have passed through on its way from ``before`` to ``after``:
    for each pair close enough to be one face moving, the box that holds both."""
    parts = [no_boxes()]
    for a in before:
        for b in after:
            size = max(a[2] - a[0], b[2] - b[0], a[3] - a[1], b[3] - b[1])
            ca, cb = (a[:2] + a[2:]) / 2, (b[:2] + b[2:]) / 2
            if float(np.linalg.norm(ca - cb)) <= 2 * size:
                parts.append(np.array([[*np.minimum(a[:2], b[:2]), *np.maximum(a[2:], b[2:])]]))
    return np.concatenate(parts).astype(np.float32)


def shared_area(a: Boxes, b: Boxes) -> np.ndarray:
    """The area each box of ``a`` shares with each box of ``b`` (0 where they do not meet)."""
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.asarray(np.clip(w, 0, None) * np.clip(h, 0, None))


def touching(boxes: Boxes, others: Boxes) -> np.ndarray:
    """Which of the boxes overlap any of the others."""
    return np.asarray((shared_area(boxes, others) > 0).any(axis=1))


def merged(boxes: Boxes, share: float = 0.5) -> Boxes:
    """The boxes with those that cover each other by ``share`` of the smaller one or more
    replaced by the one box that holds them (towards privacy: never less is covered). A
    clip's frame takes the faces of several looks: the same face many times over. Only for
    boxes of one kind (all blurred, or the same face): a union of a bystander's face and the
    offender's would be told apart by its centre alone."""
    while len(boxes) > 1:
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        shared = shared_area(boxes, boxes)
        covers = (shared > 0) & (shared >= share * np.minimum(area[:, None], area[None, :]))
        _, group = connected_components(covers, directed=False)
        if group.max() == len(boxes) - 1:  # no two cover each other
            break
        order = np.argsort(group, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(group[order]) != 0])
        ordered = boxes[order]
        boxes = np.concatenate(
            [
                np.minimum.reduceat(ordered[:, :2], starts),
                np.maximum.reduceat(ordered[:, 2:], starts),
            ],
            axis=1,
        )
    return np.asarray(boxes, dtype=np.float32).reshape(-1, 4)


def grown(boxes: Boxes, share: float) -> Boxes:
    """The boxes grown by ``share`` of their size on each side."""
    if not len(boxes):
        return boxes
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    by = np.stack([-w, -h, w, h], axis=1) * np.float32(share)
    return (boxes + by).astype(np.float32)
