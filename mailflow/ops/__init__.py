"""Operations: Prometheus metrics, /healthz, JSON logs. A room of its own.

The service reports to `Monitor` through `mailflow.observe.Reporter` and never
imports this package; the pipeline knows nothing of it. `cli.py` starts the
HTTP server (`[metrics] bind`) beside `mailflow run`.
"""

from mailflow.ops.monitor import Monitor
from mailflow.ops.server import OpsServer

__all__ = ["Monitor", "OpsServer"]
