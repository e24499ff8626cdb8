from django.dispatch import Signal

# Sent after a place (and its subtree) moved to a new parent: kwargs old_path, new_path.
# Apps above grids that copy paths (members, visits, issues...) rewrite their copies on it.
place_moved = Signal()
