"""A loopback simulator of Discord's voice server (gateway over TLS websocket + UDP RTP sink).

See docs/voicesim.md.  ``python -m lavametrics.voicesim --seconds N`` runs it standalone;
``--bench`` measures how many packets per second the UDP counter keeps up with.
"""

from .gateway import MODES, SUPPORTED_VERSIONS, VoiceSession
from .sim import VoiceSimulator
from .udp import (DISCOVERY_SIZE, discovery_request, discovery_response, parse_discovery,
                  rtp_packet)

__all__ = ["VoiceSimulator", "VoiceSession", "MODES", "SUPPORTED_VERSIONS", "DISCOVERY_SIZE",
           "discovery_request", "discovery_response", "parse_discovery", "rtp_packet"]
