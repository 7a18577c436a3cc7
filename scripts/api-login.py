#!/usr/bin/env python3
"""Sign demo accounts in to a running `baoho demo` server, the way a person does (password
page, then the second-factor page, whose demo note shows the current code of a demo account),
and print a Web Fuzzing Commons auth document for schemathesis: one entry per account, each
with its session cookie and its CSRF header.

Usage: scripts/api-login.py BASE_URL PASSWORD NAME=USERNAME...

Standard library only (it runs before and outside the schemathesis venv too).
"""

import html
import http.client
import json
import re
import sys
import time
import urllib.parse


class NoRedirect(Exception):
    pass


def request(base, method, path, cookie=None, form=None):
    """One request, redirects not followed; returns (status, headers, body)."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {}
    body = None
    if cookie:
        headers["Cookie"] = cookie
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Origin"] = base
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read().decode("utf-8", "replace")
    hs = r.getheaders()
    conn.close()
    return r.status, hs, data


def set_cookie(headers, name):
    for k, v in headers:
        if k.lower() == "set-cookie":
            first = v.split(";", 1)[0]
            n, _, val = first.partition("=")
            if n.strip() == name:
                return val.strip()
    return None


def hidden(page, name):
    m = re.search(r'<input type="hidden" name="%s" value="([^"]*)"' % re.escape(name), page)
    return html.unescape(m.group(1)) if m else None


def sign_in(base, username, password):
    status, hs, page = request(base, "GET", "/login")
    login_cookie = set_cookie(hs, "baoho_login")
    csrf = hidden(page, "csrf")
    if status != 200 or not login_cookie or not csrf:
        sys.exit(f"api-login: /login answered {status} without its cookie or CSRF token")
    status, hs, _ = request(
        base,
        "POST",
        "/login",
        cookie=f"baoho_login={login_cookie}",
        form={"username": username, "password": password, "csrf": csrf, "next": "/"},
    )
    pre = set_cookie(hs, "baoho_session")
    if status != 303 or not pre:
        sys.exit(f"api-login: password step for {username} answered {status}")
    # The demo shows a code only once per 30-second step (a step is accepted once): wait for
    # the next step when the page says so, for at most two steps.
    deadline = time.monotonic() + 75
    while True:
        status, hs, page = request(base, "GET", "/login/mfa", cookie=f"baoho_session={pre}")
        m = re.search(r'<code id="demo-code">(\d+)</code>', page)
        if status == 200 and m:
            break
        if time.monotonic() > deadline or 'id="demo-wait"' not in page:
            sys.exit(f"api-login: no demo code on the second-factor page for {username} ({status})")
        time.sleep(2)
    csrf = hidden(page, "csrf")
    status, hs, _ = request(
        base,
        "POST",
        "/login/mfa",
        cookie=f"baoho_session={pre}",
        form={"code": m.group(1), "csrf": csrf, "next": "/"},
    )
    session = set_cookie(hs, "baoho_session")
    if status != 303 or not session:
        sys.exit(f"api-login: second factor for {username} answered {status}")
    status, _, body = request(base, "GET", "/api/v1/session", cookie=f"baoho_session={session}")
    if status != 200:
        sys.exit(f"api-login: /api/v1/session for {username} answered {status}")
    info = json.loads(body)
    return session, info["csrf_token"]


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    base, password = sys.argv[1].rstrip("/"), sys.argv[2]
    auth = []
    for spec in sys.argv[3:]:
        name, _, username = spec.partition("=")
        session, csrf = sign_in(base, username, password)
        auth.append(
            {
                "name": name,
                "fixedHeaders": [
                    {"name": "Cookie", "value": f"baoho_session={session}"},
                    {"name": "X-CSRF-Token", "value": csrf},
                ],
            }
        )
    json.dump({"auth": auth}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
