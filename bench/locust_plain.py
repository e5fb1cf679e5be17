"""Plain Locust, the yardstick of ``bench/load_bench.py``: FastHttpUser GETting ``/ping``.

python -m locust -f bench/locust_plain.py --headless -u 64 -r 64 -t 10s -H http://127.0.0.1:PORT
"""

from __future__ import annotations

from locust import FastHttpUser, constant, task


class PlainUser(FastHttpUser):
    """What a Locust user writes by hand: one GET, no pause."""

    wait_time = constant(0)

    @task
    def ping(self) -> None:
        self.client.get("/ping")
