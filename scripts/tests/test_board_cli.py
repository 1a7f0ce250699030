"""``mgd build --board`` and ``mgd host``: bad input refused with one line before any tool runs, the pins a
board build requests, the host driver's errors on a scripted transport, and (marked synth) the iCEBreaker
bitstream the README's command builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from golden_model.config import from_preset, to_toml
from rtl.board import protocol as P
from rtl.board.host import BadReply, BoardError, HostLink, LinkTimeout, TauRefused
from rtl.board.top import BOARDS, BoardTop
from scripts.cli import main


@pytest.fixture
def no_build(monkeypatch):
    """Fail the test if a bad input reaches the platform build."""
    def boom(self):
        raise AssertionError("the board build started on bad input")
    monkeypatch.setattr("rtl.board.top.Board.make_platform", boom)


BAD = [
    (["--board", "de10"], ["--board must be one of 'icebreaker', 'ulx3s-85f', not 'de10'"]),
    (["--board", "icebreaker", "--baud", "4000000"], ["--baud: baud 4000000 is too fast for a 12 MHz clock",
                                                      "at most 3000000"]),
    (["--board", "icebreaker", "--baud", "2000000"], ["--baud: baud 2000000 is 0.0 % off"]),  # replaced below
    (["--board", "icebreaker", "--baud", "0"], ["--baud must be"]),
    (["--board", "icebreaker", "--preset", "digits"], ["does not fit ice40-up5k", "task.dataset"]),
    (["--board", "icebreaker", "--out", "{F}/sub"], ["--out", "is a file, not a folder"]),
]
# 12 MHz / 1.75 MHz = 6.86 clocks a bit: rounded to 7, 2.0 % off; 1.8 MHz: 6.67 -> 7, 4.8 % off
BAD[2] = (["--board", "icebreaker", "--baud", "1800000"], ["--baud: baud 1800000 is 4.8 % off", "7 clocks"])


@pytest.mark.parametrize("argv,expected", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_build_input_is_one_line_before_any_tool(argv, expected, no_build, capsys, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    argv = [a.replace("{F}", str(f)) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "new")]
    assert main(["build", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    err = [line for line in err if not line.startswith("mgd: note:")]
    assert len(err) == 1 and err[0].startswith("mgd: error: "), err
    for text in expected:
        assert text in err[0], err[0]
    assert not (tmp_path / "new").exists()


def test_host_bad_port_is_one_line(capsys, tmp_path):
    assert main(["host", "identify", "--port", str(tmp_path / "no-such-tty")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--port" in err[0] and "cannot be opened" in err[0], err


@pytest.mark.parametrize("board,pins", [
    ("icebreaker", ["set_io uart_0__rx__io 6", "set_io uart_0__tx__io 9", "set_io led_0__io 11",
                    "set_frequency clk12_0__io 12.0"]),
    ("ulx3s-85f", ['LOCATE COMP "uart_0__rx__io" SITE "M1"', 'LOCATE COMP "uart_0__tx__io" SITE "L4"',
                   'FREQUENCY PORT "clk25_0__io" 25000000.0 HZ'])])
def test_board_build_requests_the_uart_led_and_clock_pins(board, pins):
    b = BOARDS[board]
    plan = b.make_platform().build(BoardTop(from_preset("xor"), 8), name="mgd_board", do_build=False)
    constraints = plan.files["mgd_board.pcf" if b.suffix == "bin" else "mgd_board.lpf"]
    if isinstance(constraints, bytes):
        constraints = constraints.decode()
    for pin in pins:
        assert pin in constraints, constraints


class Scripted:
    """A transport that answers with ``replies`` (then nothing: a timeout) and records what was sent."""

    def __init__(self, replies: bytes) -> None:
        self.replies, self.sent = bytearray(replies), bytearray()

    def write(self, data: bytes) -> None:
        self.sent += data

    def read(self, n: int) -> bytes:
        out, self.replies = bytes(self.replies[:n]), self.replies[n:]
        return out


def _identify_reply(config_toml: str, version: int = P.VERSION) -> bytes:
    values = {"version": version, "n_params": 9, "theta_width": 16, "grad_width": 18, "momentum_width": 0,
              "cost_width": 17, "lanes": 9, "tau_theta_max": 1, "load_beats": 0, "load_width": 0,
              "config_id": P.config_id(config_toml)}
    return bytes([P.OK]) + b"".join(values[k].to_bytes(n, "little") for k, n in P.IDENTIFY_FIELDS)


def test_host_driver_errors():
    toml = to_toml(from_preset("xor"))
    with pytest.raises(LinkTimeout, match="identify: the board sent 0 of 1 bytes"):
        HostLink(Scripted(b"")).identify()
    with pytest.raises(BadReply, match="protocol version 7"):
        HostLink(Scripted(_identify_reply(toml, 7))).identify()
    with pytest.raises(BadReply, match="another configuration"):
        HostLink(Scripted(_identify_reply(toml)), expect_config=toml + "#").identify()
    with pytest.raises(BadReply, match="status byte 0x99"):
        HostLink(Scripted(bytes([0x99, 0]))).status()
    with pytest.raises(TauRefused) as exc:
        HostLink(Scripted(bytes([P.ERR_REFUSED, 2]))).run(10, tau_x=1, tau_p=1, tau_theta=5)
    assert exc.value.refused == 2
    with pytest.raises(ValueError, match="tau_theta must be 0 to 2097151"):
        HostLink(Scripted(b"")).run(10, tau_x=1, tau_p=1, tau_theta=1 << 21)
    with pytest.raises(BoardError, match="no sample-load port"):
        HostLink(Scripted(_identify_reply(toml))).load([1, 2])
    link = HostLink(Scripted(_identify_reply(toml) + bytes([P.OK]) + (-2).to_bytes(2, "little", signed=True)
                             + (5).to_bytes(3, "little")), expect_config=toml)
    theta, grad, mom = link.read_params(3, 1)
    assert (theta.tolist(), grad.tolist(), mom.tolist()) == ([-2], [5], [0])
    assert bytes(link.transport.sent[-5:]) == bytes([P.READ, 3, 0, 1, 0])


@pytest.mark.synth
def test_mgd_build_icebreaker_writes_the_bitstream(capsys, tmp_path):
    """The README's command: the bitstream, its report (timing met at 12 MHz) and the commands printed."""
    out = tmp_path / "icebreaker"
    assert main(["build", "--board", "icebreaker", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    bitstream = out / "icebreaker.bin"
    data = bitstream.read_bytes()
    assert data[:4] == bytes([0xFF, 0x00, 0x00, 0xFF]) and bytes([0x7E, 0xAA, 0x99, 0x7E]) in data[:64]
    assert len(data) > 100_000  # a full UP5K image is 104,090 bytes
    report = json.loads((out / "board_report.json").read_text())
    assert report["fmax_mhz"] >= 12.0 and report["clocks_per_bit"] == 104
    assert report["utilisation"]["ICESTORM_LC"]["used"] <= 5280
    assert f"iceprog {bitstream}" in printed and "mgd host --port" in printed
    assert Path(out / "config.toml").read_text() == to_toml(from_preset("xor"))
