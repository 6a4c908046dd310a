"""Load a running Strategy Record server with simulated users, and print what it measured.

Run against a server you started (loopback only), for example the demo one:
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:8000 --users 10 --seconds 20

Each simulated user signs in (its own session), then for the given time does a mix of:
list pages with filters and paging, record pages, section saves (read the header section,
post the same values back with the revision read; a stale save answers 409 and is counted
apart), downloads of finalised records' stored PDFs, and JSON API reads (with --token, else
with the session). Per kind it prints count, errors, 409s, p50 and p95; then the total rate.
"""

import argparse
import asyncio
import random
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from bs4 import BeautifulSoup

SESSION_COOKIE = "sr_session"
# Share of each kind of request in the mix (the section save also reads the section page).
MIX = {"list": 30, "view": 25, "save": 15, "pdf": 15, "api": 15}
LIST_QUERIES = ["", "?sort=oldest", "?status=draft", "?status=finalised", "?q=Carter",
                "?led_by=edt", "?team=Central", "?outcome=s47_joint", "?q=baby&status=draft",
                "?q=SR-2024"]


@dataclass
class Results:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    stale: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, kind: str, started: float, response: httpx.Response | None, error: str | None = None,
            *, expected: int = 200) -> None:
        """Anything but the expected status is an error (a redirect to sign-in too), except a
        stale save's 409, which is counted apart."""
        self.timings[kind].append(time.perf_counter() - started)
        if error is not None:
            self.errors[kind][error] += 1
        elif response.status_code == 409:
            self.stale[kind] += 1
        elif response.status_code != expected:
            self.errors[kind][str(response.status_code)] += 1


@dataclass
class Records:
    all: list[int]
    drafts: list[int]
    finalised: list[int]


def form_fields(form) -> list[tuple[str, str]]:
    """What a browser posts for the form as shown."""
    pairs = []
    for element in form.select("input, select, textarea"):
        name = element.get("name")
        if not name:
            continue
        if element.name == "select":
            chosen = element.select_one("option[selected]")
            pairs.append((name, chosen.get("value", "") if chosen else ""))
        elif element.name == "textarea":
            pairs.append((name, element.text))
        elif element.get("type") in ("checkbox", "radio"):
            if element.has_attr("checked"):
                pairs.append((name, element.get("value", "on")))
        else:
            pairs.append((name, element.get("value", "")))
    return pairs


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> None:
    response = await client.post("/sign-in", data={"username": username, "password": password,
                                                   "next": "/strategies"})
    if response.status_code != 303 or SESSION_COOKIE not in client.cookies:
        raise SystemExit(f"Sign-in as {username} failed: HTTP {response.status_code}")


async def find_records(client: httpx.AsyncClient, api_headers: dict) -> Records:
    """Up to 75 drafts and 75 finalised records the user may see, from the JSON list (3 pages each)."""
    found: dict[str, list[int]] = {"draft": [], "finalised": []}
    for status, ids in found.items():
        query = f"/api/strategies?status={status}"
        for _ in range(3):
            response = await client.get(query, headers=api_headers)
            response.raise_for_status()
            page = response.json()
            ids += [item["id"] for item in page["items"] if not item["damaged"]]
            if not page["next_cursor"]:
                break
            query = f"/api/strategies?status={status}&after={page['next_cursor']}"
    return Records(found["draft"] + found["finalised"], found["draft"], found["finalised"])


async def save_header(client: httpx.AsyncClient, record_id: int, results: Results) -> None:
    path = f"/strategies/{record_id}/sections/header"
    started = time.perf_counter()
    page = await client.get(path)
    results.add("section page", started, page)
    if page.status_code != 200:
        return
    form = next((f for f in BeautifulSoup(page.text, "html.parser").select("main form")
                 if f.select_one("input[name=revision]")), None)
    if form is None:  # finalised meanwhile: nothing to save
        return
    started = time.perf_counter()
    data: dict[str, list[str]] = defaultdict(list)
    for name, value in [*form_fields(form), ("row-action", "save")]:
        data[name].append(value)
    saved = await client.post(path, data=data)
    results.add("save", started, saved, expected=303)


async def simulated_user(number: int, client: httpx.AsyncClient, records: Records, results: Results,
                         api_headers: dict, deadline: float, think: float) -> None:
    rng = random.Random(number)
    kinds, weights = zip(*MIX.items(), strict=True)
    while time.perf_counter() < deadline:
        if think:  # a person reads the page before the next click (random, `think` s on average)
            await asyncio.sleep(min(rng.expovariate(1 / think), max(0.0, deadline - time.perf_counter())))
            if time.perf_counter() >= deadline:
                break
        kind = rng.choices(kinds, weights)[0]
        if kind == "save" and not records.drafts or kind == "pdf" and not records.finalised:
            kind = "view"
        started = time.perf_counter()
        try:
            if kind == "list":
                results.add(kind, started, await client.get("/strategies" + rng.choice(LIST_QUERIES)))
            elif kind == "view":
                results.add(kind, started, await client.get(f"/strategies/{rng.choice(records.all)}"))
            elif kind == "save":
                await save_header(client, rng.choice(records.drafts), results)
            elif kind == "pdf":
                url = f"/strategies/{rng.choice(records.finalised)}/record.pdf"
                results.add(kind, started, await client.get(url))
            else:
                url = f"/api/strategies/{rng.choice(records.all)}"
                results.add(kind, started, await client.get(url, headers=api_headers))
        except httpx.HTTPError as error:
            results.add(kind, started, None, type(error).__name__)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def report(results: Results, elapsed: float, users: int) -> str:
    lines = [f"{'kind':<14}{'count':>7}{'errors':>8}{'409':>6}{'p50 ms':>9}{'p95 ms':>9}"]
    total = 0
    for kind, times in sorted(results.timings.items()):
        total += len(times)
        errors = sum(results.errors[kind].values())
        p95 = statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]
        lines.append(f"{kind:<14}{len(times):>7}{errors:>8}{results.stale[kind]:>6}"
                     f"{_ms(statistics.median(times)):>9}{_ms(p95):>9}")
    for kind, counts in sorted(results.errors.items()):
        if counts:
            lines.append(f"  {kind} errors: " + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())))
    lines.append(f"total {total} requests in {elapsed:.1f} s from {users} users: "
                 f"{total / elapsed:.1f} requests/s")
    return "\n".join(lines)


async def run(args) -> str:
    async with httpx.AsyncClient(base_url=args.url, headers={"Origin": args.url}, timeout=60) as client:
        await sign_in(client, args.username, args.password)
        # Without a token the API reads go with each simulated user's own session cookie.
        api_headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
        records = await find_records(client, api_headers)
        if not records.all:
            raise SystemExit(f"{args.username} can see no records: load the demo data first")
        for record_id in records.finalised:  # stored once now: the run measures cached downloads
            (await client.get(f"/strategies/{record_id}/record.pdf")).raise_for_status()
    print(f"{len(records.all)} records ({len(records.drafts)} drafts, {len(records.finalised)} "
          f"finalised); {args.users} users for {args.seconds:g} s", flush=True)
    clients = [httpx.AsyncClient(base_url=args.url, headers={"Origin": args.url}, timeout=60)
               for _ in range(args.users)]
    try:
        # Every user has its own session before the clock starts (sign-in is slow on purpose).
        await asyncio.gather(*(sign_in(c, args.username, args.password) for c in clients))
        results = Results()
        started = time.perf_counter()
        deadline = started + args.seconds
        await asyncio.gather(*(simulated_user(n, client, records, results, api_headers, deadline,
                                              args.think)
                               for n, client in enumerate(clients)))
        return report(results, time.perf_counter() - started, args.users)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=10, help="concurrent simulated users")
    parser.add_argument("--seconds", type=float, default=20, help="how long to run")
    parser.add_argument("--username", default="sw", help="every simulated user signs in as this")
    parser.add_argument("--password", default="demo-password")
    parser.add_argument("--token", help="API token for the JSON API reads (default: the session)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds each user waits between requests, as a person reading "
                             "the page would (default 0: back-to-back requests, the saturation test)")
    args = parser.parse_args(argv)
    host = urlsplit(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("Run this against a server on this machine (127.0.0.1) only.")
    if not 1 <= args.users <= 200 or not 0 < args.seconds <= 600:
        raise SystemExit("--users must be 1 to 200 and --seconds at most 600")
    print(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
