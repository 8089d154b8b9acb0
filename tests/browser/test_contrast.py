"""Every page is readable: axe-core's colour-contrast rule (WCAG 2 AA) finds nothing on any page,
in Chromium, with some of everything on the screens (issue 11, point 12: a red button on blue).

axe-core comes from npm at set-up (``node_modules/axe-core``), like the pages' own libraries; it
is put into each page by the test only (the context bypasses the pages' Content-Security-Policy
for that, the pages themselves never load it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.pages import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# (path, viewport): every page a person reads, at the size it is read at.
PAGES = [
    ("/", (1366, 768)),
    ("/display/kupang", (1920, 1080)),
    ("/t/{token}", (390, 844)),
    ("/kiosk/kupang", (1080, 1920)),
    ("/counter/{counter}", (1366, 768)),
    ("/station/print", (1366, 768)),
    ("/station/handover", (1366, 768)),
    ("/station/group", (1366, 768)),
    ("/account/password", (1366, 768)),
    ("/admin/kupang/", (1366, 768)),
    ("/admin/kupang/settings", (1366, 768)),
    ("/admin/kupang/hours", (1366, 768)),
    ("/admin/kupang/services", (1366, 768)),
    ("/admin/kupang/services/A", (1366, 768)),
    ("/admin/kupang/counters", (1366, 768)),
    ("/admin/kupang/users", (1366, 768)),
    ("/admin/kupang/devices", (1366, 768)),
    ("/admin/kupang/printers", (1366, 768)),
    ("/admin/kupang/reports", (1366, 768)),
    ("/admin/kupang/trail", (1366, 768)),
]


def _contrast_problems(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: "rule", values: ["color-contrast"]},
                                   resultTypes: ["violations"]})"""
    )
    problems = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            problems.append(f"{node['target']}: {node['failureSummary'].splitlines()[-1].strip()}")
    return problems


def test_every_page_has_enough_contrast(browser, live):
    server, desk = live.server, live.desk
    waiting = desk.issue("A")
    desk.issue("C")
    desk.call(1)  # a call on the TV and the console
    counter = desk.counter_id(1)
    # The test's own script (axe) goes in past the pages' Content-Security-Policy.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{server.url}/login?next=/admin/")
    page.fill("[name=username]", "admin")
    page.fill("[name=password]", server.password("admin"))
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/**")
    found = {}
    for path, (width, height) in PAGES:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(server.url + path.format(token=waiting["token"], counter=counter))
        page.wait_for_load_state("networkidle")
        problems = _contrast_problems(page)
        if problems:
            found[path] = problems
            shot(
                page,
                "contrast-" + path.strip("/").replace("/", "-").replace("{", "").replace("}", ""),
            )
    context.close()
    assert not found, json.dumps(found, indent=1)
