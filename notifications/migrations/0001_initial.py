"""The inbox, deliveries, the outbox and the towns' channel policies, moved here from members (issue 16).

State only: the tables were created by members' migrations (0002, 0004) and keep their names (`db_table`), so
nothing is copied or altered in the database; members 0010 removes the models from members' state after this.
The content types are renamed members.* → notifications.*, so the permissions given to groups and users
(they point at the content type) and the admin log follow the models.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

MOVED = ("notification", "delivery", "outboxevent", "townchannels")


def _relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        # A fresh database has no content types yet (post_migrate creates them); one that already has the new
        # label for a model (it should not) is left as it is rather than merged.
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def content_types_forward(apps, schema_editor):
    _relabel(apps, "members", "notifications")


def content_types_backward(apps, schema_editor):
    _relabel(apps, "notifications", "members")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("grids", "0003_household_id_number_encrypted"),
        ("members", "0009_member_exempt_idx"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('general', '通知'), ('task_list', '每月走访任务清单'), ('dispatch_order', '调度令'), ('overdue_digest', '走访逾期提醒'), ('grid_digest', '网格走访逾期汇总'), ('village_digest', '村(社区)走访汇总'), ('decade_digest', '旬调度'), ('issue_due_soon', '问题办理即将到期'), ('issue_due', '问题办理到期'), ('issue_overdue', '逾期吹哨'), ('review', '季讲评/年总评')], max_length=30, verbose_name='类别')),
                        ('period_key', models.CharField(blank=True, max_length=40, verbose_name='周期/对象')),
                        ('title', models.CharField(max_length=200, verbose_name='标题')),
                        ('body', models.TextField(blank=True, verbose_name='内容')),
                        ('link', models.CharField(blank=True, max_length=300, verbose_name='链接')),
                        ('urgent', models.BooleanField(default=False, verbose_name='紧急')),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='时间')),
                        ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='已读时间')),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='members.member', verbose_name='收件人')),
                    ],
                    options={
                        'verbose_name': '通知',
                        'verbose_name_plural': '通知',
                        'db_table': 'members_notification',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Delivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('channel', models.CharField(choices=[('email', '电子邮件'), ('sms', '短信'), ('wecom', '企业微信/钉钉')], max_length=20, verbose_name='渠道')),
                        ('status', models.CharField(choices=[('queued', '排队中'), ('sending', '发送中'), ('sent', '已发送'), ('failed', '失败'), ('delivered', '已送达'), ('folded', '并入汇总')], default='queued', max_length=10, verbose_name='状态')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='尝试次数')),
                        ('last_error', models.CharField(blank=True, max_length=300, verbose_name='失败原因')),
                        ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='下次尝试')),
                        ('claimed_at', models.DateTimeField(blank=True, null=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='发送时间')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='创建时间')),
                        ('provider_ref', models.CharField(blank=True, max_length=64, verbose_name='服务商流水号')),
                        ('receipt_code', models.CharField(blank=True, max_length=40, verbose_name='回执状态码')),
                        ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='送达时间')),
                        ('folded_into', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='notifications.delivery', verbose_name='并入')),
                        ('notification', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='notifications.notification', verbose_name='通知')),
                    ],
                    options={
                        'verbose_name': '发送记录',
                        'verbose_name_plural': '发送记录',
                        'db_table': 'members_delivery',
                        'ordering': ['notification_id', 'channel'],
                    },
                ),
                migrations.CreateModel(
                    name='OutboxEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('topic', models.CharField(max_length=60, verbose_name='主题')),
                        ('payload', models.JSONField(default=dict, verbose_name='内容')),
                        ('status', models.CharField(choices=[('pending', '待处理'), ('done', '已处理'), ('failed', '失败')], default='pending', max_length=10, verbose_name='状态')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='尝试次数')),
                        ('last_error', models.CharField(blank=True, max_length=300, verbose_name='失败原因')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='创建时间')),
                        ('processed_at', models.DateTimeField(blank=True, null=True, verbose_name='处理时间')),
                    ],
                    options={
                        'verbose_name': '待处理事件',
                        'verbose_name_plural': '待处理事件',
                        'db_table': 'members_outboxevent',
                        'ordering': ['id'],
                        'indexes': [models.Index(fields=['status', 'created_at'], name='outbox_pending_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='TownChannels',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.BooleanField(default=True, verbose_name='允许电子邮件')),
                        ('sms', models.BooleanField(default=True, verbose_name='允许短信')),
                        ('wecom', models.BooleanField(default=True, verbose_name='允许企业微信')),
                        ('town', models.OneToOneField(limit_choices_to={'kind': 'town'}, on_delete=django.db.models.deletion.CASCADE, related_name='channel_policy', to='grids.place', verbose_name='镇')),
                    ],
                    options={
                        'verbose_name': '镇提醒渠道设置',
                        'verbose_name_plural': '镇提醒渠道设置',
                        'db_table': 'members_townchannels',
                    },
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(fields=['recipient', 'read_at'], name='notification_unread_idx'),
                ),
                migrations.AddConstraint(
                    model_name='notification',
                    constraint=models.UniqueConstraint(condition=models.Q(('period_key', ''), _negated=True), fields=('recipient', 'kind', 'period_key'), name='notification_once_per_period'),
                ),
                migrations.AddIndex(
                    model_name='delivery',
                    index=models.Index(fields=['status', 'next_attempt_at'], name='delivery_due_idx'),
                ),
                migrations.AddIndex(
                    model_name='delivery',
                    index=models.Index(condition=models.Q(('provider_ref', ''), _negated=True), fields=['channel', 'provider_ref'], name='delivery_ref_idx'),
                ),
                migrations.AddIndex(
                    model_name='delivery',
                    index=models.Index(fields=['channel', 'sent_at'], name='delivery_sent_idx'),
                ),
                migrations.AddConstraint(
                    model_name='delivery',
                    constraint=models.UniqueConstraint(fields=('notification', 'channel'), name='delivery_once_per_channel'),
                ),
            ],
        ),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]
