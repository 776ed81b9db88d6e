"""What the library adapters (discord.py, wavelink, mafic, pomice) share.

discord.py hands its own events (``command``, ``command_completion``, ``connect``...) to
``client.dispatch(event, *args)``, and the Lavalink clients hand Lavalink's events to the same
method as ``client.dispatch("<prefix><event>", *args)``, looking the method up on the client
every time.
``wrap_dispatch`` wraps that method on the instance: the wrapper feeds the metrics
synchronously, then calls the client's own dispatch unchanged, so the bot's handlers for those
events run as before. A listener per event (``add_listener``) would need a ``commands.Bot`` and
cost a task per event; this costs well under a microsecond per event on any discord client.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from lavametrics.bot.metrics import BotMetrics
from lavametrics.errors import LavametricsError


class UnsupportedLibrary(LavametricsError, RuntimeError):
    """The installed library (or its version) is not one this adapter was tested with."""


def version_text(bounds) -> str:
    """A tested range ``((low...), (high...))`` as pip writes it."""
    low, high = bounds
    return f">={'.'.join(map(str, low))},<{high[0]}"


def check_version(adapter: str, package: str, raw: str, supported) -> None:
    """UnsupportedLibrary (one line naming the tested range) unless ``raw`` is in ``supported``."""
    try:
        version = tuple(int(part) for part in raw.split(".")[:3])
    except ValueError:
        version = ()
    low, high = supported
    if not (low <= version < high):
        raise UnsupportedLibrary(
            f"lavametrics.bot.{adapter} supports {package} {version_text(supported)}; this is {raw or 'unknown'}"
        )


def wrap_dispatch(client, metrics: BotMetrics, adapter: str, prefix: str, feed: Mapping[str, Callable]):
    """Wrap ``client.dispatch`` once per adapter (again: the first wrapper, nothing new)."""
    mark = f"_lavametrics_{adapter}"
    done = getattr(client, mark, None)
    if done is not None:
        return done
    original = client.dispatch
    # keyed by the full event name: one dict lookup per dispatched event, whatever it is
    handlers = {prefix + name: handler for name, handler in feed.items()}
    lookup = handlers.get

    @functools.wraps(original)
    def dispatch(event, /, *args, **kwargs):
        handler = lookup(event)
        if handler is not None:
            try:
                handler(*args)
            except Exception:
                metrics.hook_error(adapter)
        if kwargs:  # none from discord.py or the Lavalink clients; an empty ** costs ~0.02 µs
            return original(event, *args, **kwargs)
        return original(event, *args)

    metrics.declare_adapter(adapter)
    client.dispatch = dispatch
    setattr(client, mark, dispatch)
    return dispatch


def severity(exception) -> str:
    """A track exception's severity as the plugin spells it (Lavalink v4 sends lower case;
    v3-era docs spell it in capitals): from a dict or an object with ``severity``."""
    raw = exception.get("severity") if isinstance(exception, Mapping) else getattr(exception, "severity", None)
    return str(getattr(raw, "value", raw) or "none").lower()
