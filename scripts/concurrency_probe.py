#!/usr/bin/env python3
"""The concurrency probe against a running server (tests/api/test_concurrency.py does it in the suite).

    scripts/concurrency_probe.py --url http://127.0.0.1:8000 --token TOKEN --enterprise 42 [--pairs 40]

It CHANGES the enterprise's name and main product (use a demo database). For each pair, two threads
send simultaneous PATCHes: different fields (both must stay), then the same field with If-Match (one
200 and one 412 expected). Prints what it found; exits 1 if anything was lost or unreported.
Standard library only.
"""

import argparse
import json
import sys
import threading
import urllib.error
import urllib.request


def request(base, token, method, path, body=None, if_match=None):
    if not base.startswith(("http://", "https://")):
        raise SystemExit("--url must be http:// or https://")
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, method=method, data=data)  # noqa: S310 (scheme checked above)
    req.add_header("Authorization", f"Token {token}")
    req.add_header("Content-Type", "application/json")
    if if_match:
        req.add_header("If-Match", if_match)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
            return response.status, response.headers.get("ETag"), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("ETag"), json.loads(error.read() or b"{}")


def together(*calls):
    barrier, out = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, call):
        barrier.wait()
        out[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True)
    parser.add_argument("--enterprise", required=True, help="id or USCC")
    parser.add_argument("--pairs", type=int, default=40)
    args = parser.parse_args()
    path = f"/api/v1/enterprises/{args.enterprise}/"
    lost = unreported = 0
    for i in range(args.pairs):
        name, product = f"并发探测{i}有限公司", f"探测产品{i}"
        codes = [c for c, _e, _b in together(
            lambda n=name: request(args.url, args.token, "PATCH", path, {"name": n}),
            lambda p=product: request(args.url, args.token, "PATCH", path, {"main_product": p}),
        )]
        _s, _e, now = request(args.url, args.token, "GET", path)
        if codes != [200, 200] or (now.get("name"), now.get("main_product")) != (name, product):
            lost += 1
        _s, tag, _b = request(args.url, args.token, "GET", path)
        codes = sorted(c for c, _e, _b in together(
            lambda t=tag, i=i: request(args.url, args.token, "PATCH", path, {"name": f"甲{i}有限公司"}, if_match=t),
            lambda t=tag, i=i: request(args.url, args.token, "PATCH", path, {"name": f"乙{i}有限公司"}, if_match=t),
        ))
        if codes != [200, 412]:
            unreported += 1
    print(f"{args.pairs} pairs: different fields lost in {lost}; same-field conflicts unreported in {unreported}")
    return 1 if lost or unreported else 0


if __name__ == "__main__":
    sys.exit(main())
