"""A loopback simulator of Discord's voice server (gateway over TLS websocket + UDP RTP sink).

See docs/voicesim.md.  ``python -m lavametrics.devtools.voicesim --seconds N`` runs it standalone;
``--bench`` measures how many packets per second the UDP counter keeps up with.
"""

from lavametrics.devtools.voicesim.gateway import MODES, SUPPORTED_VERSIONS, VoiceSession
from lavametrics.devtools.voicesim.sim import VoiceSimulator
from lavametrics.devtools.voicesim.udp import (
    DISCOVERY_SIZE,
    discovery_request,
    discovery_response,
    parse_discovery,
    rtp_packet,
)

__all__ = [
    "VoiceSimulator",
    "VoiceSession",
    "MODES",
    "SUPPORTED_VERSIONS",
    "DISCOVERY_SIZE",
    "discovery_request",
    "discovery_response",
    "parse_discovery",
    "rtp_packet",
]
