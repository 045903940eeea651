"""A real RTSP server for the tests and the camera benchmark: GStreamer's gst-rtsp-server.

It runs under Debian's Python (``/usr/bin/python3``, with ``python3-gi`` and
``gir1.2-gst-rtsp-server-1.0``; ``scripts/install-rtsp.sh`` installs them), never the
project's: it imports nothing of safewatch. ``rtsp.py`` starts and stops it.

Each mount serves an H.264 or H.265 file as a camera serves its stream: packets as they are
(no encoding here, so the server costs little beside what it serves), paced in real time, the
timestamps of a new session starting again. Logins are checked with digest authentication;
TCP and UDP transport are both offered. ``--drop`` throws away that share of the coded frames
before they are sent: what a lossy link does to a stream.

    /usr/bin/python3 rtsp_server.py --port 8554 --user cam --password s3cret \\
        --mount front=h264:/path/front.mp4 --mount back=h265:/path/back.mkv
"""

import argparse
import sys

import gi  # type: ignore[import-not-found]  # Debian's python3-gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # type: ignore[import-not-found]  # noqa: E402

DEMUXERS = {".mp4": "qtdemux", ".mov": "qtdemux", ".mkv": "matroskademux"}


def launch(codec: str, path: str, drop: float) -> str:
    demux = DEMUXERS.get(path[path.rfind(".") :].lower())
    if demux is None:
        raise SystemExit(f"cannot serve {path}: an .mp4, .mov or .mkv file is needed")
    lossy = f"identity drop-probability={drop} ! " if drop > 0 else ""
    # The parser repeats the parameter sets before each keyframe (a client may join at any
    # time); the payloader must not repeat them too: it puts them before every slice of a
    # keyframe, and FFmpeg then splits a two-slice keyframe into two broken pictures (the
    # worker saw green half-frames and raised "camera moved").
    return (
        f"( filesrc location={path} ! {demux} ! {codec}parse config-interval=-1 ! {lossy}"
        f"rtp{codec}pay name=pay0 pt=96 )"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--mount", action="append", default=[], help="NAME=h264|h265:PATH")
    parser.add_argument("--drop", type=float, default=0.0)
    args = parser.parse_args()
    Gst.init(None)

    server = GstRtspServer.RTSPServer()
    server.set_service(str(args.port))
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "camera-user")
    auth.add_digest(args.user, args.password, token)
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    server.set_auth(auth)

    mounts = server.get_mount_points()
    for spec in args.mount:
        name, _, rest = spec.partition("=")
        codec, _, path = rest.partition(":")
        if codec not in ("h264", "h265"):
            raise SystemExit(f"--mount {spec}: the codec is h264 or h265")
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch(codec, path, args.drop))
        factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP)
        permissions = GstRtspServer.RTSPPermissions()
        for action in ("media.factory.access", "media.factory.construct"):
            permissions.add_permission_for_role("camera-user", action, True)
        factory.set_permissions(permissions)
        mounts.add_factory(f"/{name}", factory)

    if server.attach(None) == 0:
        raise SystemExit(f"cannot listen on port {args.port}")
    print("ready", flush=True)  # rtsp.py waits for this line
    try:
        GLib.MainLoop().run()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
