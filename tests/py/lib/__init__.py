"""Shared helpers for realmbox's Python tests (standard library only):
env (paths, the build, example bundles), oracle (qemu-aarch64 reference
runs), differential (oracle vs `realmbox run` case runner)."""
