"""End to end in a real browser: log in, upload, watch processing, view pages, label on the
workbench with the keyboard.

Debian's chromium, driven by Playwright's sync API against pytest-django's ``live_server``.
Screenshots of every step land in ``test-results/browser/``. Run only these with
``pytest -m browser``; see DEVELOPERS.md.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing (apt-get install chromium; `make test` does it)",
        allow_module_level=True,
    )
pytest.importorskip("playwright.sync_api")

from django.apps import apps as django_apps  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.utils import timezone  # noqa: E402
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright  # noqa: E402
from pytest_django.live_server_helper import LiveServer  # noqa: E402

from classification import services  # noqa: E402
from classification.models import (  # noqa: E402
    Document,
    DocumentType,
    FieldCorrection,
    FieldValue,
    Label,
    Prediction,
)
from docsite import roles  # noqa: E402
from labeling import queue  # noqa: E402
from labeling.models import Skip, Task  # noqa: E402
from tests import documents  # noqa: E402
from tests.workbench_documents import review_task, waiting_document  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No internet here: keep chromium from dialling out (and logging refused connections).
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-results" / "browser"
PASSWORD = "browser-pw-1234"
TIMEOUT_MS = 30_000  # an upload's response waits for its OCR, which runs inline in tests


@pytest.fixture(scope="module")
def _async_unsafe() -> Iterator[None]:
    """Playwright's sync API runs an event loop in this thread; let the ORM run beside it.

    Module-scoped so it outlives the database flush at the end of each test.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def chromium(_async_unsafe: None) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def _one_request_at_a_time(live_server: LiveServer) -> Iterator[None]:
    """Serve the live server's requests one after another.

    The test database is in-memory SQLite, so every server thread shares the test's single
    connection and its transaction state: two uploads at once (the page sends them in
    parallel) fail now and then with "database table is locked". Production servers give each
    thread its own connection.
    """
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    assert app is not None
    lock = threading.Lock()

    def serialised(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with lock:
            return app(environ, start_response)

    httpd.set_app(serialised)
    yield
    httpd.set_app(app)


@pytest.fixture
def _seeded(transactional_db: None) -> None:
    """The types and role groups the data migration made; a transactional test's flush
    removes them, so the next browser test would start without them."""
    for name in ("0002_seed_types_and_roles", "0005_seed_field_schemas"):
        importlib.import_module(f"classification.migrations.{name}").seed(django_apps, None)


# Not named `page`: pytest-playwright's own `page` fixture would parametrize the tests.
@pytest.fixture
def tab(
    chromium: Browser,
    live_server: LiveServer,
    _seeded: None,
    _one_request_at_a_time: None,
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    # Script errors, console errors and failed requests fail the test (the favicon included:
    # every page names its own, so chromium never guesses /favicon.ico).
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(f"{tab.url}: {exc}"))
    tab.on(
        "console",
        lambda message: (
            errors.append(f"{tab.url}: {message.text}")
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    # A refusal the test asks for (``@pytest.mark.refused(400, "/submit/")``) is no error.
    refused = [m.args for m in request.node.iter_markers("refused")]
    tab.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}")
            if response.status >= 400
            and not any(response.status == code and path in response.url for code, path in refused)
            else None
        ),
    )
    yield tab
    context.close()
    assert not errors, f"errors in the browser: {errors}"


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], None]:
    """Screenshot helper: test-results/browser/<test>-<nn>-<step>.png, full page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))
    prefix = request.node.name.removeprefix("test_")

    def take(page: Page, step: str) -> None:
        page.screenshot(
            path=SCREENSHOTS / f"{prefix}-{next(counter):02d}-{step}.png", full_page=True
        )

    return take


def _user(username: str, *role_names: str) -> User:
    user = User.objects.create_user(username, password=PASSWORD)
    for name in role_names:
        user.groups.add(Group.objects.get(name=name))
    return user


def _log_in(page: Page, username: str, shot: Callable[[Page, str], None]) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, "login")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/documents/$"))
    expect(page.locator(".topbar .who")).to_have_text(username)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / "files" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


def _wait_until_loaded(page: Page, image: Locator) -> None:
    image.scroll_into_view_if_needed()  # the page images load lazily
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )


def test_upload_process_view_and_review_a_document(
    tab: Page, tmp_path: Path, shot: Callable[[Page, str], None]
) -> None:
    page = tab
    _user("rita-both", roles.UPLOADER, roles.LABELER)
    scan = _write(tmp_path, "invoice-scan.png", documents.png(["INVOICE 4711", "Total 99.00"]))
    letter = _write(
        tmp_path,
        "letter.pdf",
        documents.pdf([["Dear customer", "Page one"], ["Kind regards", "Page two"]]),
    )

    _log_in(page, "rita-both", shot)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Upload")).to_be_visible()
    expect(nav.get_by_role("link", name="Review queue")).to_be_visible()

    # Upload: one XHR per file, each row with a progress bar and its own result.
    page.goto("/upload/")
    page.set_input_files("#file-input", [scan, letter])
    rows = page.locator("#upload-results tbody tr")
    expect(rows).to_have_count(2)
    for name in ("invoice-scan.png", "letter.pdf"):
        row = rows.filter(has_text=name)
        expect(row).to_have_class("outcome-accepted")
        expect(row.locator("td").nth(2)).to_have_text("Accepted: Queued for processing.")
        expect(row.locator("progress")).to_have_js_property("value", 100)
        expect(row.get_by_role("link", name="Accepted")).to_have_attribute(
            "href", re.compile(r"^/documents/\d+/$")
        )
        # The upload page follows each accepted file through the pipeline.
        expect(row.locator("td").nth(3)).to_have_text("Needs review", timeout=15000)
    shot(page, "uploaded")
    assert Document.objects.count() == 2

    # The list: both end in "Needs review" (it polls while anything is still in progress).
    page.goto("/documents/")
    expect(page.locator('#document-rows tr[data-status="needs_review"]')).to_have_count(2)
    for name in ("invoice-scan.png", "letter.pdf"):
        expect(page.locator("#document-rows tr", has_text=name).locator(".status")).to_have_text(
            "Needs review"
        )
    shot(page, "documents")

    # One document: both page images load, the OCR word boxes are drawn, and can be hidden.
    page.get_by_role("link", name="letter.pdf").click()
    page.wait_for_url(re.compile(r"/documents/\d+/$"))
    expect(page.locator("#document-status .status")).to_have_text("Needs review")
    images = page.locator(".page-canvas img")
    expect(images).to_have_count(2)
    for index in range(2):
        _wait_until_loaded(page, images.nth(index))
    assert page.locator(".page-canvas svg.boxes").count() == 2
    assert page.locator("#page-1 svg.boxes rect").count() > 0
    assert page.locator("#page-2 svg.boxes rect").count() > 0
    expect(page.locator(".ocr-text").first).to_contain_text("customer")
    page.locator("#page-1").scroll_into_view_if_needed()
    expect(page.locator("svg.boxes").first).to_be_visible()
    shot(page, "document-boxes")
    page.get_by_label("Show OCR word boxes").uncheck()
    expect(page.locator(".viewer")).to_have_class(re.compile(r"\bhide-boxes\b"))
    for index in range(2):
        expect(page.locator("svg.boxes").nth(index)).to_be_hidden()
    expect(images.first).to_be_visible()
    shot(page, "document-no-boxes")

    # The review queue: start labeling, pick a type, save; a human label is stored.
    page.goto("/review/")
    expect(page.locator("h1 small")).to_have_text("2 open")
    expect(page.locator("table.queue tbody tr")).to_have_count(2)
    shot(page, "queue")
    page.get_by_role("button", name="Start labeling").click()
    page.wait_for_url(re.compile(r"/review/task/\d+/$"))
    first = Task.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    first_id = first.document_id
    expect(page.locator("#wb-queue")).to_have_text("2")
    _wait_until_loaded(page, page.locator(".wb-page.current img"))
    page.get_by_role("radio", name="Invoice", exact=True).check()
    shot(page, "review")
    page.get_by_role("button", name="Save and next (Enter)").click()

    # The next document opens, with a message about the one just saved.
    page.wait_for_url(lambda url: not url.endswith(f"/review/task/{first.pk}/"))
    expect(page.locator(".messages")).to_have_text(f"Saved #{first_id} as Invoice.")
    expect(page.locator("#wb-queue")).to_have_text("1")
    expect(page.locator("#wb-today")).to_have_text("1")
    shot(page, "review-next")

    labels = Label.objects.filter(document_id=first_id)
    assert [(label.provenance, label.document_type.name) for label in labels] == [
        (Label.Provenance.HUMAN, "invoice")
    ]
    assert labels[0].labeled_by is not None
    assert labels[0].labeled_by.username == "rita-both"
    assert Document.objects.get(pk=first_id).status == Document.Status.CLASSIFIED

    page.goto("/review/")
    expect(page.locator("h1 small")).to_have_text("1 open")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    expect(page.locator("table.queue tbody tr").first).to_contain_text("Yours")
    shot(page, "queue-after")


def test_a_document_page_lists_its_fields_and_marks_them_on_the_page(
    tab: Page, shot: Callable[[Page, str], None]
) -> None:
    page = tab
    admin = _user("ada-admin", roles.ADMIN)
    document = waiting_document("bill.png", ["INVOICE 4711", "ACME Ltd", "Total 99.00"])
    services.assign_type(document, DocumentType.objects.get(name="invoice"), admin)
    _log_in(page, "ada-admin", shot)
    page.goto(f"/documents/{document.pk}/")
    _wait_until_loaded(page, page.locator(".page-canvas img").first)
    rows = page.locator("table.fields tbody tr")
    expect(rows.filter(has_text="Total")).to_contain_text("99.00")
    expect(rows.filter(has_text="Total")).to_contain_text("Rule")
    boxes = page.locator("#page-1 svg.field-boxes rect")
    assert boxes.count() == FieldValue.objects.filter(document=document).count() >= 2
    expect(boxes.first).to_be_visible()
    # Drawn where the value's words are: the total's box over the "99.00" word's.
    word = page.locator("#page-1 svg.boxes rect", has=page.locator("title", has_text="99.00"))
    total = page.locator(
        "#page-1 svg.field-boxes rect", has=page.locator("title", has_text="Total")
    )
    word_box, total_box = word.bounding_box(), total.bounding_box()
    assert word_box is not None and total_box is not None
    assert abs(word_box["x"] - total_box["x"]) < 3 and abs(word_box["y"] - total_box["y"]) < 3
    shot(page, "fields")


def test_upload_rows_show_refusals_and_duplicates(
    tab: Page, tmp_path: Path, shot: Callable[[Page, str], None]
) -> None:
    page = tab
    _user("ulf-uploader", roles.UPLOADER)
    fake = _write(tmp_path, "statement.pdf", b"<!doctype html><html><body>Hi</body></html>")
    scan = _write(tmp_path, "receipt.png", documents.png(["RECEIPT", "Cash 12.50"]))

    _log_in(page, "ulf-uploader", shot)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Review queue")).to_have_count(0)
    page.goto("/upload/")
    page.set_input_files("#file-input", [fake, scan])
    rows = page.locator("#upload-results tbody tr")
    rejected = rows.filter(has_text="statement.pdf")
    expect(rejected).to_have_class("outcome-rejected")
    expect(rejected.locator("td").nth(2)).to_have_text(
        "Rejected: Not a supported document: the content is an HTML page. "
        "Docsite accepts PDF, PNG, JPEG and TIFF files."
    )
    expect(rejected.get_by_role("link")).to_have_count(0)
    accepted = rows.filter(has_text="receipt.png")
    expect(accepted).to_have_class("outcome-accepted")
    document = Document.objects.get()
    assert document.original_name == "receipt.png"

    # The same bytes again, dropped on the drop zone this time: the existing document.
    data = list(scan.read_bytes())
    transfer = page.evaluate_handle(
        """bytes => {
            const transfer = new DataTransfer();
            const file = new File([new Uint8Array(bytes)], "receipt-again.png",
                                  { type: "image/png" });
            transfer.items.add(file);
            return transfer;
        }""",
        data,
    )
    page.dispatch_event("#dropzone", "dragover", {"dataTransfer": transfer})
    expect(page.locator("#dropzone")).to_have_class(re.compile(r"\bover\b"))
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    expect(page.locator("#dropzone")).not_to_have_class(re.compile(r"\bover\b"))
    expect(rows).to_have_count(3)
    duplicate = rows.filter(has_text="receipt-again.png")
    expect(duplicate).to_have_class("outcome-duplicate")
    expect(duplicate.locator("td").nth(2)).to_have_text(
        f"Duplicate: Already uploaded as document #{document.pk}."
    )
    expect(duplicate.get_by_role("link", name="Duplicate")).to_have_attribute(
        "href", f"/documents/{document.pk}/"
    )
    shot(page, "upload-results")
    assert Document.objects.count() == 1


def _suggest(task: Task, probabilities: dict[str, float]) -> None:
    best = max(probabilities, key=lambda name: probabilities[name])
    Prediction.objects.create(
        document=task.document,
        document_type=DocumentType.objects.get(name=best),
        confidence=probabilities[best],
        probabilities=probabilities,
    )
    queue.enqueue_review(task.document)  # re-scored: the task now carries the suggestion


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_label_three_documents_with_the_keyboard_on_the_workbench(
    tab: Page, shot: Callable[[Page, str], None]
) -> None:
    page = tab
    page.set_viewport_size({"width": 1280, "height": 800})
    labeler = _user("kira-labeler", roles.LABELER)
    invoice = review_task("invoice.png", ["INVOICE 4711", "ACME Ltd", "Total 99.00", "Order PO-77"])
    _suggest(invoice, {"invoice": 0.62, "receipt": 0.3, "letter": 0.08})
    receipt = review_task(
        "receipt.png", ["RECEIPT", "Corner Shop", "Cash 12.50"], ["Thank you", "Page two"]
    )
    _suggest(receipt, {"invoice": 0.5, "receipt": 0.45, "contract": 0.05})
    letter = review_task("letter.png", ["Dear customer", "Kind regards"])  # no prediction
    blurry = review_task("blurry.png", ["~~~ ~~"])
    for task, priority in ((invoice, 0.9), (blurry, 0.8), (receipt, 0.7), (letter, 0.6)):
        Task.objects.filter(pk=task.pk).update(priority=priority)
    names = {task.document.original_name: task.pk for task in (invoice, receipt, letter, blurry)}

    started = timezone.now()
    _log_in(page, "kira-labeler", shot)
    page.goto("/review/")
    page.get_by_role("button", name="Start labeling").click()
    seen: list[str] = []
    for _ in range(4):
        page.wait_for_url(re.compile(r"/review/task/\d+/$"))
        name = page.locator(".wb-header .wb-name").inner_text()
        assert int(page.url.rstrip("/").rsplit("/", 1)[1]) == names[name]
        seen.append(name)
        _wait_until_loaded(page, page.locator(".wb-page.current img"))
        page.locator("body").focus()
        if name == "invoice.png":
            # The suggestions come first, pre-highlighted with their probabilities.
            first_type = page.locator(".wb-type").first
            expect(first_type).to_have_class(re.compile(r"\bsuggested\b"))
            expect(first_type).to_contain_text("Invoice")
            expect(first_type).to_contain_text("62%")
            expect(page.locator(".wb-why")).to_contain_text("No similar labeled documents yet")
            _no_sideways_scroll(page)
            shot(page, "workbench-1280x800")
            page.keyboard.press("1")
            expect(page.get_by_role("radio", name="Invoice", exact=True)).to_be_checked()
            fields = page.locator(".wb-fields:not([hidden])")
            expect(fields.locator("legend")).to_have_text("Invoice: fields")
            page.keyboard.press("Tab")
            vendor = fields.get_by_label("Vendor")
            expect(vendor).to_be_focused()
            # Click a word box, shift-click the next: the field holds both, with their box.
            page.locator('.wb-page.current rect.word[data-text="ACME"]').click()
            page.locator('.wb-page.current rect.word[data-text="Ltd"]').click(modifiers=["Shift"])
            expect(vendor).to_have_value("ACME Ltd")
            expect(vendor).to_be_focused()
            # The words the rules had read: their value still, and the note says so.
            expect(page.locator(f"#{vendor.get_attribute('id')}-source")).to_contain_text(
                "extracted"
            )
            expect(page.locator(".wb-page.current rect.field-box")).to_have_attribute(
                "visibility", "visible"
            )
            # A field the rules read wrong: one click on a word replaces its value.
            page.keyboard.press("Tab")
            number = fields.get_by_label("Invoice number")
            expect(number).to_be_focused()
            expect(number).to_have_value("4711")
            number_source = page.locator(f"#{number.get_attribute('id')}-source")
            expect(number_source).to_contain_text("extracted")
            page.locator('.wb-page.current rect.word[data-text="PO-77"]').click()
            expect(number).to_have_value("PO-77")
            expect(number_source).to_have_text("picked by you on page 1")
            # Drag a rectangle around a word: the focused field takes the words inside.
            page.keyboard.press("Tab")
            page.keyboard.press("Tab")
            page.keyboard.press("Tab")
            total = fields.get_by_label("Total")
            expect(total).to_be_focused()
            word = page.locator('.wb-page.current rect.word[data-text="99.00"]').bounding_box()
            assert word is not None
            page.mouse.move(word["x"] - 6, word["y"] - 6)
            page.mouse.down()
            page.mouse.move(word["x"] + word["width"] + 6, word["y"] + word["height"] + 6, steps=5)
            page.mouse.up()
            expect(total).to_have_value("99.00")
            expect(total).to_be_focused()
            shot(page, "workbench-field-picked")
            # The boxes toggle with b, when not typing in a field.
            page.keyboard.press("Escape")
            page.keyboard.press("b")
            expect(page.locator("#workbench")).to_have_class(re.compile(r"\bwb-hide-boxes\b"))
            page.keyboard.press("b")
            expect(page.locator("#workbench")).not_to_have_class(re.compile(r"\bwb-hide-boxes\b"))
            with page.expect_navigation():
                page.keyboard.press("Enter")
        elif name == "receipt.png":
            expect(page.locator("#wb-page-label")).to_have_text("Page 1 of 2")
            page.keyboard.press("PageDown")
            expect(page.locator("#wb-page-label")).to_have_text("Page 2 of 2")
            expect(page.locator('.wb-page[data-number="2"]')).to_be_visible()
            page.keyboard.press("PageUp")
            expect(page.locator("#wb-page-label")).to_have_text("Page 1 of 2")
            page.keyboard.press("+")
            expect(page.locator("#wb-zoom")).to_have_text("125%")
            for _ in range(2):
                page.keyboard.press("+")
            expect(page.locator("#wb-zoom")).to_have_text("200%")
            # With no field focused, dragging the page pans it.
            viewer = page.locator("#wb-viewer")
            scrolled = "v => [v.scrollLeft, v.scrollTop]"
            before = viewer.evaluate(scrolled)
            box = viewer.bounding_box()
            assert box is not None
            middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.move(*middle)
            page.mouse.down()
            page.mouse.move(middle[0] - 120, middle[1] - 80, steps=6)
            page.mouse.up()
            after = viewer.evaluate(scrolled)
            assert after[0] > before[0] and after[1] > before[1], (before, after)
            page.keyboard.press("0")
            expect(page.locator("#wb-zoom")).to_have_text("100%")
            page.keyboard.press("2")
            expect(page.get_by_role("radio", name="Receipt", exact=True)).to_be_checked()
            page.set_viewport_size({"width": 1920, "height": 1080})
            _no_sideways_scroll(page)
            expect(page.locator("#wb-save")).to_be_in_viewport()
            shot(page, "workbench-1920x1080")
            page.set_viewport_size({"width": 1280, "height": 800})
            with page.expect_navigation():
                page.keyboard.press("Enter")
        elif name == "letter.png":
            # More types than number keys: "/" filters, Enter takes the single match.
            page.keyboard.press("/")
            expect(page.get_by_label("Filter types")).to_be_focused()
            page.keyboard.type("tax")
            expect(page.locator(".wb-type:not(.filtered-out)")).to_have_count(1)
            page.keyboard.press("Enter")
            expect(page.get_by_role("radio", name="Tax form", exact=True)).to_be_checked()
            expect(page.locator(".wb-type.filtered-out")).to_have_count(0)
            key = page.locator(".wb-type", has_text="Letter").locator("kbd").inner_text()
            page.keyboard.press(key)
            expect(page.get_by_role("radio", name="Letter", exact=True)).to_be_checked()
            expect(page.locator("#wb-save")).to_be_in_viewport()
            with page.expect_navigation():
                page.keyboard.press("Enter")
        else:
            page.keyboard.press("Escape")
            expect(page.locator("#wb-skip")).to_have_attribute("open", "")
            expect(page.locator("#wb-skip").get_by_role("radio", name="Other")).to_be_focused()
            shot(page, "workbench-skip")
            with page.expect_navigation():
                page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/review/$"))
    expect(page.locator(".messages")).to_contain_text("Nothing left to label for now.")
    assert seen == ["invoice.png", "blurry.png", "receipt.png", "letter.png"]

    labels = Label.objects.filter(labeled_by=labeler).select_related("document", "document_type")
    assert sorted((label.document.original_name, label.document_type.name) for label in labels) == [
        ("invoice.png", "invoice"),
        ("letter.png", "letter"),
        ("receipt.png", "receipt"),
    ]
    assert all(label.provenance == Label.Provenance.HUMAN for label in labels)
    # Served to submitted: each took some time, none more than the whole test so far.
    elapsed = (timezone.now() - started).total_seconds()
    spent = [label.seconds_spent for label in labels]
    assert all(s is not None and 0 < s <= elapsed for s in spent), spent
    by_name = {label.document.original_name: label for label in labels}
    assert by_name["invoice.png"].suggestion_accepted is True
    assert by_name["receipt.png"].suggestion_accepted is False  # the model said invoice
    value = FieldValue.objects.get(document=invoice.document, field__name="vendor")
    # The rules had pre-filled the vendor with the same words and box the clicks picked.
    assert (value.field.name, value.value, value.page_number, value.source) == (
        "vendor",
        "ACME Ltd",
        1,
        FieldValue.Source.RULE,
    )
    words = {w["text"]: w for w in invoice.document.pages.get(number=1).ocr_words}
    acme, ltd = words["ACME"], words["Ltd"]
    assert value.bbox == [
        acme["left"],
        min(acme["top"], ltd["top"]),
        ltd["left"] + ltd["width"],
        max(acme["top"] + acme["height"], ltd["top"] + ltd["height"]),
    ]
    total_value = FieldValue.objects.get(document=invoice.document, field__name="total")
    assert (total_value.value, total_value.page_number) == ("99.00", 1)
    # The rules had pre-filled vendor and total with the values picked; the invoice number
    # the labeler picked instead of the rules' is theirs, recorded as a correction.
    number_value = FieldValue.objects.get(document=invoice.document, field__name="invoice_number")
    po = words["PO-77"]
    assert (number_value.value, number_value.source, number_value.bbox) == (
        "PO-77",
        FieldValue.Source.HUMAN,
        [po["left"], po["top"], po["left"] + po["width"], po["top"] + po["height"]],
    )
    corrections = FieldCorrection.objects.filter(label=by_name["invoice.png"])
    assert [(c.field.name, c.before, c.after) for c in corrections] == [
        ("invoice_number", "4711", "PO-77")
    ]
    skip = Skip.objects.get()
    assert (skip.task_id, skip.user, skip.reason) == (blurry.pk, labeler, Skip.Reason.OTHER)
    assert skip.seconds_spent is not None and skip.seconds_spent >= 0
    assert not Task.objects.filter(state=Task.State.OPEN, claimed_by=labeler).exists()


@pytest.mark.refused(400, "/submit/")
def test_a_refused_field_loses_its_problem_once_changed_and_a_pick_typed_over_says_so(
    tab: Page, shot: Callable[[Page, str], None]
) -> None:
    page = tab
    page.set_viewport_size({"width": 1280, "height": 800})
    _user("lena-labeler", roles.LABELER)
    review_task("bill.png", ["INVOICE 4711", "ACME Ltd", "Total 99.00", "Order PO-77"])
    _log_in(page, "lena-labeler", shot)
    page.goto("/review/")
    page.get_by_role("button", name="Start labeling").click()
    page.wait_for_url(re.compile(r"/review/task/\d+/$"))
    _wait_until_loaded(page, page.locator(".wb-page.current img"))
    page.locator("body").focus()
    page.get_by_role("radio", name="Invoice", exact=True).check()
    fields = page.locator(".wb-fields:not([hidden])")
    total = fields.get_by_label("Total")
    total.fill("12,34,5")
    with page.expect_navigation():
        total.press("Enter")  # refused: not an amount
    total = page.locator(".wb-fields:not([hidden])").get_by_label("Total")
    problem = page.locator(f"#{total.get_attribute('id')}-problem")
    expect(problem).to_be_visible()
    expect(total).to_have_attribute("aria-invalid", "true")
    total.fill("99.00")
    expect(problem).to_be_hidden()
    expect(total).not_to_have_attribute("aria-invalid", "true")
    # A word picked, then typed over: the note says both.
    number = page.locator(".wb-fields:not([hidden])").get_by_label("Invoice number")
    number.focus()
    page.locator('.wb-page.current rect.word[data-text="PO-77"]').click()
    expect(number).to_have_value("PO-77")
    number.press("End")
    number.press("8")
    note = page.locator(f"#{number.get_attribute('id')}-source")
    expect(note).to_have_text("picked by you on page 1, then typed over")


CANVAS_HAS_INK = """canvas => {
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) return true; }
    return false;
}"""


def test_every_dashboard_draws_its_charts(tab: Page, shot: Callable[[Page, str], None]) -> None:
    from tests import dashboard_rows

    admin = _user("boss", roles.ADMIN)
    dashboard_rows.seed([admin, _user("lee", roles.LABELER)])
    _log_in(tab, "boss", shot)
    tab.get_by_role("link", name="Dashboards").click()
    for name in ("Overview", "Automation", "Model", "Labeling", "Drift"):
        tab.get_by_role("navigation", name="Dashboards").get_by_role("link", name=name).click()
        expect(tab.locator(".tabs .current")).to_have_text(name)
        # The charts are drawn by the script at the end of the page: wait for it.
        tab.wait_for_function(
            "() => [...document.querySelectorAll('.chart-card canvas')].every(c => c.dataset.drawn)"
        )
        canvases = tab.locator(".chart-card canvas")
        assert canvases.count() >= 2, f"{name}: too few charts"
        drawn = [c.get_attribute("data-drawn") for c in canvases.all()]
        assert drawn == ["true"] * len(drawn), f"{name}: charts not drawn: {drawn}"
        inked = [c.evaluate(CANVAS_HAS_INK) for c in canvases.all()]
        assert sum(inked) >= 2 and all(inked), f"{name}: blank canvases {inked}"
        shot(tab, name.lower())
    # A filter narrows every chart and the page says which range it shows.
    tab.get_by_role("navigation", name="Dashboards").get_by_role("link", name="Overview").click()
    tab.get_by_label("Type").select_option(index=1)
    tab.get_by_role("button", name="Apply").click()
    expect(tab.locator(".tabs .current")).to_have_text("Overview")
    assert "type=" in tab.url
    shot(tab, "overview-filtered")
