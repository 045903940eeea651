"""The incident domain: what an incident is, its states and who hears of it, as pure rules
beside ``cases/`` — no database, web, bus runtime or video (issue 22); the bus's typed
messages are contracts they may read."""
