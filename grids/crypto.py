"""Resident ID numbers at rest: encrypted with a key from the environment, with a keyed hash beside them.

PIPL art. 28 counts ID numbers as sensitive personal information, so a database dump or a backup alone must
not reveal them. `Household.id_number` is stored as a Fernet token (AES-128-CBC + HMAC-SHA256, from
`cryptography`) made with `LIANHU_ID_KEY`; `Household.id_number_hash` holds HMAC-SHA256 of the normalised
number under a second key derived from the same secret (HKDF), so uniqueness and look-ups (the census matches
households by ID number) work without decrypting anything.

Key: `LIANHU_ID_KEY`, a Fernet key (`python -c "from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())"`). Production settings refuse to start without it; development and
tests (`LIANHU_ID_KEY_DEV_FALLBACK`) derive a fixed key from SECRET_KEY. `manage.py rotate_id_key` re-encrypts
every row with a new key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .validators import normalize_id_number

FERNET_PREFIX = "gAAAAA"  # every Fernet token (version byte 0x80, then a timestamp) starts so in base64
_HASH_INFO = b"lianhu id_number hash v1"


class IdKeyError(RuntimeError):
    """A stored ID number cannot be decrypted with the configured key (wrong or rotated LIANHU_ID_KEY)."""


@dataclass(frozen=True)
class IdCipher:
    """One key: encrypts and decrypts ID numbers and computes their keyed hash."""

    fernet: Fernet
    hash_key: bytes

    def encrypt(self, number: str) -> str:
        return self.fernet.encrypt(number.encode()).decode("ascii") if number else ""

    def decrypt(self, token: str) -> str:
        if not token:
            return ""
        try:
            return self.fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise IdKeyError(
                "a stored ID number cannot be decrypted with LIANHU_ID_KEY (wrong key, or rows not rotated)"
            ) from exc

    def hash(self, number: str) -> str:
        number = normalize_id_number(number)
        if not number:
            return ""
        return hmac.new(self.hash_key, number.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def cipher_for(key: str) -> IdCipher:
    """The cipher of one key. Raises ImproperlyConfigured if the key is not a Fernet key."""
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
        fernet = Fernet(key.encode("ascii"))
    except (ValueError, UnicodeError) as exc:
        raise ImproperlyConfigured(
            "LIANHU_ID_KEY must be a Fernet key (32 url-safe base64-encoded bytes): "
            'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        ) from exc
    hash_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HASH_INFO).derive(raw)
    return IdCipher(fernet=fernet, hash_key=hash_key)


def dev_key(secret_key: str) -> str:
    """A fixed key derived from SECRET_KEY: development and tests only."""
    digest = hashlib.sha256(b"lianhu development id key:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def configured_key() -> str:
    key = getattr(settings, "LIANHU_ID_KEY", "")
    if key:
        return key
    if getattr(settings, "LIANHU_ID_KEY_DEV_FALLBACK", False) or settings.DEBUG:
        return dev_key(settings.SECRET_KEY)
    raise ImproperlyConfigured(
        "LIANHU_ID_KEY is not set: resident ID numbers are encrypted with it (see the README, production)"
    )


def cipher() -> IdCipher:
    """The cipher of the configured key."""
    return cipher_for(configured_key())


def id_number_hash(number: str) -> str:
    """The keyed hash under which a (normalised) ID number is stored and looked up; "" for no number."""
    return cipher().hash(number)


def is_token(value: str) -> bool:
    return bool(value) and value.startswith(FERNET_PREFIX) and len(value) > 18
