"""Smaller things a person does in the browser: work the survey form from the keyboard, switch
to English, filter a list without a reload, print a page without its chrome."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_the_survey_form_works_from_the_keyboard(site, open_as):
    page = open_as("reporter")
    page.goto(f"{site['url']}/cases/{site['ids']['case']}/survey/")
    if page.locator('button[name="action"][value="save"]').count() == 0:
        pytest.skip("the story test has already submitted this survey")

    # A yes/no/unknown group is one tab stop; arrow keys move the choice.
    page.focus("#f-home-library-unknown")
    page.keyboard.press("ArrowLeft")
    assert page.locator("#f-home-library-no").is_checked()
    page.keyboard.press("ArrowLeft")
    assert page.locator("#f-home-library-yes").is_checked()

    # The committee's "add a member" button works with Enter and puts the cursor in the new row.
    rows = page.locator("[data-members] tbody tr").count()
    page.focus("[data-add-member]")
    page.keyboard.press("Enter")
    assert page.locator("[data-members] tbody tr").count() == rows + 1
    assert page.evaluate("document.activeElement.id") == f"m-{rows}-name"
    page.keyboard.type("王五")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"m-{rows}-is_admin_head"


def test_a_person_switches_to_english_and_back(site, open_as):
    page = open_as("xunyang")
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    page.click('.topbar button[name="language"][value="en"]')
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator(".mainnav a.active").inner_text() == "To do"

    page.click('.topbar button[name="language"][value="zh-hans"]')
    page.wait_for_function("document.documentElement.lang === 'zh-hans'")


def test_a_list_filters_without_a_reload(site, open_as):
    page = open_as("fed")
    page.goto(f"{site['url']}/cases/")
    page.evaluate("window.__notReloaded = true")
    total = page.locator("#results tbody tr").count()

    page.select_option("#f-federation", "360423")
    page.wait_for_url("**federation=360423**")
    page.wait_for_function(f"document.querySelectorAll('#results tbody tr').length < {total}")
    counties = page.locator("#results tbody tr td:nth-child(2)").all_inner_texts()
    assert counties and set(counties) == {"武宁县总工会"}
    assert page.evaluate("window.__notReloaded") is True


def test_pages_print_without_their_chrome(site, open_as, artifacts):
    page = open_as("xunyang")
    page.goto(f"{site['url']}/cases/{site['ids']['case']}/")
    page.emulate_media(media="print")

    assert not page.locator(".topbar").is_visible()
    assert not page.locator("form.transition").first.is_visible()
    assert page.locator("h1").is_visible()
    page.pdf(path=str(artifacts / "case-page-printed.pdf"))
