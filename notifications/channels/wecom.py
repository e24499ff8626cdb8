"""WeCom (企业微信 / 政务微信) application messages: a text card with the link into Lianhu.

Settings (settings.LIANHU_WECOM): CORP_ID, AGENT_ID, SECRET (the app's secret), API_BASE (the county's
政务微信 has its own host). The access token (gettoken) is kept in Django's cache, which is Redis in
production and so shared by every worker; it is refreshed a few minutes before `expires_in` runs out, and
once at once when the API answers 42001 (access_token expired) or 40014 (invalid access_token).

Errors (global return codes, https://developer.work.weixin.qq.com/document/path/90455): -1 (system busy),
45009 (API frequency limit), 45033 (concurrency limit), 6000 (data conflict) and network / HTTP errors are
retried; others are permanent: 40003 / 81013 / a non-empty `invaliduser` (the user id is unknown or outside
the app's visible range), 40056 (bad agent id), 40001 / 40013 (bad secret / corp id), 60020 (server IP not
in the app's trusted list).
WeCom gives no per-message delivery receipt for app messages: the row stays `sent` (see docs/channels.md).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from members.models import Member

from ..enums import Channel
from ..models import Notification
from ..services import ChannelBackend, ChannelError, absolute_link

logger = logging.getLogger("notifications.channels")

TOKEN_EXPIRED = frozenset({42001, 40014})
RETRYABLE = frozenset({-1, 45009, 45033, 6000})
# Refresh this long before WeCom's expiry (7200 s), so no worker sends with a token about to lapse.
REFRESH_MARGIN_SECONDS = 300


def _conf() -> dict:
    conf = settings.LIANHU_WECOM
    if not (conf.get("CORP_ID") and conf.get("AGENT_ID") and conf.get("SECRET")):
        raise ChannelError("WeCom is not configured", permanent=True)
    return conf


def _cache_key(conf: dict) -> str:
    return f"lianhu:wecom:token:{conf['CORP_ID']}:{conf['AGENT_ID']}"


def _call(url: str, payload: dict | None = None) -> dict:
    conf = settings.LIANHU_WECOM
    data = None
    headers = {}
    if payload is not None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json; charset=utf-8"
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=conf.get("TIMEOUT_SECONDS", 10)) as response:
            return json.loads(response.read().decode() or "{}")
    except urllib.error.HTTPError as exc:
        raise ChannelError(
            f"wecom HTTP {exc.code}", permanent=400 <= exc.code < 500 and exc.code != 429
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ChannelError(f"wecom network error: {exc.__class__.__name__}") from None
    except ValueError:
        raise ChannelError("wecom: answer is not JSON") from None


def access_token(*, refresh: bool = False) -> str:
    """The app's access token from the shared cache, fetched (gettoken) when missing or when `refresh`."""
    conf = _conf()
    key = _cache_key(conf)
    if not refresh:
        token = cache.get(key)
        if token:
            return token
    query = urllib.parse.urlencode({"corpid": conf["CORP_ID"], "corpsecret": conf["SECRET"]})
    answer = _call(f"{conf['API_BASE'].rstrip('/')}/cgi-bin/gettoken?{query}")
    code = int(answer.get("errcode", 0) or 0)
    if code != 0 or not answer.get("access_token"):
        raise ChannelError(f"wecom gettoken errcode {code}", permanent=code not in RETRYABLE)
    ttl = max(int(answer.get("expires_in", 7200)) - REFRESH_MARGIN_SECONDS, 60)
    cache.set(key, answer["access_token"], ttl)
    return answer["access_token"]


def textcard(*, member: Member, notification: Notification) -> dict:
    conf = _conf()
    with translation.override(settings.LANGUAGE_CODE):  # the card is Chinese, like the inbox row
        description = notification.body.strip() or str(notification.get_kind_display())
    return {
        "touser": member.wecom_userid,
        "msgtype": "textcard",
        "agentid": int(conf["AGENT_ID"]),
        "textcard": {
            # WeCom's limits: title 128 bytes, description 512 bytes (cut in characters, 3 bytes each).
            "title": notification.title[:42],
            "description": description[:170],
            "url": absolute_link(notification.link) or settings.LIANHU_SITE_URL,
            "btntxt": "详情",
        },
    }


class WecomChannel(ChannelBackend):
    channel = Channel.WECOM

    def address_for(self, member: Member) -> str:
        return member.wecom_userid

    def send(self, *, member: Member, notification: Notification) -> str:
        if not member.wecom_userid:
            raise ChannelError("no WeCom user id", permanent=True)
        conf = _conf()
        payload = textcard(member=member, notification=notification)
        base = conf["API_BASE"].rstrip("/")
        token = access_token()
        answer = _call(f"{base}/cgi-bin/message/send?access_token={token}", payload)
        code = int(answer.get("errcode", 0) or 0)
        if code in TOKEN_EXPIRED:  # expired or revoked early: fetch a new one and try once more
            token = access_token(refresh=True)
            answer = _call(f"{base}/cgi-bin/message/send?access_token={token}", payload)
            code = int(answer.get("errcode", 0) or 0)
        if code != 0:
            raise ChannelError(f"wecom errcode {code}", permanent=code not in RETRYABLE)
        if answer.get("invaliduser"):
            raise ChannelError(
                "wecom: user id unknown or outside the app's range (invaliduser)", permanent=True
            )
        msgid = str(answer.get("msgid") or "")
        logger.info("wecom to member %s: %s (%s)", member.pk, notification.kind, msgid)
        return msgid
