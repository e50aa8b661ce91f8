"""The password policy (chính sách mật khẩu): length, repetition, the username, zxcvbn's lists of
common passwords and its strength estimate; every refusal in Vietnamese and English."""

from __future__ import annotations

import pytest

from ansinh.core.auth import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    WeakPassword,
    check_password,
    password_problems,
)


def _vi(password: str, username: str = "lan.nguyen") -> list[str]:
    return [str(p) for p in password_problems(password, username=username)]


def test_the_issues_example_is_refused() -> None:
    assert _vi("aaaaaaaaaa") == [
        "Mật khẩu phải có ít nhất 12 ký tự (hiện có 10).",
        "Mật khẩu không được chỉ là một hoặc hai ký tự lặp lại.",
    ]
    assert _vi("aaaaaaaaaaaaaaaa") == ["Mật khẩu không được chỉ là một hoặc hai ký tự lặp lại."]
    assert _vi("abababababababab") == ["Mật khẩu không được chỉ là một hoặc hai ký tự lặp lại."]


def test_length_bounds() -> None:
    assert MIN_PASSWORD_LENGTH == 12 and MAX_PASSWORD_LENGTH == 128
    assert _vi("Ng4y-m0i-t0t") == []  # exactly 12, strong enough
    assert _vi("Ng4y-m0i-t0") == ["Mật khẩu phải có ít nhất 12 ký tự (hiện có 11)."]
    long = "mây trắng bay về núi " * 7  # 147 characters
    assert _vi(long) == ["Mật khẩu không được dài quá 128 ký tự."]


@pytest.mark.parametrize("common", ["password1234", "qwertyuiop123", "1234567890123", "iloveyou1234"])
def test_common_passwords_from_zxcvbns_lists_are_refused(common: str) -> None:
    problems = _vi(common)
    assert problems in (
        ["Mật khẩu này nằm trong danh sách mật khẩu phổ biến."],
        ["Mật khẩu quá dễ đoán: hãy dùng một cụm từ dài hơn, ít gặp, hoặc thêm từ."],
    ), problems


def test_the_common_list_is_zxcvbns_not_a_hand_typed_one() -> None:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    assert len(FREQUENCY_LISTS["passwords"]) >= 10_000
    assert _vi("password1234") == ["Mật khẩu này nằm trong danh sách mật khẩu phổ biến."]


GUESSABLE = "Mật khẩu quá dễ đoán: hãy dùng một cụm từ dài hơn, ít gặp, hoặc thêm từ."


def test_guessable_passwords_and_words_of_this_office() -> None:
    assert _vi("matkhau123456") == [GUESSABLE]
    assert _vi("bhxh12345678") == [GUESSABLE]


def test_the_username_inside_is_refused_in_any_case() -> None:
    assert _vi("XinChao-Lan.Nguyen-2025") == ["Mật khẩu không được chứa tên đăng nhập."]
    # a very short username is not searched for (it would forbid too much)
    assert _vi("tre-xanh-bao-boc", username="ab") == []


def test_good_passphrases_pass() -> None:
    assert _vi("mây-trắng-bay-về-núi") == []
    assert _vi("correct horse battery staple") == []
    assert _vi("Kq3#9vLp!2mZ") == []


def test_check_password_raises_with_every_problem_and_english_forms() -> None:
    with pytest.raises(WeakPassword) as caught:
        check_password("aaaaaaaaaa", username="lan")
    assert caught.value.field == "password"
    assert len(caught.value.problems) == 2
    assert caught.value.text("en") == (
        "The password must have at least 12 characters (it has 10). "
        "The password must not be one or two characters repeated."
    )
    assert caught.value.text("vi") == str(caught.value)
