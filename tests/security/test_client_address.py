"""One rule for the client's address: the login throttling (config.lockout.client_ip, django-axes) and the
access log (members.privacy.client_ip) answer the same, from LIANHU_TRUSTED_PROXIES; the older
LIANHU_PROXY_COUNT is honoured only while the list is empty."""

from django.test import RequestFactory, override_settings

from config.lockout import client_ip as lockout_ip
from members.privacy import client_ip as log_ip

FORWARDED = "6.6.6.6, 198.51.100.4, 10.1.1.1"


def _request():
    return RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=FORWARDED)


def test_both_callers_take_the_address_by_the_trusted_proxies():
    with override_settings(LIANHU_TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/8"], LIANHU_PROXY_COUNT=0):
        assert lockout_ip(_request()) == log_ip(_request()) == "198.51.100.4"
    with override_settings(LIANHU_TRUSTED_PROXIES=[], LIANHU_PROXY_COUNT=0):
        assert lockout_ip(_request()) == log_ip(_request()) == "127.0.0.1"


def test_the_old_proxy_count_is_still_read_when_the_list_is_empty():
    with override_settings(LIANHU_TRUSTED_PROXIES=[], LIANHU_PROXY_COUNT=2):
        assert lockout_ip(_request()) == log_ip(_request()) == "198.51.100.4"
    with override_settings(LIANHU_TRUSTED_PROXIES=["127.0.0.1"], LIANHU_PROXY_COUNT=2):
        # the list wins: 10.1.1.1 is not a trusted proxy, so it is the client
        assert lockout_ip(_request()) == log_ip(_request()) == "10.1.1.1"
