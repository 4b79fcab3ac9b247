"""A seller's browser against the cluster, as plain HTTP: it keeps cookies, fills a page's form
(its CSRF token, hidden fields, ticked boxes) and sends what a browser behind the cluster's proxy
would send, so it can talk to nginx or to one instance directly."""

from __future__ import annotations

import copy
from urllib.parse import urlsplit

import requests

from bench.http_load.browser import FormFields
from deploy.environment import PROXY_HEADERS


class Browser:
    """One person's browser, at `base_url` (nginx, or one instance: `at` moves it to another
    with the same cookies, as a load balancer would move it). `address` is the client address
    the proxy reports (X-Forwarded-For)."""

    def __init__(self, base_url: str, *, address: str = "192.0.2.10") -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers.update(PROXY_HEADERS | {"X-Forwarded-For": address})

    def at(self, base_url: str) -> Browser:
        moved = copy.copy(self)
        moved.base_url = base_url
        return moved

    def get(self, path: str) -> requests.Response:
        return self.session.get(
            self.base_url + path, headers=self._cookie(), allow_redirects=False, timeout=10
        )

    def post(self, path: str, data) -> requests.Response:
        # What Chromium sends with a form's POST: the page's own origin, plain http here, which
        # the console behind the proxy sees as an https request (deploy/cluster.py trusts it).
        origin = urlsplit(self.base_url)._replace(path="").geturl()
        return self.session.post(
            self.base_url + path,
            data=data,
            headers={"Origin": origin, "Referer": self.base_url + path, **self._cookie()},
            allow_redirects=False,
            timeout=10,
        )

    def _cookie(self) -> dict[str, str]:
        """Production marks its cookies Secure, and the proxy in front ends TLS: the hop the
        tests speak is plain HTTP, over which requests keeps such cookies but never sends them."""
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)
        return {"Cookie": cookies} if cookies else {}

    def submit(
        self, path: str, *, marker: str = "csrfmiddlewaretoken", **changes
    ) -> requests.Response:
        """GET the page at `path` and POST its form back to it, with `changes` replacing the
        rendered value of each field they name (a list for a field sent several times)."""
        page = self.get(path)
        assert page.status_code == 200, (page.status_code, page.text[:2000])
        fields = [(n, v) for n, v in FormFields(marker).fields(page.text) if n not in changes]
        for name, value in changes.items():
            fields += [(name, item) for item in (value if isinstance(value, list) else [value])]
        return self.post(path, fields)

    def log_in(self, email: str, password: str) -> requests.Response:
        return self.submit("/accounts/login/", login=email, password=password)
