"""The parts of aiortc the transport reaches into, checked against the installed release.

The receive path swaps aiortc's jitter buffer and NACK generator, wraps its RTP
handler and sends PLI/FIR through private methods; the camera track learns of
keyframe requests through a private sender method. Every one of these degrades
silently (the hook is skipped) if a release renames it, so this test is where a
new aiortc says loudly what moved: pin the tested range in pyproject.toml until
the transport is adapted.
"""

from __future__ import annotations

import inspect

import aiortc
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcrtpreceiver import NackGenerator, RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender

from spaces_desktop.transport import receive_guard

TESTED = ("1.16",)


def test_this_is_a_tested_aiortc_release() -> None:
    assert aiortc.__version__.startswith(TESTED), (
        f"aiortc {aiortc.__version__} is untested: check the internals below, then widen the range"
    )


def test_receiver_internals_the_receive_guard_hooks_exist() -> None:
    receiver = RTCRtpReceiver("video", transport=_FakeTransport())  # type: ignore[arg-type]
    missing = [name for name in receive_guard._NEEDED if not hasattr(receiver, receive_guard._PRIVATE + name)]
    assert missing == [], f"RTCRtpReceiver no longer has {missing}"
    for method in ("_handle_rtp_packet", "_send_rtcp_pli", "_send_rtcp"):
        assert inspect.iscoroutinefunction(getattr(RTCRtpReceiver, method)), method
    assert list(inspect.signature(RTCRtpReceiver._handle_rtp_packet).parameters) == [
        "self",
        "packet",
        "arrival_time_ms",
    ]
    assert receive_guard._hookable(receiver)


def test_jitter_buffer_and_nack_generator_keep_their_shape() -> None:
    buffer = JitterBuffer(capacity=16, is_video=True)
    for attribute in ("_packets", "_origin", "_capacity"):
        assert hasattr(buffer, attribute), attribute
    assert callable(getattr(JitterBuffer, "_remove_frame", None))
    assert {"data", "timestamp"} <= set(inspect.signature(JitterFrame).parameters)
    generator = NackGenerator()
    assert hasattr(generator, "missing") and callable(generator.add)
    # The receiver leaves each packet's depacketized payload in `_data`; the buffers join those.
    assert "packet._data = " in inspect.getsource(RTCRtpReceiver._handle_rtp_packet)


def test_sender_still_reports_keyframe_requests_through_send_keyframe() -> None:
    assert callable(getattr(RTCRtpSender, "_send_keyframe", None))


class _FakeTransport:
    """Just enough of an RTCDtlsTransport for a receiver to be constructed."""

    state = "new"

    class transport:
        @staticmethod
        def _register_rtp_receiver(*_: object) -> None: ...
