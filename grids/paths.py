"""Materialized paths ("/1/2/3/": the primary keys from the city down, each followed by a slash).

The one place that takes a path apart: the paths above a place, the primary keys in it, the ancestor at a depth.
"""

from __future__ import annotations


def _parts(path: str) -> list[str]:
    return [part for part in path.strip("/").split("/") if part]


def ancestors(path: str) -> list[str]:
    """'/1/2/3/' → ['/1/', '/1/2/', '/1/2/3/']: the paths of a place and of every place above it, top first."""
    parts = _parts(path)
    return ["/" + "".join(f"{part}/" for part in parts[: i + 1]) for i in range(len(parts))]


def ancestor_ids(path: str) -> list[int]:
    """'/1/2/3/' → [1, 2, 3]: the primary keys of a place and every place above it, top first."""
    return [int(part) for part in _parts(path)]


def at_depth(path: str, depth: int) -> str:
    """The ancestor path `depth` levels below the root (1 = city, 2 = town, 3 = village); the path itself if
    it is not that deep."""
    return "/" + "".join(f"{part}/" for part in _parts(path)[:depth])
