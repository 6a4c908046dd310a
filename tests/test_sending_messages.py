"""The exact email each kind of notification sends: a partner acts on these words, so a changed
word, a dropped link or a link to the wrong place is a bug, not a style choice.

Every email holds no case detail: a reference, a version, the agency and a link, nothing more.
"""

from datetime import UTC, datetime

import pytest

from app.config import Settings
from app.sending.models import Notification
from app.sending.worker import message, message_id

SETTINGS = Settings(smtp_from="records@council.example", public_base_url="https://sr.example/",
                    link_expiry_days=21, link_code_minutes=15)
FOOTER = "\n\nThis email holds no case detail: the record is only in the service.\n"
TOKEN = {"token": "tok-123"}
PERSONAL = ("The link asks for a one-time code, which we email to this address. Do not forward "
            "it: it is yours.")


def _notification(kind: str, agency: str = "police", version: int = 2) -> Notification:
    return Notification(id=57, record_id=314, version=version, organisation_id=3, agency=agency,
                        kind=kind, email="duty@police.example",
                        next_attempt_at=datetime(2026, 3, 1, tzinfo=UTC),
                        created_at=datetime(2026, 3, 1, 9, 8, 7, 654321, tzinfo=UTC))


def _sent(kind: str, secret: dict[str, str] | None = None, agency: str = "police"):
    email = message(_notification(kind, agency), "SR-2026-00314", SETTINGS, secret)
    return email["Subject"], email.get_content()


CASES = {
    "code": (
        "code", {"code": "482913"},
        "Your one-time code for Strategy Record",
        "Your one-time code is 482913. It works once, for 15 minutes. If you did not ask for it, "
        "ignore this email."),
    "code replaced": (
        "code", {},
        "Your one-time code for Strategy Record",
        "The code you asked for was replaced by a newer one: use the newest email."),
    "information request": (
        "information_request", {**TOKEN, "needed_by": "5 March 2026"},
        "Information needed for a strategy discussion: SR-2026-00314",
        "Children's social care asks Police for information for a strategy discussion "
        "(SR-2026-00314) by 5 March 2026. Give it with your personal link: "
        "https://sr.example/r/tok-123\n\nThe link asks for a one-time code, which we email to "
        "this address. It works for 21 days. Do not forward it: it is yours."),
    "sent, personal": (
        "sent", TOKEN,
        "Strategy discussion record SR-2026-00314",
        "A strategy discussion record has been sent to you at Police (SR-2026-00314, version 2). "
        "Open it with your personal link: https://sr.example/r/tok-123\n\nThe link asks for a "
        "one-time code, which we email to this address. It works for 21 days after sending. Do "
        "not forward it: it is yours."),
    "corrected, personal": (
        "corrected", TOKEN,
        "Strategy discussion record SR-2026-00314",
        "A corrected version of a strategy discussion record has been sent to you at Police "
        "(SR-2026-00314, version 2). Open it with your personal link: https://sr.example/r/"
        "tok-123\n\nThe link asks for a one-time code, which we email to this address. It works "
        "for 21 days after sending. Do not forward it: it is yours."),
    "sent, organisation": (
        "sent", None,
        "Strategy discussion record SR-2026-00314",
        "A strategy discussion record has been sent to Police (SR-2026-00314). Sign in to read "
        "it: https://sr.example/strategies/314"),
    "corrected, organisation": (
        "corrected", None,
        "Corrected strategy discussion record SR-2026-00314",
        "A corrected version of a strategy discussion record sent to Police now exists "
        "(SR-2026-00314, version 2). Sign in to read it: https://sr.example/strategies/314"),
    "withdrawn, organisation": (
        "withdrawn", None,
        "Strategy discussion record SR-2026-00314 withdrawn",
        "Version 2 of strategy discussion record SR-2026-00314 was sent to your organisation "
        "(Police) in error and has been withdrawn: it can no longer be read in the service. "
        "Please delete any copy you downloaded."),
    "withdrawn, personal": (
        "withdrawn", TOKEN,
        "Strategy discussion record SR-2026-00314 withdrawn",
        "Version 2 of strategy discussion record SR-2026-00314 was sent to you at Police in "
        "error and has been withdrawn: it can no longer be read in the service. Please delete "
        "any copy you downloaded.\n\nYour personal link now says so: https://sr.example/r/"
        f"tok-123\n\n{PERSONAL}"),
    "superseded, organisation": (
        "superseded", None,
        "Strategy discussion record SR-2026-00314 superseded",
        "The strategy discussion record SR-2026-00314 sent to Police has been superseded by "
        "version 2, which was not sent to your organisation. The version you were sent stays "
        "readable, marked superseded: https://sr.example/strategies/314"),
    "superseded, personal": (
        "superseded", TOKEN,
        "Strategy discussion record SR-2026-00314 superseded",
        "The strategy discussion record SR-2026-00314 sent to you at Police has been superseded "
        "by version 2, which was not sent to you. The version you were sent stays readable, "
        "marked superseded. Read it with your personal link: https://sr.example/r/tok-123\n\n"
        f"{PERSONAL}"),
    "discussion cancelled, organisation": (
        "discussion_cancelled", None,
        "Further strategy discussion cancelled: record SR-2026-00314",
        "The further strategy discussion set by strategy discussion record SR-2026-00314 "
        "(version 2), sent to Police, has been cancelled. Sign in to read why and what happens "
        "next: https://sr.example/strategies/314"),
    "discussion cancelled, personal": (
        "discussion_cancelled", TOKEN,
        "Further strategy discussion cancelled: record SR-2026-00314",
        "The further strategy discussion set by strategy discussion record SR-2026-00314 "
        "(version 2), sent to you at Police, has been cancelled. Read why and what happens next "
        f"with your personal link: https://sr.example/r/tok-123\n\n{PERSONAL}"),
}


@pytest.mark.parametrize("case", CASES)
def test_each_kind_of_email_says_exactly_this(case):
    kind, secret, subject, body = CASES[case]
    assert _sent(kind, secret) == (subject, body + FOOTER)


def test_the_email_goes_from_the_service_to_the_notification_address():
    email = message(_notification("sent"), "SR-2026-00314", SETTINGS)
    assert (email["From"], email["To"]) == ("records@council.example", "duty@police.example")
    assert email["Message-ID"] == message_id(_notification("sent"), SETTINGS)


def test_an_agency_kind_is_named_by_its_label_and_an_unknown_one_as_stored():
    assert "sent to Hospital or paediatrics (" in _sent("sent", agency="hospital")[1]
    assert "sent to Hillside Academy (" in _sent("sent", agency="Hillside Academy")[1]


def test_the_message_id_is_the_same_on_every_attempt_and_names_the_senders_domain():
    notification = _notification("sent")
    expected = "<notification-57.20260301090807654321@council.example>"
    assert message_id(notification, SETTINGS) == expected
    notification.attempts = 3
    assert message_id(notification, SETTINGS) == expected


def test_a_message_id_without_a_sender_domain_uses_the_services_own():
    no_sender = Settings(smtp_from="")
    assert message_id(_notification("sent"), no_sender) == \
        "<notification-57.20260301090807654321@strategy-record.localhost>"


def test_a_stored_time_without_a_zone_is_read_as_utc_in_the_message_id():
    notification = _notification("sent")
    notification.created_at = datetime(2026, 3, 1, 9, 8, 7, 654321)
    assert message_id(notification, SETTINGS) == \
        "<notification-57.20260301090807654321@council.example>"
