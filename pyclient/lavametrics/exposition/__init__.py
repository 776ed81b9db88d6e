"""Reading and writing the Prometheus text formats (0.0.4 and OpenMetrics)."""
