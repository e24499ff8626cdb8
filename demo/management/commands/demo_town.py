"""python manage.py demo_town [--size town|small|city] [--towns N] [--seed N] [--if-empty] [--password-file PATH]"""

import os
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from demo.town import SIZES, DemoError, demo_town_build


class Command(BaseCommand):
    help = "建演示镇 双凫铺镇(宁乡市),或多镇的市用于压测;为每个角色建登录账号,密码只显示一次。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--size", choices=sorted(SIZES), default="town", help="town(默认)、small(测试)、city(压测)"
        )
        parser.add_argument("--towns", type=int, default=None, help="镇的数量(city 默认 30,其余默认 1)")
        parser.add_argument("--seed", type=int, default=2021, help="随机种子,同一种子生成相同数据")
        parser.add_argument("--if-empty", action="store_true", help="已有任何地点时什么也不做")
        parser.add_argument("--password-file", type=Path, help="把账号和密码另写入此文件(权限 0600)")
        parser.add_argument("--no-logins", action="store_true", help="不建登录账号")

    def handle(self, *args, size, towns, seed, if_empty, password_file, no_logins, **options):
        towns = towns if towns is not None else (30 if size == "city" else 1)
        started = time.monotonic()
        try:
            result = demo_town_build(
                size=size, towns=towns, seed=seed, if_empty=if_empty, logins=not no_logins
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        if result.skipped:
            self.stdout.write("数据库中已有地点,跳过演示数据 (places exist; demo skipped)")
            return
        elapsed = time.monotonic() - started
        self.stdout.write(f"演示数据已建成,用时 {elapsed:.1f} 秒 (demo built in {elapsed:.1f}s)")
        for key, value in result.counts.items():
            self.stdout.write(f"  {key:<16} {value}")
        if not result.logins:
            return
        rows = [("用户名 username", "密码 password", "角色 persona", "人员 member")]
        rows += [(lg.username, lg.password, lg.label, lg.member_name) for lg in result.logins]
        table = "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(row, (16, 18, 0, 0), strict=True)) for row in rows
        )
        self.stdout.write("\n演示账号(密码只显示这一次 / passwords are shown only once):")
        self.stdout.write(table)
        if password_file:
            password_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(table + "\n")
            self.stdout.write(f"(也已写入 {password_file},权限 0600 / also written there, mode 0600)")
