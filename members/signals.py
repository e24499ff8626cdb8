from django.dispatch import receiver

from grids.models import Place
from grids.services import rewrite_path_prefix
from grids.signals import place_moved

from .models import Link, Member


@receiver(place_moved, sender=Place)
def rewrite_member_paths(sender, *, old_path: str, new_path: str, **kwargs) -> None:
    rewrite_path_prefix(Member.objects.all(), old_path=old_path, new_path=new_path)
    rewrite_path_prefix(Link.objects.all(), old_path=old_path, new_path=new_path)
