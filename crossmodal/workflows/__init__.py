"""Workflows: what a command does from end to end (a run, the demo, every protocol, the sweep,
the compute study, bench-speed, translating a video). They call the layers below; nothing
below calls them."""
