"""Each domain's page shows its own translation of a word another domain translates differently."""

from __future__ import annotations

from ansinh.web.i18n import translations


def test_a_domain_page_takes_its_own_translation() -> None:
    # "Status" is the state of a debt on the ledger's pages, the judgement of an indicator on the
    # coverage pages, and a record's state on the application's own pages.
    assert translations("vi", "ledger").gettext("Status") == "Tình trạng"
    assert translations("vi", None).gettext("Status") == "Trạng thái"
    assert translations("vi", "ledger").gettext("Kind") == "Phương án"
    assert translations("vi", None).gettext("Kind") == "Loại hình"
    assert translations("en", "ledger").gettext("Status") == "Status"
