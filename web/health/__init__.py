"""The one status interface of each process: ``/healthz``, ``/metrics`` and the status pages
read the same snapshot (``node_health.node_health``, ``city_health.city_health``)."""
