"""TAXII benchmark: the hub's TAXII 2.1 API beside medallion 3.0.0 (OASIS's reference server).

    python bench/taxii.py [--objects 10000] [--envelope 1000] [--page 100] [--big 100000]

Both servers run here, each in its own process: ``fusionhub serve`` (uvicorn, SQLite store,
its own Kafka node on free ports, since a POST to the hub is accepted once the envelope is
on ``fusion.ingest``) and medallion with its memory backend (Flask's server).
1. POST: the same indicators in envelopes of ``--envelope``, timed until each is accepted
   (202), objects/s;
2. paged GET: 100 objects a page, following ``next``; the hub through all of them (loaded
   into the analysts' collection as the store's sinks would), medallion through its first
   2,000 as issue 3 asks (its first page dominates: at 10,000 objects it matches every
   object against every manifest entry, minutes of work; its later pages are cheaper);
3. one page read at 10,000 and at 100,000 objects in the collection (median of many, at
   the start, middle and end of the collection).
The last line is `taxii post_ratio=R get_ratio=R page_ms_10k=N page_ms_100k=N`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import indicator, kafka_node
from hub.broker import free_ports
from hub.kafka_admin import ensure_topics
from hub.store import ObjectVersion, Store
from hub.store.collections import analysts_collection, inbox_collection
from hub.topics import Topics

REPO = Path(__file__).resolve().parents[1]
TAXII = "application/taxii+json;version=2.1"
PARTNER = ("isp-northnet", "northnet-demo")
ANALYST = ("ana", "ana-demo")
MEDALLION_ROOT = "bench"
MEDALLION_COLLECTION = "2d0c7b3e-1f5a-4c8e-9a61-3f0e5b7d9c42"
MEDALLION_PAGED = 2000


def indicators(count: int, start: int = 0) -> list[dict[str, object]]:
    out = []
    for n in range(start, start + count):
        pattern = f"[domain-name:value = 'login-{n}.bench.phish.example']"
        out.append(indicator(pattern, labels=["phishing"], indicator_types=["malicious-activity"]))
    return out


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within 60 s")


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path, url: str) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_up(url, process, log)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def medallion_config(workdir: Path, port: int) -> Path:
    data = {
        "/discovery": {
            "title": "medallion bench",
            "default": f"http://127.0.0.1:{port}/{MEDALLION_ROOT}/",
            "api_roots": [f"http://127.0.0.1:{port}/{MEDALLION_ROOT}/"],
        },
        MEDALLION_ROOT: {
            "information": {
                "title": "bench",
                "versions": [TAXII],
                "max_content_length": 100 * 1024 * 1024,
            },
            "status": [],
            "collections": [
                {
                    "id": MEDALLION_COLLECTION,
                    "title": "bench",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    data_file = workdir / "medallion-data.json"
    data_file.write_text(json.dumps(data))
    config = {
        "backend": {
            "module_class": "MemoryBackend",
            "module": "medallion.backends.memory_backend",
            "filename": str(data_file),
        },
        "users": {"bench": "bench"},
        "taxii": {"max_page_size": 100},
    }
    path = workdir / "medallion.json"
    path.write_text(json.dumps(config))
    return path


def post_all(client: httpx.Client, url: str, objects: list[dict[str, object]], size: int) -> float:
    """Objects/s of POSTing ``objects`` in envelopes of ``size``, each answered 202."""
    bodies = [
        orjson.dumps({"objects": objects[i : i + size]}) for i in range(0, len(objects), size)
    ]
    started = time.perf_counter()
    for body in bodies:
        response = client.post(url, content=body, headers={"Content-Type": TAXII})
        if response.status_code != 202:
            raise SystemExit(f"POST {url}: {response.status_code} {response.text[:500]}")
    return len(objects) / (time.perf_counter() - started)


def page_through(client: httpx.Client, url: str, page: int, stop_after: int) -> tuple[float, int]:
    """Objects/s reading ``url`` page by page with ``next`` until ``stop_after`` objects."""
    seen = 0
    params: dict[str, str | int] = {"limit": page}
    started = time.perf_counter()
    while seen < stop_after:
        response = client.get(url, params=params)
        if response.status_code != 200:
            raise SystemExit(f"GET {url}: {response.status_code} {response.text[:500]}")
        envelope = response.json()
        seen += len(envelope.get("objects", []))
        if not envelope.get("more"):
            break
        params = {"limit": page, "next": envelope["next"]}
    return seen / (time.perf_counter() - started), seen


def page_ms(
    client: httpx.Client, url: str, page: int, cursors: list[str | None], rounds: int
) -> float:
    """Median milliseconds of reading one page, starting at each cursor in turn."""
    times = []
    for _ in range(rounds):
        for cursor in cursors:
            params: dict[str, str | int] = {"limit": page}
            if cursor is not None:
                params["next"] = cursor
            started = time.perf_counter()
            response = client.get(url, params=params)
            response.json()
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"GET {url}: {response.status_code}")
    return statistics.median(times)


def cursors_of(client: httpx.Client, url: str) -> list[str | None]:
    """``next`` values at the start, the middle and near the end of the collection."""
    manifest = url.replace("/objects/", "/manifest/")
    cursors: list[str | None] = [None]
    params: dict[str, str | int] = {"limit": 1000}
    tokens = []
    while True:
        envelope = client.get(manifest, params=params).json()
        if not envelope.get("more"):
            break
        tokens.append(envelope["next"])
        params = {"limit": 1000, "next": envelope["next"]}
    if tokens:
        cursors += [tokens[len(tokens) // 2], tokens[-1]]
    return cursors


async def load_collection(store_url: str, objects: list[dict[str, object]]) -> None:
    """Put objects into the analysts' collection, as the store's sinks do after dissemination."""
    store = await Store.open(store_url)
    try:
        spec = analysts_collection()
        await store.ensure_collections([spec])
        for i in range(0, len(objects), 5000):
            chunk = objects[i : i + 5000]
            versions = [
                ObjectVersion.from_json(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS))
                for obj in chunk
            ]
            await store.add_versions({spec.id: versions})
    finally:
        await store.close()


def client_for(base: str, credentials: tuple[str, str]) -> httpx.Client:
    # Hours, not seconds: medallion's first page at 10,000 objects compares every object with
    # every manifest entry, minutes of work on a busy machine.
    return httpx.Client(base_url=base, auth=credentials, headers={"Accept": TAXII}, timeout=7200.0)


def measure(args: argparse.Namespace, workdir: Path, bootstrap: str) -> Callable[[], None]:
    namespace = f"bench{uuid.uuid4().hex[:8]}."
    topics = Topics(namespace)
    asyncio.run(ensure_topics(bootstrap, [topics.ingest], 4))
    hub_port, medallion_port = free_ports(2)
    store_url = f"sqlite+aiosqlite:///{workdir / 'store.db'}"
    env = {
        **os.environ,
        "FUSIONHUB_BROKER": bootstrap,
        "FUSIONHUB_TOPIC_NAMESPACE": namespace,
        "FUSIONHUB_STORE_URL": store_url,
        "FUSIONHUB_API_PORT": str(hub_port),
        "FUSIONHUB_PARTNERS_DIR": str(REPO / "deploy/samples/partners"),
        "FUSIONHUB_HUB_CONFIG": str(REPO / "deploy/samples/hub.yaml"),
    }
    hub_url = f"http://127.0.0.1:{hub_port}/taxii2/"
    medallion_url = f"http://127.0.0.1:{medallion_port}/taxii2/"
    objects = indicators(args.objects)
    config = medallion_config(workdir, medallion_port)
    medallion_cmd = [sys.executable, "-m", "medallion.scripts.run", "--port", str(medallion_port)]
    hub_cmd = [sys.executable, "-m", "hub", "serve", "--no-sinks"]
    with (
        running(hub_cmd, env, workdir / "hub.log", hub_url),
        running(
            [*medallion_cmd, str(config)],
            dict(os.environ),
            workdir / "medallion.log",
            medallion_url,
        ),
        client_for(f"http://127.0.0.1:{hub_port}", PARTNER) as hub_partner,
        client_for(f"http://127.0.0.1:{hub_port}", ANALYST) as hub_analyst,
        client_for(f"http://127.0.0.1:{medallion_port}", ("bench", "bench")) as medallion,
    ):
        hub_inbox = f"/taxii2/fusion/collections/{inbox_collection(PARTNER[0]).id}/objects/"
        hub_objects = f"/taxii2/fusion/collections/{analysts_collection().id}/objects/"
        medallion_objects = f"/{MEDALLION_ROOT}/collections/{MEDALLION_COLLECTION}/objects/"
        hub_partner.get("/taxii2/")  # the first login pays for argon2 once, outside the timing
        hub_analyst.get("/taxii2/")

        print(f"POST {args.objects} indicators in envelopes of {args.envelope} ...", flush=True)
        hub_post = post_all(hub_partner, hub_inbox, objects, args.envelope)
        print(f"  hub        {hub_post:12,.0f} objects/s", flush=True)
        medallion_post = post_all(medallion, medallion_objects, objects, args.envelope)
        print(f"  medallion  {medallion_post:12,.0f} objects/s", flush=True)

        asyncio.run(load_collection(store_url, objects))
        print(f"GET pages of {args.page} ...", flush=True)
        hub_get, hub_seen = page_through(hub_analyst, hub_objects, args.page, args.objects)
        print(f"  hub        {hub_get:12,.0f} objects/s ({hub_seen} objects)", flush=True)
        medallion_get, medallion_seen = page_through(
            medallion, medallion_objects, args.page, min(MEDALLION_PAGED, args.objects)
        )
        print(
            f"  medallion  {medallion_get:12,.0f} objects/s ({medallion_seen} objects)", flush=True
        )
        if hub_seen != args.objects:
            raise SystemExit(f"the hub paged {hub_seen} objects, not {args.objects}")

        page_10k = page_ms(
            hub_analyst, hub_objects, args.page, cursors_of(hub_analyst, hub_objects), 30
        )
        asyncio.run(load_collection(store_url, indicators(args.big - args.objects, args.objects)))
        page_100k = page_ms(
            hub_analyst, hub_objects, args.page, cursors_of(hub_analyst, hub_objects), 30
        )
        print(
            f"one page of {args.page}: {page_10k:.2f} ms at {args.objects:,} objects, "
            f"{page_100k:.2f} ms at {args.big:,}",
            flush=True,
        )

    post_ratio = hub_post / medallion_post
    get_ratio = hub_get / medallion_get

    def report() -> None:
        print(
            f"POST ratio {post_ratio:.1f}x (target >= 10x), GET ratio {get_ratio:.0f}x "
            f"(target >= 300x), page time ratio {page_100k / page_10k:.2f} (target <= 2)"
        )
        print(
            f"taxii post_ratio={post_ratio:.1f} get_ratio={get_ratio:.1f} "
            f"page_ms_10k={page_10k:.2f} page_ms_100k={page_100k:.2f}"
        )

    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--envelope", type=int, default=1000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--big", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fusionhub-bench-taxii-") as tmp:
        workdir = Path(tmp)
        bootstrap = os.environ.get("FUSIONHUB_BENCH_BOOTSTRAP", "").strip()
        if bootstrap:
            report = measure(args, workdir, bootstrap)
        else:
            with kafka_node(workdir) as launcher:
                report = measure(args, workdir, launcher.bootstrap)
    report()


if __name__ == "__main__":
    main()
