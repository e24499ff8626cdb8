"""The demo app (demo town, demo commands) is installed in local and test settings, never in production."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent.parent


def _installed(settings_module: str, env: dict | None = None) -> list[str]:
    code = f"import {settings_module} as s; print(','.join(s.INSTALLED_APPS))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().split(",")


def test_demo_is_installed_in_local_and_test_settings_only():
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "DATABASE_URL", "REDIS_URL")},
        "DJANGO_SECRET_KEY": "production-like-" + "k" * 50,
        "LIANHU_ID_KEY": Fernet.generate_key().decode(),
    }
    production = _installed("config.settings.production", env)
    assert "reports" in production and "demo" not in production
    assert "demo" in _installed("config.settings.local", env)
    assert "demo" in _installed("config.settings.test", env)
