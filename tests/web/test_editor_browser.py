"""The editors' page in a real headless Chromium (Debian's, driven by Playwright) against a real server."""

from __future__ import annotations

import pytest

from tests.conftest import service_missing
from tests.web.editor_support import CHROMIUM, CHROMIUM_ARGS, SCRIPT_AUTHOR, TOKEN, private_store, serve_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        service_missing(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(demo_sqlite_url, tmp_path):
    server = serve_store(private_store(demo_sqlite_url, tmp_path))
    yield server
    server.stop()


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def column(page, index: int) -> list[str]:
    return page.locator(f"#consensus tbody tr td:nth-child({index})").all_inner_texts()


def numbers(texts: list[str]) -> list[float | None]:
    out = []
    for text in texts:
        head = text.split()[0] if text.split() else "–"
        out.append(None if head == "–" else float(head))
    return out


def test_table_lists_dramas_best_first_and_sorts_by_reviews(page, site):
    page.goto(site.url + "/")
    scores = numbers(column(page, 4))
    assert len(scores) >= 20
    present = [s for s in scores if s is not None]
    assert present == sorted(present, reverse=True)
    assert page.locator("#consensus tr.tbd").count() >= 1, "tbd rows must stay visible"

    page.click("a.sort[data-sort=reviews]")
    page.wait_for_url("**sort=-reviews**")
    reviews = numbers(column(page, 6))
    assert reviews == sorted(reviews, reverse=True) and reviews[0] > reviews[-1]
    page.click("a.sort[data-sort=reviews]")  # again: ascending
    page.wait_for_url("**sort=reviews**")
    assert numbers(column(page, 6)) == sorted(reviews)


def test_drama_page_draws_histogram_and_episode_chart(page, site, tmp_path):
    page.goto(site.url + "/")
    page.fill("#filters input[name=q]", "soundtrack #1")
    page.click("#filters button")
    page.click("#consensus a:text('Soundtrack #1')")
    page.wait_for_url("**/dramas/*")
    assert page.inner_text("#drama-title").startswith("Soundtrack #1")
    bars = page.locator("#histogram svg rect.bar")
    assert bars.count() >= 2
    counted = sum(int(bars.nth(i).get_attribute("data-count")) for i in range(bars.count()))
    assert counted >= 5
    points = page.locator("#episodes svg circle.point")
    assert [points.nth(i).get_attribute("data-episode") for i in range(points.count())] == ["1", "2", "3", "4"]
    assert page.locator("#histogram svg").bounding_box()["height"] > 80
    shot = tmp_path / "drama.png"
    page.locator("section.charts").screenshot(path=str(shot))
    assert shot.stat().st_size > 5_000
    assert page.locator("#sources tbody tr").count() >= 3


def test_spoiler_is_blurred_until_clicked(page, site):
    page.goto(site.url + "/dramas/1")
    spoiler = page.locator(".spoiler-text").first
    assert "blur" in spoiler.evaluate("el => getComputedStyle(el).filter")
    spoiler.click()
    assert spoiler.evaluate("el => getComputedStyle(el).filter") == "none"


def test_xss_payloads_render_as_text(page, site):
    page.goto(site.url + "/dramas/1")
    assert page.locator(f"article .author:text-is('{SCRIPT_AUTHOR}')").count() == 1
    assert page.locator("article .body", has_text='<img src=x onerror="window.__xss_img = 1">').count() == 1
    assert page.locator("article .body", has_text="<script>window.__xss_body = 1</script>").count() == 1
    fired = page.evaluate(
        "[window.__xss_author, window.__xss_img, window.__xss_img2, window.__xss_title, window.__xss_body]"
    )
    assert fired == [None, None, None, None, None]
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0
    # The review whose URL is javascript: gets no link at all.
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.dialogs == []


def test_read_only_without_the_token(page, site):
    page.goto(site.url + "/dramas/1")
    assert page.locator("form.correction").count() == 0
    answer = page.request.post(site.url + "/corrections", form={"kind": "exclude_review", "review_id": "1",
                                                                 "reason": "x", "back": "/dramas/1"})  # fmt: skip
    assert answer.status == 403


def test_editor_excludes_a_review_and_the_score_changes(page, site):
    page.goto(site.url + "/dramas/1")
    page.fill("#login input[name=editor]", "Ana")
    page.fill("#login input[name=token]", TOKEN)
    page.click("#login button")
    page.wait_for_selector("#signed-in")
    before = float(page.inner_text("#score"))

    # The highest-valued counted review: excluding it must lower the score.
    reviews = page.locator("article.review.status-counted")
    assert reviews.count() >= 3
    target = max(
        (reviews.nth(i) for i in range(reviews.count())),
        key=lambda r: float(r.locator(".scores").inner_text().split("counts as ")[1].split()[0]),
    )
    review_id = target.get_attribute("data-review-id")
    target.locator("details.actions summary").click()
    form = target.locator("form[data-kind=exclude_review]")
    form.locator("input[name=reason]").fill("test: a spam copy")
    form.locator("button").click()
    page.wait_for_selector("#done")
    after = float(page.inner_text("#score"))
    assert after < before
    assert page.locator(f"#review-{review_id} .flag.excluded").count() == 1

    page.goto(site.url + "/audit")
    row = page.locator("#audit tbody tr").first
    assert "exclude_review" in row.inner_text() and "Ana" in row.inner_text()
    assert "test: a spam copy" in row.inner_text()
