"""``intcheck load``: a scenario's flows run by Locust in its own processes, judged by SLOs.

``scenario`` reads and checks ``load/*.yaml``; ``prepare`` builds every request up front
through each step's kind (``Kind.load``) and writes them for the child; ``locustfile`` is the
only module that imports Locust and runs only in Locust's processes (gevent never meets
asyncio); ``runner`` starts and stops those processes by PID, bounded in time; ``stats`` turns
Locust's statistics into the report's figures; ``slo`` judges them.
"""
