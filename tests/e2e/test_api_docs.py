"""The API reference: Swagger UI renders from local assets under the site's CSP."""

from playwright.sync_api import Page, expect


def test_api_docs_render_the_schema_without_csp_violations(live_server, page: Page):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text and "script" in message.text
            else None
        ),
    )
    requested_hosts: set[str] = set()
    page.on("request", lambda request: requested_hosts.add(request.url.split("/")[2]))

    page.goto(f"{live_server.url}/api/docs/")

    expect(page.get_by_role("heading", name="Partner Console API")).to_be_visible()
    expect(page.get_by_text("/api/v1/scopes/", exact=True).first).to_be_visible()
    assert violations == []
    assert requested_hosts == {live_server.url.split("/")[2]}
