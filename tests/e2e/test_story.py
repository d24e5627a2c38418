"""The campaign in a real browser (Debian's chromium) against a real uvicorn: a county officer
fills in and submits a survey, meets a field error and fixes it; a federation officer approves
the assessment; the county officer's open page shows the notification without a reload; an
auditor finds the change in the explorer. Each role's home is saved to test-artifacts/.

The officers' browsers ask for Chinese, as they do in Jiujiang: the pages are read in zh-hans.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_a_survey_goes_from_the_county_to_the_city_and_into_the_audit(site, open_as, artifacts):
    url, case = site["url"], site["ids"]["case"]
    union = site["ids"]["union"]

    # 1. The county officer fills in what the draft lacks, in Chinese.
    county = open_as("xunyang")
    assert county.locator("html").get_attribute("lang") == "zh-hans"
    county.goto(f"{url}/cases/{case}/survey/")
    assert county.locator("#f-women_employees").input_value() == ""
    county.fill("#f-women_employees", "400")  # more than the 320 employees: wrong
    county.click('label[for="f-home-library-yes"]')
    county.click("[data-add-member]")  # a row more, without a round trip
    county.fill("#m-0-name", "李强")
    county.fill("#m-1-name", "张敏")
    for row in (0, 1):
        for flag in ("is_admin_head", "is_partner", "is_relative_of_admin"):
            county.select_option(f"#m-{row}-{flag}", "false")
    county.click('button[name="action"][value="submit"]')

    # 2. The validator's error shows beside the field; nothing was saved or submitted.
    error = county.locator("#f-women_employees-errors")
    error.wait_for()
    assert "400" in error.inner_text() and "320" in error.inner_text()
    assert county.locator("#f-women_employees").get_attribute("aria-invalid") == "true"
    assert county.locator("#m-1-name").input_value() == "张敏"  # what was typed stays
    county.fill("#f-women_employees", "140")
    county.click('button[name="action"][value="submit"]')
    county.wait_for_url(f"{url}/cases/{case}/")
    assert county.locator(".msg-success").count() == 1
    assert county.locator('.node.current[data-stage="survey_review"]').count() == 1

    # 3. The county accepts the survey (the rules run) and submits the assessment.
    county.click('button[data-transition="accept_survey"]')
    county.wait_for_selector('.node.current[data-stage="assessment"]')
    assert county.locator(".finding").count() > 20
    county.click('button[data-transition="submit_assessment"]')
    county.wait_for_selector('.node.current[data-stage="assessment_review"]')
    approve = county.locator('button[data-transition="approve_assessment"]')
    assert approve.is_disabled()  # not theirs to approve: greyed out, reason beside it
    assert county.locator("#why-approve_assessment").inner_text().strip()

    # The county officer's page stays open, its socket connected.
    county.wait_for_function(
        "window.liveNotifications && window.liveNotifications.state().connected"
        " && window.liveNotifications.state().caughtUp > 0"
    )
    county.evaluate("window.__notReloaded = true")
    before = county.locator("[data-notification-list] li").count()

    # 4. A federation officer finds it in the approval queue and approves it.
    city = open_as("fed")
    city.click(f'#main a[href="/cases/{case}/"]')
    city.wait_for_url(f"{url}/cases/{case}/")
    city.fill("#comment-approve_assessment", "同意")
    city.click('button[data-transition="approve_assessment"]')
    city.wait_for_selector('.node.current[data-stage="guidance"]')

    # 5. The county officer's open page shows it, without a reload.
    county.wait_for_function(
        f"document.querySelectorAll('[data-notification-list] li').length > {before}"
    )
    newest = county.locator("[data-notification-list] li").first
    assert union in newest.text_content()  # the list sits in the closed bell menu
    assert newest.locator("a").get_attribute("href") == f"/cases/{case}/"
    badge = county.locator("[data-unread-count]")
    assert badge.is_visible() and int(badge.inner_text()) >= 1
    assert county.evaluate("window.__notReloaded") is True

    # 6. The auditor finds the approval in the explorer and the field change behind it.
    auditor = open_as("auditor")
    assert auditor.url == f"{url}/audit/"
    auditor.select_option("#f-kind", "approve_assessment")
    auditor.wait_for_url(re.compile(r".*kind=approve_assessment.*"))
    row = auditor.locator("#results tbody tr", has_text=union)
    row.wait_for()
    assert "市总 刘敏" in row.inner_text() and "同意" in row.inner_text()
    row.locator('a[href^="/audit/changes/case/"]').click()
    changed = auditor.locator("table.diff tr.changed", has_text="stage")
    changed.wait_for()
    assert (
        changed.locator("td.old").inner_text().strip()
        != changed.locator("td.new").inner_text().strip()
    )
    assert auditor.locator("form[method=post][action*='transitions']").count() == 0

    # Every role's home, for a person to look at.
    for username in ("xunyang", "fed", "leader", "auditor", "reporter"):
        page = open_as(username)
        page.screenshot(path=str(artifacts / f"home-{username}.png"), full_page=True)
    county.goto(f"{url}/cases/{case}/")
    county.screenshot(path=str(artifacts / "case-page.png"), full_page=True)
    city.goto(f"{url}/dashboard/")
    city.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
