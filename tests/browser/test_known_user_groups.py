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


LONG = "averyverylonglocalpartwithoutanyplacetobreak@subdomainofaverylongdomain.example"


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_known_user_group_pages_fit_a_phone_screen(page, sign_in, editor, tmp_path):
    """At 375 px no known user group page is wider than the screen."""
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in("editor")
    page.goto("/engage/known-user-groups/new/")
    assert scroll_width(page) <= 375
    page.get_by_label("Group name").fill("Beta testers of the long-named racing game")
    addresses = [LONG, *(f"tester{i}@mail.example" for i in range(60))]
    page.get_by_label("E-mail addresses").fill("\n".join([*addresses, LONG + "@"]))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Address 62: ")).to_be_visible()
    assert scroll_width(page) <= 375, "errors"
    page.get_by_label("E-mail addresses").fill("\n".join(addresses))
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#kug-counts")).to_have_text("0 / 61")
    assert scroll_width(page) <= 375, "group page"
    expect(page.get_by_role("cell", name=LONG)).to_be_visible()

    page.get_by_role("link", name="Edit addresses").click()
    expect(page.locator("#group-name")).to_be_visible()
    assert scroll_width(page) <= 375, "edit page"

    page.go_back()
    csv_file = tmp_path / "new.csv"
    csv_file.write_text("email\n" + "\n".join(f"new{i}@mail.example" for i in range(3)))
    page.get_by_role("link", name="Import .csv").click()
    assert scroll_width(page) <= 375, "import page"
    page.get_by_label("A .csv file of e-mail addresses").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-removed")).to_contain_text(LONG)
    assert scroll_width(page) <= 375, "import preview"


def test_partner_previews_an_import_and_searches_the_addresses(
    page, sign_in, editor, partner, tmp_path
):
    from tests.factories import known_user_group

    group = known_user_group(
        partner=partner, emails=[f"old{i:03}@mail.example" for i in range(120)]
    )
    sign_in("editor")
    page.goto(group.get_absolute_url())
    expect(page.locator("#kug-count")).to_contain_text("120 addresses.")
    expect(page.locator("#kug-addresses tbody tr")).to_have_count(50)
    page.get_by_label("Search addresses").fill("OLD11")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#kug-count")).to_contain_text("10 addresses contain “OLD11”.")
    expect(page.locator("#kug-addresses tbody tr")).to_have_count(10)
    page.get_by_role("link", name="Pending").click()
    expect(page.get_by_label("Search addresses")).to_have_value("OLD11")
    expect(page.locator("#kug-addresses tbody tr")).to_have_count(10)

    csv_file = tmp_path / "list.csv"
    csv_file.write_text("email\nold000@mail.example\nnew@mail.example\n")
    page.goto(group.get_absolute_url())
    page.get_by_role("link", name="Import .csv").click()
    page.get_by_label("A .csv file of e-mail addresses").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-added li")).to_have_text(["new@mail.example"])
    expect(page.locator("#import-removed li")).to_have_count(50)
    expect(page.locator("#import-removed")).to_contain_text("and 69 more")
    assert group.addresses.count() == 120  # nothing saved before Confirm
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_text("Imported: 1 added, 119 removed, 1 kept.")).to_be_visible()
