"""Signals grids sends for the apps above it (grids imports none of them)."""

from django.dispatch import Signal

# Sent by grids.services.household_paths_sync after households changed grid and every copy of their path was
# rewritten, with `household_ids`, `old_paths` (the distinct paths the copies held before) and `new_paths`.
# Apps that keep counts by path (visits' month tallies) recount those paths.
household_paths_moved = Signal()

# Sent by grids.services.place_move after a place and its subtree moved, with `path` (the subtree's new path).
# Apps that keep something computed from places' paths (members' kept scopes) drop it.
places_moved = Signal()
