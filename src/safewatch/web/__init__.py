"""The people's screens: server-rendered pages with small, purposeful JavaScript."""
