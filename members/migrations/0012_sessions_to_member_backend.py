"""Sessions signed in through ModelBackend keep working under members.auth.MemberBackend.

Django loads a session's user only through the backend named in the session, if that backend is still in
AUTHENTICATION_BACKENDS; without this, every user would be signed out once when ModelBackend was replaced.
Rewrites the backend name in the unexpired database sessions (at most a working day's worth), and back.
"""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import migrations
from django.utils import timezone

OLD = "django.contrib.auth.backends.ModelBackend"
NEW = "members.auth.MemberBackend"


def _rename(apps, schema_editor, old, new):
    from django.contrib.sessions.backends.db import SessionStore

    Session = apps.get_model("sessions", "Session")
    store = SessionStore()
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = store.decode(session.session_data)
        if data.get(BACKEND_SESSION_KEY) == old:
            data[BACKEND_SESSION_KEY] = new
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


def forward(apps, schema_editor):
    _rename(apps, schema_editor, OLD, NEW)


def backward(apps, schema_editor):
    _rename(apps, schema_editor, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0011_member_scope_version"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=True)]
