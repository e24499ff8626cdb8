"""Demo data: the demo town (demo/town.py) and the commands that fill it with months of activity.

Installed in local and test settings only (config/settings/local.py, test.py), never in production. No app
imports it (import-linter contract in pyproject.toml); it may import every app, and it writes through the
apps' services where the story needs their side effects.
"""
