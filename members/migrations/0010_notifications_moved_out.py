"""Notification, Delivery, OutboxEvent and TownChannels now belong to the notifications app (issue 16).

State only: their tables stay (`members_notification`, ...), now owned by notifications 0001, which runs first.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0009_member_exempt_idx"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(model_name="delivery", name="folded_into"),
                migrations.RemoveField(model_name="delivery", name="notification"),
                migrations.RemoveField(model_name="notification", name="recipient"),
                migrations.RemoveField(model_name="townchannels", name="town"),
                migrations.DeleteModel(name="OutboxEvent"),
                migrations.DeleteModel(name="Delivery"),
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="TownChannels"),
            ],
        ),
    ]
