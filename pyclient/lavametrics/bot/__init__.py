"""What a Discord music bot imports: ``BotMetrics`` and the helper that serves its endpoint.

Nothing here pulls in the developer tools or the optional extras.
"""

from lavametrics.bot.metrics import BotMetrics, start_metrics_server_from_env

__all__ = ["BotMetrics", "start_metrics_server_from_env"]
