"""Organisations' named contacts: the administrator's page and the command line."""

from app.__main__ import main
from app.organisations import contacts
from tests.builders import STANDARD_ORGANISATIONS
from tests.conftest import make_user, signed_in
from tests.html import error_summary, soup, table_rows

POLICE = STANDARD_ORGANISATIONS["police"]


def test_an_administrator_adds_and_deactivates_a_contact(session, anonymous):
    signed_in(anonymous, session, make_user(session, "ada", "admin", team=None))
    bad = anonymous.post(f"/organisations/{POLICE}/contacts",
                         data={"name": "Sergeant Duty", "role": "Duty sergeant", "email": "nope"})
    assert bad.status_code == 422
    page = soup(bad)
    assert error_summary(page) == {"#email": "'nope' is not an email address: An email "
                                             "address must have an @-sign."}
    assert page.select_one("#name")["value"] == "Sergeant Duty"
    added = anonymous.post(f"/organisations/{POLICE}/contacts", data={
        "name": "Sergeant Duty", "role": "Duty sergeant", "email": "duty@police.example",
        "secure": "yes"}, follow_redirects=False)
    assert added.status_code == 303
    rows = table_rows(soup(anonymous.get(f"/organisations/{POLICE}/contacts")).select_one(
        "#contacts"))
    assert rows == [["Sergeant Duty", "Duty sergeant", "duty@police.example (secure mailbox)",
                     "Active Deactivate Sergeant Duty"]]
    contact = contacts.of(session, POLICE)[0]
    anonymous.post(f"/organisations/{POLICE}/contacts/{contact.id}/active", data={"active": "no"})
    session.expire_all()
    assert contacts.of(session, POLICE)[0].active is False


def test_only_administrators_manage_contacts(session, anonymous):
    signed_in(anonymous, session, make_user(session, "sam"))
    assert anonymous.get(f"/organisations/{POLICE}/contacts").status_code == 403
    assert anonymous.post(f"/organisations/{POLICE}/contacts",
                          data={"name": "X", "email": "x@y.example"}).status_code == 403


def test_the_command_line_adds_lists_and_deactivates(session, capsys):
    main(["org", "contact-add", str(POLICE), "Sergeant Duty", "duty@police.example",
          "--role", "Duty sergeant", "--secure"])
    contact_id = int(capsys.readouterr().out.strip())
    main(["org", "contacts", str(POLICE)])
    assert capsys.readouterr().out.strip().splitlines() == [
        "id\tname\trole\temail\tsecure\tstate",
        f"{contact_id}\tSergeant Duty\tDuty sergeant\tduty@police.example\tsecure\tactive"]
    main(["org", "contact-set", str(contact_id), "--inactive"])
    assert capsys.readouterr().out.strip() == f"{contact_id}\tSergeant Duty\tinactive"
