"""The AI CCTV camera worker: video in, persons detected and tracked, zone rules, clips, events."""
