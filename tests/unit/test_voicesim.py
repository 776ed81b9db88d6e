"""The voice server simulator, driven by a Python voice client written here (TLS, UDP, RTP)."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import subprocess
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from lavametrics.devtools.voicesim import MODES, VoiceSimulator, discovery_request, parse_discovery, rtp_packet
from lavametrics.devtools.voicesim.tls import find_keytool
from lavametrics.devtools.voicesim.udp import StreamStats, UdpCounter, discovery_response
from tests.conftest import require_tool

GUILD = "817327181659111454"
USER = "1074426457271058432"


# --- a minimal voice client ------------------------------------------------------------------
class Client:
    def __init__(self, sim: VoiceSimulator, version: int = 4, guild: str = GUILD):
        self.sim, self.version, self.guild = sim, version, guild
        self.session_id = f"session-{guild}"
        self.token = "tok-" + guild
        self.ws = None
        self.udp: socket.socket | None = None
        self.ready: dict = {}
        self.hello: dict = {}
        self.messages: list[dict] = []

    async def open(self):
        self.ws = await connect(
            self.sim.url(self.version), ssl=self.sim.client_ssl_context(), ping_interval=None, close_timeout=2
        )
        return self

    async def send(self, op, d):
        await self.ws.send(json.dumps({"op": op, "d": d}))

    async def recv(self, op=None, timeout=3.0) -> dict:
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            self.messages.append(msg)
            if op is None or msg["op"] == op:
                return msg

    async def identify(self):
        self.hello = await self.recv()  # HELLO arrives on connect
        assert self.hello["op"] == 8
        await self.send(
            0, {"server_id": self.guild, "user_id": USER, "session_id": self.session_id, "token": self.token}
        )
        self.ready = (await self.recv(2))["d"]
        return self.ready

    def discover(self) -> tuple[str, int, bytes]:
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.settimeout(2)
        self.udp.connect((self.ready["ip"], self.ready["port"]))
        self.udp.send(discovery_request(self.ready["ssrc"]))
        raw = self.udp.recv(1024)
        typ, ssrc, addr, port = parse_discovery(raw)
        assert (typ, ssrc) == (2, self.ready["ssrc"])
        return addr, port, raw

    async def select(self, mode=None) -> dict:
        addr, port, _ = self.discover()
        mode = mode or self.ready["modes"][0]
        await self.send(1, {"protocol": "udp", "data": {"address": addr, "port": port, "mode": mode}})
        return (await self.recv(4))["d"]

    async def handshake(self):
        await self.open()
        await self.identify()
        return await self.select()

    async def close(self):
        if self.ws is not None:
            await self.ws.close()
        if self.udp is not None:
            self.udp.close()


@pytest.fixture
def sim():
    with VoiceSimulator() as s:
        yield s


def run(coro):
    return asyncio.run(coro)


# --- pure protocol pieces --------------------------------------------------------------------
def test_discovery_packets_are_74_bytes_big_endian():
    req = discovery_request(0x01020304)
    assert len(req) == 74
    assert req[:8] == bytes([0, 1, 0, 70, 1, 2, 3, 4]) and req[8:] == bytes(66)
    resp = discovery_response(0x01020304, "127.0.0.1", 50000)
    assert len(resp) == 74 and resp[:4] == bytes([0, 2, 0, 70])
    assert resp[8:18] == b"127.0.0.1\0"
    assert struct.unpack_from("!H", resp, 72)[0] == 50000
    assert parse_discovery(resp) == (2, 0x01020304, "127.0.0.1", 50000)


def test_rtp_header():
    p = rtp_packet(65535, 960, 42, b"xyz")
    assert p[0] == 0x80 and p[1] == 0x78 and len(p) == 15
    assert struct.unpack("!HII", p[2:12]) == (65535, 960, 42)


def test_stream_counters_wrap_gaps_late_and_reorder():
    st = StreamStats(7)
    t = 100.0
    seqs = [65533, 65534, 65535, 0, 1, 4, 5]  # wraps, then 2 and 3 are missing
    for i, s in enumerate(seqs):
        st.on_packet(s, i * 960, 100, t + i * 0.02)
    assert (st.packets, st.bytes, st.gaps, st.gap_events, st.late) == (7, 700, 2, 1, 0)
    assert st.ext_seq == 65533 + 8
    st.on_packet(6, 0, 100, t + 7 * 0.02 + 0.065)  # 65 ms behind its slot: late
    st.on_packet(7, 0, 100, t + 8 * 0.02 + 0.065)  # re-anchored: on time again
    assert st.late == 1
    st.on_packet(3, 0, 100, t + 9 * 0.02 + 0.065)  # a straggler: counted, not a gap
    assert (st.out_of_order, st.gaps, st.packets) == (1, 2, 10)


def test_counter_classifies_datagrams():
    c = UdpCounter()
    assert c.feed(discovery_request(5), 74, ("127.0.0.1", 9), 1.0) == discovery_response(5, "127.0.0.1", 9)
    assert c.feed(bytes([0x80, 200]) + bytes(26), 28, ("127.0.0.1", 9), 1.0) is None  # RTCP SR
    assert c.feed(b"junk", 4, ("127.0.0.1", 9), 1.0) is None
    assert c.feed(rtp_packet(1, 2, 5), 15, ("127.0.0.1", 9), 1.0) is None
    t = c.totals()
    assert (t["discoveries"], t["rtcp"], t["malformed"], t["packets"]) == (1, 1, 1, 1)


# --- the full handshake over TLS + UDP --------------------------------------------------------
def test_handshake_then_250_packets_with_a_gap(sim):
    assert sim.endpoint == f"127.0.0.1:{sim.gateway_port}"

    async def scenario():
        c = Client(sim)
        await c.open()
        ready = await c.identify()
        assert c.hello["d"]["heartbeat_interval"] == 13750
        assert ready["ip"] == "127.0.0.1" and ready["port"] == sim.udp_port
        assert ready["modes"] == MODES and isinstance(ready["ssrc"], int)
        addr, port, raw = c.discover()
        assert len(raw) == 74 and (addr, port) == c.udp.getsockname()
        await c.send(1, {"protocol": "udp", "data": {"address": addr, "port": port, "mode": "xsalsa20_poly1305_lite"}})
        desc = (await c.recv(4))["d"]
        assert desc["mode"] == "xsalsa20_poly1305_lite"
        assert len(desc["secret_key"]) == 32 and all(0 <= b <= 255 for b in desc["secret_key"])
        assert desc["dave_protocol_version"] == 0
        await c.send(5, {"speaking": 1, "delay": 0, "ssrc": ready["ssrc"]})
        await c.send(3, 1234567)
        assert (await c.recv(6))["d"] == 1234567
        sim.wait_connected(GUILD, 2)

        # 250 packets, 20 ms apart, seq starting near the 16-bit wrap, 5 numbers skipped
        ssrc, t0 = ready["ssrc"], time.monotonic()
        seq = 65400
        for i in range(250):
            if i == 120:
                seq += 5  # the deliberate gap
            c.udp.send(rtp_packet(seq, i * 960, ssrc, bytes(100)))
            seq += 1
            await asyncio.sleep(max(0.0, t0 + (i + 1) * 0.02 - time.monotonic()))
        stats = sim.wait_packets(GUILD, 250, 3)
        await c.close()
        return ready, stats

    ready, st = run(scenario())
    assert st["ssrc"] == ready["ssrc"]
    assert st["packets"] == 250 and st["bytes"] == 250 * 112
    assert st["gaps"] == 5 and st["gap_events"] == 1
    assert st["late"] <= 2  # paced sender on a shared machine; exactness is tested above
    assert st["mode"] == "xsalsa20_poly1305_lite" and st["speaking"] == 1
    assert st["heartbeats"] == 1 and st["acks_sent"] == 1
    assert st["user_id"] == USER and st["session_id"] == f"session-{GUILD}"
    assert st["discovered_from"] == st["client_address"]
    assert st["last_arrival"] - st["first_arrival"] == pytest.approx(249 * 0.02, abs=0.25)
    deadline = time.monotonic() + 5  # the gateway notices the client's close on its own task
    while sim.stats()[GUILD]["connected"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sim.stats()[GUILD]["connected"] is False


def test_v8_adds_seq_and_acks_t(sim):
    async def scenario():
        c = Client(sim, version=8)
        await c.handshake()
        await c.send(3, {"t": 99, "seq_ack": c.messages[-1]["seq"]})
        ack = await c.recv(6)
        await c.close()
        return c.messages, ack

    msgs, ack = run(scenario())
    assert [m["seq"] for m in msgs] == list(range(1, len(msgs) + 1))
    assert ack["d"] == {"t": 99}
    assert sim.stats()[GUILD]["gateway_version"] == 8


def test_close_with_4006_reaches_the_client(sim):
    async def scenario():
        c = Client(sim)
        await c.handshake()
        await asyncio.get_running_loop().run_in_executor(None, sim.close, GUILD, 4006, "gone")
        with pytest.raises(ConnectionClosed) as info:
            await c.recv(timeout=3)
        await c.close()
        return info.value

    closed = run(scenario())
    assert closed.rcvd is not None and closed.rcvd.code == 4006 and closed.rcvd.reason == "gone"
    st = sim.stats()[GUILD]
    assert st["close_code"] == 4006 and st["connected"] is False


def test_ready_delay_holds_back_ready_and_zero_restores_it(sim):
    async def timed_identify(guild: str) -> float:
        c = Client(sim, guild=guild)
        await c.open()
        c.hello = await c.recv()
        began = time.monotonic()
        await c.send(0, {"server_id": guild, "user_id": USER, "session_id": c.session_id, "token": c.token})
        await c.recv(2, timeout=10)
        await c.close()
        return time.monotonic() - began

    sim.set_ready_delay(1.5)
    slow = run(timed_identify("900001"))
    sim.set_ready_delay(0)
    fast = run(timed_identify("900002"))
    assert 1.5 <= slow < 8, slow
    assert fast < 1.0, fast
    with pytest.raises(ValueError, match="0..60"):
        sim.set_ready_delay(-1)


def test_go_silent_stops_heartbeat_acks(sim):
    async def scenario():
        c = Client(sim)
        await c.handshake()
        await c.send(3, 1)
        assert (await c.recv(6))["d"] == 1
        sim.go_silent(GUILD)
        await c.send(3, 2)
        with pytest.raises(asyncio.TimeoutError):
            await c.recv(6, timeout=0.5)
        sim.go_silent(GUILD, False)
        await c.send(3, 3)
        assert (await c.recv(6))["d"] == 3
        await c.close()

    run(scenario())
    st = sim.stats()[GUILD]
    assert st["heartbeats"] == 3 and st["acks_sent"] == 2


def test_resume_keeps_the_session_and_unknown_resume_gets_4006(sim):
    async def scenario():
        c = Client(sim)
        await c.handshake()
        ssrc = c.ready["ssrc"]
        await c.ws.close()
        r = Client(sim)
        await r.open()
        await r.recv(8)
        await r.send(7, {"server_id": GUILD, "session_id": c.session_id, "token": c.token})
        resumed = await r.recv(9)
        await r.close()
        bad = Client(sim)
        await bad.open()
        await bad.send(7, {"server_id": GUILD, "session_id": "other", "token": c.token})
        with pytest.raises(ConnectionClosed) as info:
            await bad.recv(9)
        c.udp.close()
        return ssrc, resumed, info.value.rcvd.code

    ssrc, resumed, code = run(scenario())
    assert resumed == {"op": 9, "d": None}
    assert code == 4006
    st = sim.stats()[GUILD]
    assert st["ssrc"] == ssrc and st["resumes"] == 1


@pytest.mark.parametrize(
    "steps, code",
    [
        ("bad-version", 4012),
        ("select-before-identify", 4003),
        ("bad-mode", 4016),
        ("twice", 4005),
    ],
)
def test_protocol_errors_close_with_discord_codes(sim, steps, code):
    async def scenario():
        c = Client(sim, version=3 if steps == "bad-version" else 4)
        await c.open()
        if steps == "select-before-identify":
            await c.send(1, {"protocol": "udp", "data": {"address": "x", "port": 1, "mode": MODES[0]}})
        elif steps == "bad-mode":
            await c.identify()
            await c.send(1, {"protocol": "udp", "data": {"address": "127.0.0.1", "port": 1, "mode": "plain"}})
        elif steps == "twice":
            await c.identify()
            await c.send(0, {"server_id": GUILD, "user_id": USER, "session_id": "s", "token": "t"})
        with pytest.raises(ConnectionClosed) as info:
            for _ in range(5):
                await c.recv(timeout=3)
        return info.value.rcvd.code

    assert run(scenario()) == code


def test_each_guild_gets_its_own_ssrc(sim):
    async def scenario():
        clients = [Client(sim, guild=str(1000 + i)) for i in range(3)]
        for c in clients:
            await c.handshake()
        for c in clients:
            await c.close()
        return [c.ready["ssrc"] for c in clients]

    ssrcs = run(scenario())
    assert len(set(ssrcs)) == 3
    assert {g: s["ssrc"] for g, s in sim.stats().items()} == {str(1000 + i): x for i, x in enumerate(ssrcs)}


# --- UDP reading controls and throughput -----------------------------------------------------
@pytest.mark.parametrize("backend", ["thread", "asyncio"])
def test_pause_reading_fills_the_kernel_buffer_and_drops_are_counted(backend):
    with VoiceSimulator(rcvbuf=64 * 1024, udp_backend=backend) as sim:
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tx.connect(("127.0.0.1", sim.udp_port))
        sim.pause_reading()
        for i in range(3000):
            tx.send(rtp_packet(i, i * 960, 77, bytes(120)))
        time.sleep(0.2)
        assert sim.totals()["packets"] == 0
        drops = sim.kernel_drops()
        sim.resume_reading()
        deadline = time.monotonic() + 3
        while sim.totals()["packets"] + drops < 3000 and time.monotonic() < deadline:
            time.sleep(0.02)
        counted = sim.totals()["packets"]
        # loss at the tail is invisible to sequence numbers until the next packet arrives
        assert sim.ssrc_stats()[77]["gaps"] == 0
        tx.send(rtp_packet(3000, 3000 * 960, 77, bytes(120)))
        sim_wait = time.monotonic() + 2
        while sim.totals()["packets"] == counted and time.monotonic() < sim_wait:
            time.sleep(0.01)
        gaps = sim.ssrc_stats()[77]["gaps"]
        tx.close()
    assert drops is not None and drops > 0
    assert counted + drops == 3000
    assert gaps == drops


def test_200_streams_10000_packets_in_one_second_none_lost(sim):
    from lavametrics.devtools.voicesim.bench import send_streams

    base = 0x50000
    drops0 = sim.kernel_drops()
    sent, elapsed, _ = send_streams(sim.udp_port, 200, 1.0, base_ssrc=base)
    assert sent == 10_000
    deadline = time.monotonic() + 3
    while sim.totals()["packets"] < sent and time.monotonic() < deadline:
        time.sleep(0.02)
    per = sim.ssrc_stats()
    assert len(per) == 200
    assert all(per[base + i]["packets"] == 50 and per[base + i]["gaps"] == 0 for i in range(200))
    assert sim.totals()["packets"] == 10_000
    assert sim.kernel_drops() == drops0


# --- TLS material for the JVM ----------------------------------------------------------------
def _keytool_or_skip() -> str:
    from tests.conftest import require

    try:
        return find_keytool()
    except Exception:  # noqa: BLE001
        require(False, "keytool (a JDK: set JAVA_HOME or put its java on PATH)")
        raise


def test_truststore_and_jvm_args(sim):
    keytool = _keytool_or_skip()
    args = sim.jvm_args()
    assert args == [
        f"-Djavax.net.ssl.trustStore={sim.truststore_path}",
        f"-Djavax.net.ssl.trustStorePassword={sim.truststore_password}",
        "-Djavax.net.ssl.trustStoreType=PKCS12",
    ]
    out = subprocess.run(
        [
            keytool,
            "-list",
            "-keystore",
            str(sim.truststore_path),
            "-storetype",
            "PKCS12",
            "-storepass",
            sim.truststore_password,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "lavametrics-voicesim" in out.stdout and "trustedCertEntry" in out.stdout


def test_certificate_names_localhost_and_loopback_ip(sim):
    openssl = require_tool("openssl")
    out = subprocess.run(
        [openssl, "x509", "-in", str(sim.cert_path), "-noout", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "DNS:localhost" in out and "IP Address:127.0.0.1" in out
