"""Real delivery channels against local fakes of the providers' HTTP APIs (pytest-httpserver on 127.0.0.1).

Each SDK's endpoint is pointed at the fake; the fake checks what the provider would: the template, its
parameters and the request signature (recomputed here from the test keys). Nothing reaches the internet.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import urllib.parse

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from werkzeug import Response

from notifications import services as notifications
from notifications.enums import DeliveryStatus, NotificationKind
from notifications.models import Delivery, Notification
from notifications.services import Draft, notifications_send

pytestmark = pytest.mark.django_db

TENCENT = "notifications.channels.tencent_sms.TencentSmsChannel"
ALIYUN = "notifications.channels.aliyun_sms.AliyunSmsChannel"
WECOM = "notifications.channels.wecom.WecomChannel"
SECRET_ID, SECRET_KEY = "AKIDtest", "tencent-test-key"
ACCESS_ID, ACCESS_SECRET = "LTAItest", "aliyun-test-secret"
NO_QUIET = {"QUIET_START": "00:00", "QUIET_END": "00:00"}
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def _sms_settings(settings, httpserver, backend, **extra):
    templates = {
        "default": {"template": "900001", "params": ["kind", "title"]},
        "task_list": {"template": "900002", "params": ["name", "title"]},
        "overdue_digest": {"template": "900003", "params": ["title", "folded"]},
    }
    if backend == ALIYUN:
        templates = {
            "default": {"template": "SMS_900001", "params": {"kind": "kind", "title": "title"}},
            "task_list": {"template": "SMS_900002", "params": {"name": "name", "title": "title"}},
            "overdue_digest": {"template": "SMS_900003", "params": {"title": "title", "more": "folded"}},
        }
    settings.LIANHU_NOTIFICATION_CHANNELS = {"sms": backend}
    settings.LIANHU_SMS = {
        **settings.LIANHU_SMS,
        **NO_QUIET,
        "SIGN_NAME": "联户平台",
        "TEMPLATES": json.dumps(templates),
        "DAILY_CAP": 5,
        "TENCENT_SECRET_ID": SECRET_ID,
        "TENCENT_SECRET_KEY": SECRET_KEY,
        "TENCENT_SDK_APP_ID": "1400000001",
        "TENCENT_ENDPOINT": f"127.0.0.1:{httpserver.port}",
        "TENCENT_PROTOCOL": "http",
        "ALIYUN_ACCESS_KEY_ID": ACCESS_ID,
        "ALIYUN_ACCESS_KEY_SECRET": ACCESS_SECRET,
        "ALIYUN_ENDPOINT": f"127.0.0.1:{httpserver.port}",
        "ALIYUN_PROTOCOL": "http",
        "TIMEOUT_SECONDS": 3,
        "RECEIPT_TOKEN": "s3cret-token",
        **extra,
    }


def _send(
    member, period="2026-11", kind=NotificationKind.TASK_LIST, title="十一月走访任务清单", urgent=False
):
    created = notifications_send(
        drafts=[
            Draft(
                recipient_id=member.pk,
                kind=kind,
                title=title,
                body="b",
                link="/dispatch/my/",
                period_key=period,
                urgent=urgent,
            )
        ]
    )
    return created[0]


def _tomorrow(hour: int, minute: int) -> datetime.datetime:
    """A moment tomorrow, local time (later than any row the test creates now)."""
    day = timezone.localdate() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


def _our_log(caplog) -> str:
    """Everything the app logged (the fake server's own access log, werkzeug's, aside)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")


def _sms(notification):
    return notification.deliveries.get(channel="sms")


# --- signatures, recomputed as the providers do --------------------------------------------------------


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_expected(request) -> str:
    """Tencent Cloud API 3.0 TC3-HMAC-SHA256 over content-type and host (what the SDK signs)."""
    timestamp = int(request.headers["X-TC-Timestamp"])
    date = datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{request.headers['Content-Type']}\nhost:{request.headers['Host']}\n",
            "content-type;host",
            hashlib.sha256(request.get_data()).hexdigest(),
        ]
    )
    scope = f"{date}/sms/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(("TC3" + SECRET_KEY).encode(), date), "sms"), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


def acs3_expected(request) -> str:
    """Alibaba Cloud ACS3-HMAC-SHA256 (V3 signature) over the signed headers the request names."""
    auth = request.headers["Authorization"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0]
    names = signed.split(";")

    def enc(text: str) -> str:
        return urllib.parse.quote(text, safe="-_.~")

    query = "&".join(
        f"{enc(k)}={enc(v)}" for k, v in sorted((k, v) for k, values in request.args.lists() for v in values)
    )
    headers = "".join(f"{name}:{request.headers[name].strip()}\n" for name in names)
    canonical = "\n".join(["POST", "/", query, headers, signed, request.headers["x-acs-content-sha256"]])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    signature = hmac.new(ACCESS_SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"ACS3-HMAC-SHA256 Credential={ACCESS_ID},SignedHeaders={signed},Signature={signature}"


def tencent_ok(serial="2640:1234567890"):
    return {
        "Response": {
            "SendStatusSet": [
                {"SerialNo": serial, "PhoneNumber": "+86", "Fee": 1, "Code": "Ok", "Message": "send success"}
            ],
            "RequestId": "req-1",
        }
    }


def tencent_status(code):
    return {"Response": {"SendStatusSet": [{"SerialNo": "", "Code": code, "Message": "x"}], "RequestId": "r"}}


def tencent_error(code):
    return {"Response": {"Error": {"Code": code, "Message": "x"}, "RequestId": "req-err"}}


# --- Tencent Cloud SMS ---------------------------------------------------------------------------------


def test_tencent_sends_the_kinds_template_with_its_parameters_signed(town, settings, httpserver, caplog):
    _sms_settings(settings, httpserver, TENCENT)
    httpserver.expect_request("/", method="POST").respond_with_json(tencent_ok())
    member = town.members["member_a"]
    delivery = _sms(_send(member))
    with caplog.at_level(logging.INFO):
        assert notifications.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SENT
    request = httpserver.log[0][0]
    body = json.loads(request.get_data())
    assert body == {
        "PhoneNumberSet": [f"+86{member.phone}"],
        "SmsSdkAppId": "1400000001",
        "SignName": "联户平台",
        "TemplateId": "900002",
        "TemplateParamSet": ["member_a", "十一月走访任务清单"],
        "SessionContext": f"delivery-{delivery.pk}",
    }
    assert request.headers["X-TC-Action"] == "SendSms"
    assert request.headers["X-TC-Version"] == "2021-01-11"
    assert request.headers["Authorization"] == tc3_expected(request)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider_ref, delivery.attempts) == ("sent", "2640:1234567890", 1)
    assert member.phone not in _our_log(caplog)
    assert member.phone_masked in _our_log(caplog)


def test_tencent_signature_check_would_catch_a_wrong_key(town, settings, httpserver):
    """The fake's check is real: a request signed with another key does not match."""
    _sms_settings(settings, httpserver, TENCENT, TENCENT_SECRET_KEY="another-key")
    httpserver.expect_request("/", method="POST").respond_with_json(tencent_ok())
    delivery = _sms(_send(town.members["member_a"]))
    notifications.delivery_attempt(delivery_id=delivery.pk)
    request = httpserver.log[0][0]
    assert request.headers["Authorization"] != tc3_expected(request)


def test_tencent_titles_are_cut_to_the_parameter_limit_and_unknown_kinds_use_the_default(
    town, settings, httpserver
):
    from django.utils import translation

    _sms_settings(settings, httpserver, TENCENT, PARAM_MAX_LENGTH=6)
    httpserver.expect_request("/", method="POST").respond_with_json(tencent_ok())
    translation.activate("en")  # a worker's language does not change the approved (Chinese) template's text
    try:
        kind_label_in_english = str(NotificationKind.REVIEW.label)
    finally:
        translation.deactivate()
    assert kind_label_in_english != "季讲评/年总评"
    delivery = _sms(
        _send(town.members["member_a"], kind=NotificationKind.REVIEW, title="季度讲评结果已经公布请查看")
    )
    with translation.override("en"):
        assert notifications.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SENT
    body = json.loads(httpserver.log[0][0].get_data())
    assert body["TemplateId"] == "900001"
    assert body["TemplateParamSet"] == ["季讲评/年…", "季度讲评结…"]


@pytest.mark.parametrize(
    "answer",
    [
        tencent_status("InvalidParameterValue.IncorrectPhoneNumber"),
        tencent_status("FailedOperation.TemplateIncorrectOrUnapproved"),
        tencent_error("FailedOperation.SignatureIncorrectOrUnapproved"),
        tencent_error("AuthFailure.SignatureFailure"),
    ],
)
def test_tencent_permanent_errors_fail_at_once(town, settings, httpserver, answer):
    _sms_settings(settings, httpserver, TENCENT)
    httpserver.expect_request("/", method="POST").respond_with_json(answer)
    delivery = _sms(_send(town.members["member_a"]))
    assert notifications.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    code = (answer["Response"].get("Error") or answer["Response"]["SendStatusSet"][0])["Code"]
    assert delivery.status == "failed" and delivery.attempts == 1
    assert code in delivery.last_error


@pytest.mark.parametrize(
    "answer",
    [
        tencent_status("LimitExceeded.PhoneNumberThirtySecondLimit"),
        tencent_error("RequestLimitExceeded"),
        tencent_error("InternalError.Timeout"),
        Response("bad gateway", status=502),
    ],
)
def test_tencent_throttling_and_server_errors_are_retried_with_backoff(town, settings, httpserver, answer):
    _sms_settings(settings, httpserver, TENCENT)
    if isinstance(answer, Response):
        httpserver.expect_request("/", method="POST").respond_with_response(answer)
    else:
        httpserver.expect_request("/", method="POST").respond_with_json(answer)
    delivery = _sms(_send(town.members["member_a"]))
    now = timezone.now()
    assert notifications.delivery_attempt(delivery_id=delivery.pk, now=now) == DeliveryStatus.QUEUED
    delivery.refresh_from_db()
    assert delivery.status == "queued" and delivery.attempts == 1
    assert delivery.next_attempt_at == now + datetime.timedelta(minutes=1)
    assert delivery.last_error.startswith("tencent ")


def test_unreachable_provider_is_retried(town, settings, httpserver):
    _sms_settings(settings, httpserver, TENCENT, TENCENT_ENDPOINT="127.0.0.1:9", TIMEOUT_SECONDS=2)
    delivery = _sms(_send(town.members["member_a"]))
    assert notifications.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.QUEUED
    delivery.refresh_from_db()
    assert "ClientNetworkError" in delivery.last_error


def test_a_kind_without_template_fails_permanently_without_calling(town, settings, httpserver):
    _sms_settings(
        settings, httpserver, TENCENT, TEMPLATES=json.dumps({"task_list": {"template": "1", "params": []}})
    )
    delivery = _sms(_send(town.members["member_a"], kind=NotificationKind.REVIEW))
    assert notifications.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.last_error == "no SMS template for review"
    assert httpserver.log == []


# --- Alibaba Cloud SMS ---------------------------------------------------------------------------------


def test_aliyun_sends_the_kinds_template_with_named_parameters_signed(town, settings, httpserver, caplog):
    _sms_settings(settings, httpserver, ALIYUN)
    httpserver.expect_request("/", method="POST").respond_with_json(
        {"Code": "OK", "Message": "OK", "BizId": "9006197469364984^0", "RequestId": "r"}
    )
    member = town.members["member_a"]
    delivery = _sms(_send(member))
    with caplog.at_level(logging.INFO):
        assert notifications.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SENT
    request = httpserver.log[0][0]
    assert request.headers["x-acs-action"] == "SendSms"
    assert request.headers["x-acs-version"] == "2017-05-25"
    assert request.args["PhoneNumbers"] == member.phone
    assert request.args["SignName"] == "联户平台"
    assert request.args["TemplateCode"] == "SMS_900002"
    assert json.loads(request.args["TemplateParam"]) == {"name": "member_a", "title": "十一月走访任务清单"}
    assert request.args["OutId"] == f"delivery-{delivery.pk}"
    assert request.headers["Authorization"] == acs3_expected(request)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider_ref) == ("sent", "9006197469364984^0")
    assert member.phone not in _our_log(caplog)
    assert member.phone_masked in _our_log(caplog)


@pytest.mark.parametrize(
    "code", ["isv.MOBILE_NUMBER_ILLEGAL", "isv.SMS_TEMPLATE_ILLEGAL", "isv.SMS_SIGNATURE_ILLEGAL"]
)
def test_aliyun_permanent_errors_fail_at_once(town, settings, httpserver, code):
    _sms_settings(settings, httpserver, ALIYUN)
    httpserver.expect_request("/", method="POST").respond_with_json(
        {"Code": code, "Message": "x", "RequestId": "r"}
    )
    delivery = _sms(_send(town.members["member_a"]))
    assert notifications.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.last_error == f"aliyun {code}"


@pytest.mark.parametrize(
    "status,body",
    [
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控", "RequestId": "r"}),
        (200, {"Code": "isp.SYSTEM_ERROR", "Message": "x", "RequestId": "r"}),
        (503, {"Code": "ServiceUnavailable", "Message": "x", "RequestId": "r"}),
        (400, {"Code": "Throttling.User", "Message": "x", "RequestId": "r"}),
    ],
)
def test_aliyun_throttling_and_server_errors_are_retried(town, settings, httpserver, status, body):
    _sms_settings(settings, httpserver, ALIYUN)
    httpserver.expect_request("/", method="POST").respond_with_json(body, status=status)
    delivery = _sms(_send(town.members["member_a"]))
    assert notifications.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.QUEUED
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and body["Code"] in delivery.last_error


def test_aliyun_bad_keys_are_permanent(town, settings, httpserver):
    _sms_settings(settings, httpserver, ALIYUN)
    httpserver.expect_request("/", method="POST").respond_with_json(
        {"Code": "InvalidAccessKeyId.NotFound", "Message": "x", "RequestId": "r"}, status=404
    )
    delivery = _sms(_send(town.members["member_a"]))
    assert notifications.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.FAILED


# --- WeCom ---------------------------------------------------------------------------------------------


@pytest.fixture
def wecom(settings, httpserver, town):
    cache.clear()
    settings.LIANHU_NOTIFICATION_CHANNELS = {"wecom": WECOM}
    settings.LIANHU_WECOM = {
        "CORP_ID": "ww-corp",
        "AGENT_ID": "1000002",
        "SECRET": "app-secret",
        "API_BASE": httpserver.url_for("/").rstrip("/"),
        "TIMEOUT_SECONDS": 3,
    }
    settings.LIANHU_SITE_URL = "https://lianhu.example.gov.cn"
    member = town.members["member_a"]
    member.wecom_userid = "ZhangSan"
    member.save()
    yield member
    cache.clear()


def _wecom(notification):
    return notification.deliveries.get(channel="wecom")


def _calls(httpserver, path):
    return [r for r, _ in httpserver.log if r.path == path]


def test_wecom_sends_a_text_card_and_caches_the_token(wecom, httpserver):
    httpserver.expect_request(
        "/cgi-bin/gettoken", query_string={"corpid": "ww-corp", "corpsecret": "app-secret"}
    ).respond_with_json({"errcode": 0, "errmsg": "ok", "access_token": "TOKEN-1", "expires_in": 7200})
    httpserver.expect_request(
        "/cgi-bin/message/send", method="POST", query_string={"access_token": "TOKEN-1"}
    ).respond_with_json({"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "msg-1"})
    first = _wecom(_send(wecom, period="2026-10"))
    second = _wecom(_send(wecom, period="2026-11"))
    assert notifications.delivery_attempt(delivery_id=first.pk) == DeliveryStatus.SENT
    assert notifications.delivery_attempt(delivery_id=second.pk) == DeliveryStatus.SENT
    assert len(_calls(httpserver, "/cgi-bin/gettoken")) == 1  # the second send used the cached token
    sent = json.loads(_calls(httpserver, "/cgi-bin/message/send")[0].get_data())
    assert sent == {
        "touser": "ZhangSan",
        "msgtype": "textcard",
        "agentid": 1000002,
        "textcard": {
            "title": "十一月走访任务清单",
            "description": "b",
            "url": "https://lianhu.example.gov.cn/dispatch/my/",
            "btntxt": "详情",
        },
    }
    first.refresh_from_db()
    assert first.provider_ref == "msg-1"


def test_wecom_expired_token_is_refreshed_once(wecom, httpserver):
    cache.set("lianhu:wecom:token:ww-corp:1000002", "OLD", 3600)
    httpserver.expect_request(
        "/cgi-bin/message/send", query_string={"access_token": "OLD"}
    ).respond_with_json({"errcode": 42001, "errmsg": "access_token expired"})
    httpserver.expect_request("/cgi-bin/gettoken").respond_with_json(
        {"errcode": 0, "access_token": "NEW", "expires_in": 7200}
    )
    httpserver.expect_request(
        "/cgi-bin/message/send", query_string={"access_token": "NEW"}
    ).respond_with_json({"errcode": 0, "errmsg": "ok", "msgid": "m2"})
    delivery = _wecom(_send(wecom))
    assert notifications.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SENT
    assert len(_calls(httpserver, "/cgi-bin/gettoken")) == 1
    assert [r.args["access_token"] for r in _calls(httpserver, "/cgi-bin/message/send")] == ["OLD", "NEW"]
    assert cache.get("lianhu:wecom:token:ww-corp:1000002") == "NEW"


def test_wecom_token_still_refused_after_one_refresh_stops_there(wecom, httpserver):
    cache.set("lianhu:wecom:token:ww-corp:1000002", "OLD", 3600)
    httpserver.expect_request("/cgi-bin/message/send").respond_with_json(
        {"errcode": 40014, "errmsg": "invalid"}
    )
    httpserver.expect_request("/cgi-bin/gettoken").respond_with_json(
        {"errcode": 0, "access_token": "NEW", "expires_in": 7200}
    )
    delivery = _wecom(_send(wecom))
    notifications.delivery_attempt(delivery_id=delivery.pk)
    assert len(_calls(httpserver, "/cgi-bin/gettoken")) == 1
    assert len(_calls(httpserver, "/cgi-bin/message/send")) == 2


@pytest.mark.parametrize(
    "answer,status",
    [
        ({"errcode": 81013, "errmsg": "user & party & tag all invalid"}, "failed"),
        ({"errcode": 0, "errmsg": "ok", "invaliduser": "ZhangSan"}, "failed"),
        ({"errcode": -1, "errmsg": "system busy"}, "queued"),
        ({"errcode": 45009, "errmsg": "api freq out of limit"}, "queued"),
    ],
)
def test_wecom_errors(wecom, httpserver, answer, status):
    cache.set("lianhu:wecom:token:ww-corp:1000002", "T", 3600)
    httpserver.expect_request("/cgi-bin/message/send").respond_with_json(answer)
    delivery = _wecom(_send(wecom))
    assert notifications.delivery_attempt(delivery_id=delivery.pk) == status


def test_wecom_only_reaches_members_with_a_user_id(wecom, town):
    notification = _send(town.members["member_b"])
    assert not notification.deliveries.filter(channel="wecom").exists()


# --- quiet hours, daily cap, digests -------------------------------------------------------------------


def test_sms_in_quiet_hours_waits_for_the_morning(town, settings, httpserver):
    _sms_settings(settings, httpserver, TENCENT, QUIET_START="21:30", QUIET_END="07:30")
    httpserver.expect_request("/", method="POST").respond_with_json(tencent_ok())
    delivery = _sms(_send(town.members["member_a"]))
    night = _tomorrow(22, 15)
    assert notifications.delivery_attempt(delivery_id=delivery.pk, now=night) == DeliveryStatus.QUEUED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("queued", 0)  # held, not a failed attempt
    assert delivery.next_attempt_at == _tomorrow(7, 30) + datetime.timedelta(days=1)
    assert httpserver.log == []
    early = _tomorrow(6, 0) + datetime.timedelta(days=1)
    assert notifications.delivery_attempt(delivery_id=delivery.pk, now=early) is None  # not due yet
    morning = _tomorrow(7, 31) + datetime.timedelta(days=1)
    assert notifications.delivery_attempt(delivery_id=delivery.pk, now=morning) == DeliveryStatus.SENT
    assert len(httpserver.log) == 1


def test_quiet_hours_after_midnight_end_the_same_morning(settings):
    from notifications.channels.rules import quiet_until

    settings.LIANHU_SMS = {**settings.LIANHU_SMS, "QUIET_START": "21:30", "QUIET_END": "07:30"}
    assert quiet_until(datetime.datetime(2026, 12, 1, 3, 0, tzinfo=SHANGHAI)) == datetime.datetime(
        2026, 12, 1, 7, 30, tzinfo=SHANGHAI
    )
    assert quiet_until(datetime.datetime(2026, 12, 1, 21, 29, tzinfo=SHANGHAI)) is None
    assert quiet_until(datetime.datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI)) is None


def test_emergency_whistle_sms_goes_out_in_quiet_hours(town, settings, httpserver):
    _sms_settings(settings, httpserver, TENCENT, QUIET_START="21:30", QUIET_END="07:30")
    httpserver.expect_request("/", method="POST").respond_with_json(tencent_ok())
    delivery = _sms(_send(town.members["member_a"], kind=NotificationKind.GENERAL, urgent=True))
    night = _tomorrow(23, 0)
    assert notifications.delivery_attempt(delivery_id=delivery.pk, now=night) == DeliveryStatus.SENT


def test_emergency_whistles_are_marked_urgent(town, settings):
    from issues.enums import WhistleKind
    from issues.models import IssueCategory
    from issues.notify import notify_whistled
    from issues.services import issue_raise

    settings.LIANHU_NOTIFICATION_CHANNELS = {}
    handler = town.members["handler"]
    category = IssueCategory.objects.get(name="基础设施")
    for kind, urgent in ((WhistleKind.EMERGENCY, True), (WhistleKind.ROUTINE, False)):
        issue = issue_raise(
            user=town.user("member_a"), category=category, household=town.ha1, description="村道塌方"
        )
        issue.whistle_kind = kind
        notify_whistled(issue, [town.department.pk])
        assert Notification.objects.get(recipient=handler, title__contains=f"#{issue.pk}").urgent is urgent


def test_log_sms_channel_is_not_held_at_night(town):
    """No provider configured: SMS only writes a log line, as before, at any hour."""
    delivery = _sms(_send(town.members["member_a"]))
    night = _tomorrow(23, 0)
    assert notifications.delivery_attempt(delivery_id=delivery.pk, now=night) == DeliveryStatus.SENT


def test_daily_cap_folds_the_excess_into_the_next_digest(town, settings, httpserver):
    _sms_settings(settings, httpserver, TENCENT, DAILY_CAP=2)
    httpserver.expect_request("/", method="POST").respond_with_json(tencent_ok())
    member = town.members["member_a"]
    deliveries = [_sms(_send(member, period=f"2026-{m}")) for m in ("09", "10", "11")]
    statuses = [notifications.delivery_attempt(delivery_id=d.pk) for d in deliveries]
    assert statuses == ["sent", "sent", "folded"]
    assert len(httpserver.log) == 2
    folded = Delivery.objects.get(pk=deliveries[2].pk)
    assert (folded.status, folded.attempts, folded.folded_into_id) == ("folded", 0, None)
    # An urgent message still goes out over the cap.
    urgent = _sms(_send(member, period="u1", kind=NotificationKind.GENERAL, urgent=True))
    assert notifications.delivery_attempt(delivery_id=urgent.pk) == "sent"
    # The weekly digest is sent over the cap and counts the folded message.
    digest = _sms(_send(member, period="2026-W49", kind=NotificationKind.OVERDUE_DIGEST, title="逾期3户"))
    assert notifications.delivery_attempt(delivery_id=digest.pk) == "sent"
    assert json.loads(httpserver.log[-1][0].get_data())["TemplateParamSet"] == ["逾期3户", "1"]
    folded.refresh_from_db()
    assert folded.folded_into_id == digest.pk
    # The next digest does not count it again.
    again = _sms(_send(member, period="2026-W50", kind=NotificationKind.OVERDUE_DIGEST, title="逾期1户"))
    notifications.delivery_attempt(delivery_id=again.pk)
    assert json.loads(httpserver.log[-1][0].get_data())["TemplateParamSet"] == ["逾期1户", "0"]


def test_cap_counts_only_today(town, settings, httpserver):
    _sms_settings(settings, httpserver, TENCENT, DAILY_CAP=1)
    httpserver.expect_request("/", method="POST").respond_with_json(tencent_ok())
    member = town.members["member_a"]
    old = _sms(_send(member, period="old"))
    Delivery.objects.filter(pk=old.pk).update(
        status="sent", sent_at=timezone.now() - datetime.timedelta(days=1)
    )
    delivery = _sms(_send(member))
    assert notifications.delivery_attempt(delivery_id=delivery.pk) == "sent"


# --- receipts ------------------------------------------------------------------------------------------


def _sent_sms(town, settings, httpserver, backend, ref):
    _sms_settings(settings, httpserver, backend)
    member = town.members["member_a"]
    delivery = _sms(_send(member))
    Delivery.objects.filter(pk=delivery.pk).update(status="sent", sent_at=timezone.now(), provider_ref=ref)
    return member, delivery


def test_tencent_receipt_marks_the_delivery_delivered(town, settings, httpserver, client):
    member, delivery = _sent_sms(town, settings, httpserver, TENCENT, "2640:55")
    url = reverse("notifications:receipt-tencent", args=["s3cret-token"])
    report = [
        {
            "user_receive_time": "2026-12-01 08:03:04",
            "nationcode": "86",
            "mobile": member.phone,
            "report_status": "SUCCESS",
            "errmsg": "DELIVRD",
            "description": "用户短信送达成功",
            "sid": "2640:55",
        },
        {"sid": "unknown", "mobile": member.phone, "report_status": "SUCCESS"},
    ]
    response = client.post(url, json.dumps(report), content_type="application/json")
    assert response.status_code == 200 and response.json() == {"result": 0, "errmsg": "OK"}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.receipt_code) == ("delivered", "DELIVRD")
    assert delivery.delivered_at == datetime.datetime(2026, 12, 1, 8, 3, 4, tzinfo=SHANGHAI)


def test_tencent_receipt_failure_marks_it_failed_with_the_reason(town, settings, httpserver, client):
    member, delivery = _sent_sms(town, settings, httpserver, TENCENT, "2640:56")
    report = [{"sid": "2640:56", "mobile": member.phone, "report_status": "FAIL", "errmsg": "MK:0001",
               "description": "空号", "user_receive_time": "2026-12-01 08:03:04"}]  # fmt: skip
    url = reverse("notifications:receipt-tencent", args=["s3cret-token"])
    assert client.post(url, json.dumps(report), content_type="application/json").status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.last_error == "receipt: MK:0001 空号"


def test_receipts_need_the_token_and_the_right_number(town, settings, httpserver, client):
    member, delivery = _sent_sms(town, settings, httpserver, TENCENT, "2640:57")
    report = json.dumps([{"sid": "2640:57", "mobile": member.phone, "report_status": "SUCCESS"}])
    wrong = reverse("notifications:receipt-tencent", args=["guess"])
    assert client.post(wrong, report, content_type="application/json").status_code == 404
    url = reverse("notifications:receipt-tencent", args=["s3cret-token"])
    forged = json.dumps([{"sid": "2640:57", "mobile": "13900000000", "report_status": "FAIL"}])
    assert client.post(url, forged, content_type="application/json").status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == "sent"  # another number: ignored
    assert client.post(url, "not json", content_type="application/json").status_code == 400
    assert client.get(url).status_code == 405
    settings.LIANHU_SMS = {**settings.LIANHU_SMS, "RECEIPT_TOKEN": ""}
    assert (
        client.post(
            reverse("notifications:receipt-tencent", args=["x"]), report, content_type="application/json"
        ).status_code
        == 404
    )


def test_aliyun_receipt_marks_the_delivery_delivered(town, settings, httpserver, client):
    member, delivery = _sent_sms(town, settings, httpserver, ALIYUN, "9006197469364984^0")
    report = [
        {
            "phone_number": member.phone,
            "send_time": "2026-12-01 08:00:00",
            "report_time": "2026-12-01 08:00:05",
            "success": True,
            "err_code": "DELIVERED",
            "err_msg": "用户接收成功",
            "sms_size": "1",
            "biz_id": "9006197469364984^0",
            "out_id": f"delivery-{delivery.pk}",
        }
    ]
    url = reverse("notifications:receipt-aliyun", args=["s3cret-token"])
    response = client.post(url, json.dumps(report), content_type="application/json")
    assert response.status_code == 200 and response.json()["code"] == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.receipt_code) == ("delivered", "DELIVERED")


def test_receipts_are_applied_in_two_queries(town, settings, httpserver, django_assert_num_queries):
    from notifications.channels.receipts import receipts_apply

    member, delivery = _sent_sms(town, settings, httpserver, TENCENT, "r-1")
    items = [{"ref": f"r-{i}", "phone": member.phone, "ok": True, "code": "DELIVRD", "when": timezone.now()}
             for i in range(1, 50)]  # fmt: skip
    with django_assert_num_queries(2):
        assert receipts_apply(items=items) == 1


def test_check_warns_about_a_provider_without_keys_or_templates(settings):
    from notifications.channels.checks import channels_configured

    settings.LIANHU_NOTIFICATION_CHANNELS = {"sms": TENCENT, "wecom": WECOM}
    settings.LIANHU_SMS = {**settings.LIANHU_SMS, "TENCENT_SECRET_ID": "", "TEMPLATES": "{not json"}
    settings.LIANHU_WECOM = {**settings.LIANHU_WECOM, "SECRET": ""}
    ids = sorted(w.id for w in channels_configured(None))
    assert ids == ["lianhu.W101", "lianhu.W102", "lianhu.W103"]
    settings.LIANHU_NOTIFICATION_CHANNELS = {"sms": "notifications.services.LogSmsChannel"}
    assert channels_configured(None) == []  # nothing configured: nothing to say


def test_landlines_get_no_sms_delivery_from_a_provider(town, settings, httpserver):
    _sms_settings(settings, httpserver, TENCENT)
    member = town.members["member_a"]
    member.phone = "0731-87654321"
    member.save()
    assert not _send(member).deliveries.exists()


def test_a_digest_template_without_the_folded_field_leaves_folded_rows_waiting(town, settings, httpserver):
    templates = {"default": {"template": "1", "params": ["title"]}}
    _sms_settings(settings, httpserver, TENCENT, DAILY_CAP=1, TEMPLATES=json.dumps(templates))
    httpserver.expect_request("/", method="POST").respond_with_json(tencent_ok())
    member = town.members["member_a"]
    first, second = (_sms(_send(member, period=p)) for p in ("a", "b"))
    assert [notifications.delivery_attempt(delivery_id=d.pk) for d in (first, second)] == ["sent", "folded"]
    digest = _sms(_send(member, period="w", kind=NotificationKind.GRID_DIGEST))
    assert notifications.delivery_attempt(delivery_id=digest.pk) == "sent"
    second.refresh_from_db()
    assert second.folded_into_id is None
