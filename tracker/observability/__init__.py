"""What an operator watches: structured logs, Prometheus metrics, heartbeats and the health checks."""
