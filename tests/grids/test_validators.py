import pytest
from django.core.exceptions import ValidationError

from grids.validators import (
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    validate_id_number,
    validate_phone,
)

# A GB 11643 example number with a valid check character (sum of weighted digits mod 11 → "X").
VALID_ID = "11010519491231002X"


def test_valid_id_number_passes():
    validate_id_number(VALID_ID)


def test_lowercase_x_and_fullwidth_digits_are_normalised():
    fullwidth = "１１０１０５１９４９１２３１００２ｘ"
    assert normalize_id_number(fullwidth) == VALID_ID
    validate_id_number(fullwidth)
    assert normalize_id_number("11010519491231002x") == VALID_ID


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "bad_id_checksum"),
        ("11010519491231002", "bad_id_length"),
        ("1101051949123100AX", "bad_id_length"),
        ("110105194913310028", "bad_id_birth"),
    ],
)
def test_bad_id_numbers_are_refused_with_a_reason(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_id_number(value)
    assert exc.value.code == code
    assert "身份证" in str(exc.value.messages[0])


@pytest.mark.parametrize(
    "value",
    ["13812345678", "+86 138 1234 5678", "0731-87654321", "073187654321", "０７３１－８７６５４３２１"],
)
def test_good_phones(value):
    validate_phone(value)


@pytest.mark.parametrize("value", ["12812345678", "1381234567", "87654321", "abc", "0731-123"])
def test_bad_phones(value):
    with pytest.raises(ValidationError) as exc:
        validate_phone(value)
    assert "电话" in exc.value.messages[0]


def test_masks():
    assert normalize_phone("+86 138-1234-5678") == "13812345678"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0731-87654321") == "0731-****4321"
    assert mask_id_number(VALID_ID) == "110105********002X"
    assert mask_phone("") == "" and mask_id_number("") == ""
