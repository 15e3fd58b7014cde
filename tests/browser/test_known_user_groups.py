"""A partner creates, fixes, imports into and exports a known user group."""

import pytest
from playwright.sync_api import expect

from engagement.models import KnownUserGroup
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_partner_manages_a_known_user_group(page, sign_in, editor, partner, tmp_path):
    CustomerFactory(email="ann@mail.example", authenticated=True)
    sign_in("editor")
    page.get_by_role("link", name="Create new group").click()
    page.get_by_role("link", name="Create a known user group").click()
    page.get_by_label("Group name").fill("Beta testers")
    typed = "ANN@mail.example, bob@mail.example;\ncy@broken  ann@mail.example"
    page.get_by_label("E-mail addresses").fill(typed)
    page.get_by_role("button", name="Save").click()

    expect(
        page.get_by_text("Address 3: “cy@broken” is not a valid e-mail address.")
    ).to_be_visible()
    expect(page.get_by_label("E-mail addresses")).to_have_value(typed)
    page.get_by_label("E-mail addresses").fill(
        typed.replace("cy@broken", "cy@mail.example")
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Beta testers")).to_be_visible()
    expect(page.get_by_text("1 duplicate address was dropped.")).to_be_visible()
    expect(page.locator("#kug-counts")).to_have_text("1 / 3")

    csv_file = tmp_path / "testers.csv"
    csv_file.write_text("Email;Name\nbob@mail.example;Bob\ndee@mail.example;Dee\n")
    page.get_by_role("link", name="Import .csv").click()
    page.get_by_label("A .csv file of e-mail addresses").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-diff")).to_contain_text(
        "This import adds 1, removes 2, keeps 1."
    )
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_text("Imported: 1 added, 2 removed, 1 kept.")).to_be_visible()
    expect(page.locator("#kug-counts")).to_have_text("0 / 2")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export .csv").click()
    exported = tmp_path / "export.csv"
    download.value.save_as(exported)
    assert exported.read_text().splitlines() == [
        "email,status",
        "bob@mail.example,pending",
        "dee@mail.example,pending",
    ]
    assert KnownUserGroup.objects.get().address_count == 2
