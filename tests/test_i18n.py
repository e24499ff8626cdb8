"""English as the second UI language (locale/en).

Chinese (zh-hans) is the source language; English comes from locale/en/LC_MESSAGES/django.po, compiled
into django.mo which is committed (a fresh machine has no gettext tools).
"""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
CJK = re.compile(r"[\u4e00-\u9fff]+")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}|<[^>]+>")


# --- a tiny .po reader (no dependencies) --------------------------------------------------------------


def _unquote(s: str) -> str:
    return ast.literal_eval(s)


def parse_po(path: Path) -> list[dict]:
    """Entries as dicts: msgid, msgid_plural, msgstr (list, one per plural form), flags, obsolete."""
    entries: list[dict] = []
    entry: dict | None = None
    field = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            entry, field = None, None
            continue
        if entry is None:
            entry = {"msgid": "", "msgid_plural": None, "msgstr": [], "flags": set(), "obsolete": False}
            entries.append(entry)
        if line.startswith("#~"):
            entry["obsolete"] = True
            continue
        if line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if field == "msgstr":
                entry["msgstr"][-1] += _unquote(line)
            else:
                entry[field] += _unquote(line)
            continue
        key, _, value = line.partition(" ")
        if key == "msgid":
            field, entry["msgid"] = "msgid", _unquote(value)
        elif key == "msgid_plural":
            field, entry["msgid_plural"] = "msgid_plural", _unquote(value)
        elif key == "msgstr" or key.startswith("msgstr["):
            field = "msgstr"
            entry["msgstr"].append(_unquote(value))
        elif key == "msgctxt":
            field, entry["msgctxt"] = "msgctxt", _unquote(value)
    return entries


@pytest.fixture(scope="module")
def po_entries():
    return parse_po(LOCALE / "django.po")


def test_po_is_complete(po_entries):
    header = [e for e in po_entries if e["msgid"] == ""]
    assert len(header) == 1
    assert "fuzzy" not in header[0]["flags"]
    assert "Language: en\n" in header[0]["msgstr"][0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header[0]["msgstr"][0]
    entries = [e for e in po_entries if e["msgid"] != ""]
    assert len(entries) > 1000
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []
    assert [e["msgid"] for e in entries if e["obsolete"]] == []
    assert [e["msgid"] for e in entries if not all(s.strip() for s in e["msgstr"])] == []
    plural = [e for e in entries if e["msgid_plural"] is not None]
    assert plural and all(len(e["msgstr"]) == 2 for e in plural)


def test_po_keeps_every_placeholder(po_entries):
    wrong = [
        (e["msgid"], s)
        for e in po_entries
        if e["msgid"]
        for s in e["msgstr"]
        if sorted(PLACEHOLDER.findall(e["msgid"])) != sorted(PLACEHOLDER.findall(s))
    ]
    assert wrong == []


def test_po_has_no_chinese_left_in_translations(po_entries):
    """Only the language switcher keeps its native name; the rest is English (Chinese sheet/column names of
    the census template are quoted, with their English meaning next to them)."""
    allowed = {"简体中文"}
    leftover = {
        e["msgid"]: s
        for e in po_entries
        if e["msgid"] and e["msgid"] not in allowed
        for s in e["msgstr"]
        if CJK.search(re.sub(r'"[^"]*"', "", s))
    }
    assert leftover == {}


def test_compiled_mo_matches_po(po_entries):
    """The committed .mo is compiled from the current .po (run compilemessages after editing it)."""
    with open(LOCALE / "django.mo", "rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = []
    for e in po_entries:
        if not e["msgid"]:
            continue
        if e["msgid_plural"] is None:
            if mo.gettext(e["msgid"]) != e["msgstr"][0]:
                stale.append(e["msgid"])
        elif [mo.ngettext(e["msgid"], e["msgid_plural"], n) for n in (1, 2)] != e["msgstr"]:
            stale.append(e["msgid"])
    assert stale == []


# --- pages ----------------------------------------------------------------------------------------------


def _text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _chinese_left(html: str, data: set[str]) -> set[str]:
    """Chinese runs on an English page that are not data (place/household names) or the language name."""
    found = set(CJK.findall(html))
    return {run for run in found if run != "简体中文" and not any(run in d for d in data)}


def _data_names(town) -> set[str]:
    places = [town.city, town.town, town.village_a, town.village_b, town.grid_a1, town.grid_a1a]
    places += [town.grid_a1b, town.grid_b1, town.grid_b1a]
    names = {p.name for p in places} | {h.head_name for h in (town.ha1, town.ha2, town.ha3, town.hb1)}
    names |= {h.address for h in (town.ha1, town.ha2, town.ha3, town.hb1)}
    names |= {town.department.name, town.other_department.name, town.centre.name}
    return names


@pytest.mark.django_db
def test_login_page_in_english(client):
    html = _text(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en"))
    assert '<html lang="en">' in html
    for english in ("Log in to Lianhu", "Username", "Password", "Four Links, Five Duties"):
        assert english in html
    for chinese in ("登录联户", "用户名", "密码", "四联五到位"):
        assert chinese not in html
    assert _chinese_left(html, set()) == set()


@pytest.mark.django_db
def test_login_page_in_chinese(client):
    html = _text(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert '<html lang="zh-hans">' in html
    for chinese in ("登录联户", "用户名", "密码", "四联五到位"):
        assert chinese in html
    assert "Log in to Lianhu" not in html


@pytest.mark.django_db
def test_chinese_is_the_default_without_accept_language(client):
    html = _text(client.get(reverse("login")))
    assert "登录联户" in html and "Log in to Lianhu" not in html


@pytest.mark.django_db
def test_wrong_password_message_in_english(client, town):
    response = client.post(
        reverse("login"), {"username": "member_a", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = _text(response)
    assert "Wrong username or password. Please try again." in html
    assert "用户名或密码不正确" not in html


@pytest.mark.django_db
def test_home_in_english(town, login):
    client = login(town.user("member_a"))
    html = _text(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en"))
    for english in ("My households · record a visit", "My links", "Party member", "Log out", "Menu"):
        assert english in html
    for chinese in ("我的联系户", "我的联系", "党员", "退出登录", "菜单", "首页"):
        assert chinese not in html
    assert _chinese_left(html, _data_names(town)) == set()


@pytest.mark.django_db
def test_home_in_chinese(town, login):
    client = login(town.user("member_a"))
    html = _text(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    for chinese in ("我的联系户 · 记录走访", "我的联系", "党员", "退出登录"):
        assert chinese in html
    assert "My links" not in html and "Log out" not in html


@pytest.mark.django_db
def test_visits_workspace_in_english(town, login):
    client = login(town.user("member_a"))
    html = _text(client.get(reverse("visits:workspace"), HTTP_ACCEPT_LANGUAGE="en"))
    for english in ("My households", "Overdue", "To do", "Completed", "Last visit", "Hardship household"):
        assert english in html
    for chinese in ("我的联系户", "已逾期", "待完成", "上次走访", "困难户"):
        assert chinese not in html
    assert _chinese_left(html, _data_names(town)) == set()


@pytest.mark.django_db
def test_grid_head_pages_in_english(town, login):
    client = login(town.user("grid_head_a1"))
    for url in (reverse("visits:workspace"), reverse("issues:mine"), reverse("notifications:inbox")):
        html = _text(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
        assert _chinese_left(html, _data_names(town)) == set(), url


@pytest.mark.django_db
def test_switching_language_with_setlang(town, login):
    client = login(town.user("member_a"))
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = _text(client.get(reverse("home")))  # no Accept-Language: the cookie decides
    assert "My links" in html and "我的联系" not in html

    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("home")})
    html = _text(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en"))  # the cookie wins over the header
    assert "我的联系" in html and "My links" not in html


@pytest.mark.django_db
def test_unknown_language_is_ignored(client):
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    html = _text(client.get(reverse("login")))
    assert "登录联户" in html


def test_validation_messages_in_english():
    from django.core.exceptions import ValidationError

    from grids.validators import validate_phone

    with pytest.raises(ValidationError) as err:
        validate_phone("123")
    with translation.override("en"):  # lazy messages are rendered in the active language
        assert err.value.messages == [
            "Invalid phone number: use an 11-digit mobile number or a landline with area code."
        ]
    with translation.override("zh-hans"):
        assert err.value.messages[0].startswith("电话号码格式不正确")


def test_plural_forms_in_english():
    with translation.override("en"):
        one = translation.ngettext("%(n)s 张照片", "%(n)s 张照片", 1) % {"n": 1}
        many = translation.ngettext("%(n)s 张照片", "%(n)s 张照片", 3) % {"n": 3}
    assert (one, many) == ("1 photo", "3 photos")


@pytest.mark.django_db
def test_centre_pages_in_english(town, login):
    from issues.models import IssueCategory

    client = login(town.user("town_staff"))
    data = _data_names(town) | set(IssueCategory.objects.values_list("name", flat=True))
    data |= {"户", "人员", "联系"}  # the census template's sheet names stay Chinese and are quoted as such
    urls = [
        reverse("reports:index"),
        reverse("reports:place", args=[town.town.pk]),
        reverse("visits:compliance", args=[town.town.pk]),
        reverse("issues:raise"),
        reverse("issues:queue", args=["centre"]),
        reverse("members:link-checks"),
        reverse("members:census-import"),
        reverse("dispatch:orders"),
        reverse("dispatch:order-new"),
        reverse("dispatch:reviews"),
        reverse("rewards:round-list"),
        reverse("rewards:corrections"),
    ]
    leftovers = {}
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en", follow=True)
        left = _chinese_left(_text(response), data)
        if left:
            leftovers[url] = left
    assert leftovers == {}


@pytest.mark.django_db
def test_dispatch_jobs_page_in_english(town, login):
    client = login(town.user("town_staff"))
    html = _text(client.get(reverse("dispatch:jobs"), HTTP_ACCEPT_LANGUAGE="en"))
    assert _chinese_left(html, _data_names(town)) == set()
