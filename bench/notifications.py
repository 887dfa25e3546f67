"""Notification fan-out through a real Celery worker and Redis, against two limits measured in
the same run (DESIGN.md section 9, issue 10): Celery's own rate for an empty task on the same
broker and worker, and the rate of plain HTTP POSTs of the same signed bodies to the same
receiver from as many processes as the worker has (no database, no broker).

One shortlist is published to N providers that each have a webhook on a local receiver: the
hook writes N webhook rows, N provider e-mails and one applicant e-mail, and hands them to the
worker after commit. Deliveries per second are counted from the publish until no row is
pending; the empty-task rate from sending as many `incubator.ping` tasks until the worker has
acknowledged the last; the POST rate from POSTing the webhook rows' bodies, signed as delivery
signs them, as many times in all as there were deliveries. E-mails go to Django's dummy
backend: this measures the outbox and the webhook path, not an SMTP server.

    .venv/bin/python bench/notifications.py --deliveries 2000

Needs PostgreSQL and Redis (see ENVIRONMENT.md); uses the database `incubator_bench_notify`.
"""

import argparse
import itertools
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class KeepAliveReceiver:
    """A local webhook endpoint that answers 204 at once and keeps connections open."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.count += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def post_share(url: str, requests: list[tuple[bytes, dict[str, str]]], start, results) -> None:
    """One process of the POST limit: its share of the requests over one keep-alive
    connection, as a delivery worker's process would send them, without a database or broker."""
    import urllib3

    parts = urlsplit(url)
    pool = urllib3.HTTPConnectionPool(parts.hostname, parts.port, maxsize=1, retries=False)
    start.wait()
    answered = 0
    for body, headers in requests:
        response = pool.urlopen("POST", parts.path, body=body, headers=headers, redirect=False)
        answered += 200 <= response.status < 300
    results.put(answered)


def post_rate(url: str, requests: list[tuple[bytes, dict[str, str]]], processes: int):
    """POSTs per second from `processes` processes, each sending its share; returns the rate,
    the seconds and the number of 2xx answers."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes + 1)
    results = context.Queue()
    workers = [
        context.Process(target=post_share, args=(url, requests[index::processes], start, results))
        for index in range(processes)
    ]
    for worker in workers:
        worker.start()
    start.wait()  # every process is up and has imported what it needs
    started = time.perf_counter()
    answered = sum(results.get() for _ in workers)
    seconds = time.perf_counter() - started
    for worker in workers:
        worker.join()
    return len(requests) / seconds, seconds, answered


def signed_requests(count: int) -> list[tuple[bytes, dict[str, str]]]:
    """The webhook rows' bodies and headers as delivery builds them, repeated to `count`."""
    from notifications.delivery import webhook_body, webhook_headers
    from notifications.models import Notification
    from notifications.urlsafety import resolve_webhook_target

    requests = []
    for row in Notification.objects.filter(channel="webhook").select_related("provider"):
        body = webhook_body(row)
        headers = webhook_headers(notification=row, secret=row.provider.webhook_secret, body=body)
        headers["Host"] = resolve_webhook_target(row.provider.webhook_url).host_header
        requests.append((body, headers))
    return list(itertools.islice(itertools.cycle(requests), count))


def configure(args: argparse.Namespace, queue: str) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "incubator.settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key"),
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": args.broker,
        "CELERY_RESULT_BACKEND": "",
        "EMAIL_URL": "dummymail://",
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "1",
        "NOTIFICATIONS_QUEUE": queue,
        # No re-dispatch during the run: every row is delivered by its first message.
        "NOTIFICATIONS_DISPATCH_LEASE_SECONDS": "3600",
    }
    os.environ.update(env)
    return env


def ensure_database(database_url: str) -> None:
    import psycopg2

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def build_fan_out(providers: int, receiver_url: str):
    """A shortlist with one start-up that needs funding, and `providers` fund providers."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from applications.models import Application, Startup
    from incubator.models import (
        DEFAULT_PROGRAMME_NAME,
        Programme,
        Round,
        ServiceProvider,
        new_webhook_secret,
    )
    from notifications.models import Notification
    from reviews.models import Shortlist, ShortlistEntry

    Notification.objects.all().delete()
    ShortlistEntry.objects.filter(shortlist__name="Bench fan-out").delete()
    Shortlist.objects.filter(name="Bench fan-out").delete()
    ServiceProvider.objects.filter(name__startswith="Bench provider").delete()
    now = timezone.now()
    round_, _created = Round.objects.get_or_create(
        programme=Programme.objects.get(name=DEFAULT_PROGRAMME_NAME),
        name="Bench round",
        defaults={
            "opens_at": now - timedelta(days=10),
            "closes_at": now + timedelta(days=10),
            "review_deadline": now + timedelta(days=40),
        },
    )
    startup, _created = Startup.objects.get_or_create(
        name="Bench start-up",
        defaults={"region": "hong_kong", "contact_email": "ceo@bench.example"},
    )
    application, _created = Application.objects.get_or_create(
        round=round_,
        startup=startup,
        defaults={
            "project_name": "Bench ledger",
            "track": "finance",
            "stage": "pilot",
            "funding_amount": Decimal("1000000"),
            "funding_currency": "HKD",
            "needs_fund": True,
            # It consents to share with fund providers (DESIGN.md §12), or nobody hears of it.
            "share_fund": True,
            "status": "shortlisted",
        },
    )
    shortlist = Shortlist.objects.create(round=round_, name="Bench fan-out")
    ShortlistEntry.objects.create(
        shortlist=shortlist, application=application, rank=1, raw_score=88.0, review_count=3
    )
    ServiceProvider.objects.bulk_create(
        ServiceProvider(
            name=f"Bench provider {index:05d}",
            kind="fund",
            email=f"p{index}@bench.example",
            webhook_url=receiver_url,
            webhook_secret=new_webhook_secret(),
        )
        for index in range(providers)
    )
    return shortlist


def start_worker(env: dict[str, str], args: argparse.Namespace, queue: str) -> subprocess.Popen:
    log_path = ROOT / "bench" / "results" / "notifications-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb")
    worker = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "incubator",
            "worker",
            "--pool",
            args.pool,
            "--concurrency",
            str(args.concurrency),
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # Ready when it answers a ping.
    from incubator.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5, destination=None):
            break
        if worker.poll() is not None:
            raise RuntimeError(log_path.read_text()[-2000:])
    return worker


def wait_drained(redis_client, queue: str) -> None:
    """Until the queue is empty and the worker has acknowledged every message of it."""
    while True:
        if redis_client.llen(queue) == 0:
            unacked = redis_client.hvals("unacked")
            if not any(json.loads(value)[-1] == queue for value in unacked):
                return
        time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=2000, help="webhook deliveries")
    # Celery's own defaults: processes, one per core (delivery is CPU-bound under the GIL).
    parser.add_argument("--pool", default="prefork", choices=["threads", "prefork", "solo"])
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--broker", default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/4")
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/incubator_bench_notify"
        ),
    )
    args = parser.parse_args()

    queue = f"bench-notify-{os.getpid()}"
    env = configure(args, queue)
    ensure_database(args.database_url)

    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import transaction

    from incubator.celery import app
    from incubator.tasks import ping
    from notifications.enums import NotificationStatus
    from notifications.models import Notification
    from reviews.notifications import shortlist_published

    call_command("migrate", verbosity=0)
    receiver = KeepAliveReceiver()
    shortlist = build_fan_out(args.deliveries, receiver.url)
    redis_client = redis.Redis.from_url(args.broker)
    worker = start_worker(env, args, queue)
    try:
        for _ in range(100):  # warm-up: connections, imports
            ping.apply_async(queue=queue)
        wait_drained(redis_client, queue)

        tasks = 2 * args.deliveries + 1  # as many tasks as the fan-out hands the worker
        started = time.perf_counter()
        # Sent the way the outbox sends its batch: one producer for all.
        with app.producer_or_acquire() as producer:
            for _ in range(tasks):
                ping.apply_async(queue=queue, producer=producer)
        wait_drained(redis_client, queue)
        empty_seconds = time.perf_counter() - started

        started = time.perf_counter()
        with transaction.atomic():
            shortlist_published(shortlist=shortlist)
        published = time.perf_counter() - started
        while Notification.objects.filter(status=NotificationStatus.PENDING).exists():
            time.sleep(0.02)
        delivery_seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        app.close()

    sent = Notification.objects.filter(status=NotificationStatus.SENT).count()
    failed = Notification.objects.exclude(status=NotificationStatus.SENT).count()
    webhooks = receiver.count
    post_limit, post_seconds, answered = post_rate(
        receiver.url, signed_requests(sent), args.concurrency
    )
    empty_rate = tasks / empty_seconds
    delivery_rate = sent / delivery_seconds
    print(f"worker: --pool {args.pool} --concurrency {args.concurrency}, broker {args.broker}")
    print(f"empty task ({tasks} x incubator.ping): {empty_seconds:.2f} s, {empty_rate:.0f}/s")
    print(
        f"fan-out ({args.deliveries} webhooks received {webhooks}, "
        f"{sent - args.deliveries} e-mails; {failed} not sent): publish {published:.2f} s, "
        f"all delivered {delivery_seconds:.2f} s, {delivery_rate:.0f} deliveries/s"
    )
    print(
        f"plain POSTs ({sent} of the same signed bodies, {args.concurrency} processes, "
        f"{answered} answered 2xx): {post_seconds:.2f} s, {post_limit:.0f}/s"
    )
    print(f"ratio deliveries/empty: {delivery_rate / empty_rate:.2f} (target >= 0.5)")
    print(f"ratio deliveries/POSTs: {delivery_rate / post_limit:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
