"""The gate's Prometheus metrics, in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class GateMetrics:
    """Counters and gauges for decisions, identity lookups, the feed and pushes.

    Label values come from short fixed vocabularies (``outcome``, ``cause``,
    ``result``), never from request data, so no client can grow the series.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.decisions = Counter(
            "ztkit_gate_decisions",
            "Auth sub-requests answered, by outcome and cause.",
            ["outcome", "cause"],
            registry=self.registry,
        )
        self.decision_seconds = Histogram(
            "ztkit_gate_decision_seconds",
            "Time to answer an auth sub-request, identity lookup included.",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
            registry=self.registry,
        )
        self.identity_lookups = Counter(
            "ztkit_gate_identity_lookups",
            "Questions to oauth2-proxy, by answer; cache hits are not lookups.",
            ["result"],
            registry=self.registry,
        )
        self.identity_cache_hits = Counter(
            "ztkit_gate_identity_cache_hits",
            "Requests answered from the session cache.",
            registry=self.registry,
        )
        self.identity_cache_sessions = Gauge(
            "ztkit_gate_identity_cache_sessions",
            "Sessions held in the cache.",
            registry=self.registry,
        )
        self.feed_devices = Gauge(
            "ztkit_gate_feed_devices",
            "Devices in the last good feed snapshot.",
            registry=self.registry,
        )
        self.pushed_devices = Gauge(
            "ztkit_gate_pushed_devices",
            "Devices known from pushes (this replica's and the shared store's).",
            registry=self.registry,
        )
        self.feed_reloads = Counter(
            "ztkit_gate_feed_reloads",
            "Feed file reloads, by result; a failed one keeps the last good snapshot.",
            ["result"],
            registry=self.registry,
        )
        self.feed_loaded_time = Gauge(
            "ztkit_gate_feed_loaded_timestamp_seconds",
            "When the current feed snapshot was loaded.",
            registry=self.registry,
        )
        self.pushes = Counter(
            "ztkit_gate_pushes",
            "Pushes to the device endpoint, by result.",
            ["result"],
            registry=self.registry,
        )
        self.store_connected = Gauge(
            "ztkit_gate_store_connected",
            "1 while the shared store is connected and subscribed.",
            registry=self.registry,
        )
        self.config_reloads = Counter(
            "ztkit_gate_config_reloads",
            "Configuration reloads, by result.",
            ["result"],
            registry=self.registry,
        )
