"""What a Discord music bot imports: ``BotMetrics`` (``BotMetrics.from_env()`` also serves its endpoint).

Nothing here pulls in the developer tools or the optional extras.
"""

from lavametrics.bot.metrics import BotMetrics

__all__ = ["BotMetrics"]
