"""The Opus codec's own playout timeline (softphone/sip/audio/opus_playout.c), driven with
timestamps alone: packets are known by a tag, each tick says what it plays.

A tick is one decode or recover call from pjmedia; packets reach the timeline as they arrive
(the codec's parse). Whatever pjmedia's jitter buffer makes of a late packet, the codec plays
its own next frame: these pin what that is.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

opus = pytest.importorskip("softphone.sip.audio._opus")

FRAME = 960  # 20 ms at the RTP clock of 48 kHz
WHAT = ("silence", "packet", "fec", "conceal")


class Timeline:
    def __init__(self, start_ts: int = 5000) -> None:
        self.p = opus.lib.sp_playout_test_new(FRAME)
        self.start = start_ts
        self.tag = opus.ffi.new("int *")
        self.skipped = opus.ffi.new("int *")

    def close(self) -> None:
        opus.lib.sp_playout_test_free(self.p)

    def put(self, n: int, ts: int | None = None) -> int:
        """Packet number n (tag n) arrives; returns sp_put (0 stored, 1 late, 2 duplicate)."""
        stamp = (self.start + n * FRAME if ts is None else ts) & 0xFFFFFFFF
        return int(opus.lib.sp_playout_test_put(self.p, stamp, FRAME, n % 256))

    def tick(self) -> tuple[str, int]:
        what = int(opus.lib.sp_playout_test_tick(self.p, self.tag, self.skipped))
        return WHAT[what], int(self.tag[0])

    def skipped_tag(self) -> int:
        return int(self.skipped[0])


@pytest.fixture
def tl() -> Iterator[Timeline]:
    t = Timeline()
    yield t
    t.close()


def run(tl: Timeline, arrivals: list[list[int]]) -> list[tuple[str, int]]:
    """Per tick: the packets that arrive just before it; returns what each tick played."""
    played = []
    for packets in arrivals:
        for n in packets:
            tl.put(n)
        played.append(tl.tick())
    return played


def test_each_packet_plays_once_in_order_one_frame_behind(tl: Timeline) -> None:
    played = run(tl, [[n] for n in range(6)])
    assert played == [("silence", -1)] + [("packet", n) for n in range(5)]


def test_a_lost_packet_comes_back_from_the_next_packets_fec_in_its_own_turn(tl: Timeline) -> None:
    played = run(tl, [[0], [1], [2], [], [4], [5], [6]])  # 3 never arrives
    assert played[1:] == [("packet", 0), ("packet", 1), ("packet", 2), ("fec", 4),
                          ("packet", 4), ("packet", 5)]


def test_two_lost_in_a_row_conceal_the_first_and_rebuild_the_second(tl: Timeline) -> None:
    played = run(tl, [[0], [1], [], [], [4], [5]])  # 2 and 3 never arrive
    assert played[1:] == [("packet", 0), ("packet", 1), ("conceal", -1), ("fec", 4),
                          ("packet", 4)]


def test_a_packet_that_comes_after_its_turn_is_not_played_out_of_turn(tl: Timeline) -> None:
    # 3 is 45 ms late: its turn comes (from 4's FEC) before it does. pjmedia's buffer would
    # play it after that and everything after it 20 ms late; here it goes in once, as the
    # frame that holds back one more (the delay grows for a jittery link), and nothing repeats
    # or goes missing after it.
    played = run(tl, [[0], [1], [2], [], [4], [3, 5], [6], [7], [8]])
    assert played[1:5] == [("packet", 0), ("packet", 1), ("packet", 2), ("fec", 4)]
    assert played[5] == ("packet", 3)  # the late one, in the tick that holds back one more
    assert played[6:] == [("packet", 4), ("packet", 5), ("packet", 6)]


def test_a_reordered_packet_is_played_in_its_turn(tl: Timeline) -> None:
    played = run(tl, [[0], [1], [3], [2], [4], [5]])  # 2 and 3 swapped on the way
    assert played[1:] == [("packet", 0), ("packet", 1), ("packet", 2), ("packet", 3),
                          ("packet", 4)]


def test_duplicates_play_once(tl: Timeline) -> None:
    assert tl.put(0) == 0 and tl.put(0) == 2
    played = run(tl, [[], [1, 1], [2], [3]])
    assert played[1:] == [("packet", 0), ("packet", 1), ("packet", 2)]


def test_a_far_clock_running_fast_drops_a_frame_instead_of_piling_up(tl: Timeline) -> None:
    # every tick brings a packet, and every 60th two (a clock far faster than real clocks
    # drift): the held-back delay would grow by a frame each time (tags stay under 256)
    arrivals = [[0], [1]]
    n = 2
    for i in range(240):
        extra = 2 if i % 60 == 30 else 1
        arrivals.append(list(range(n, n + extra)))
        n += extra
    tl_played = run(tl, arrivals)
    tags = [tag for what, tag in tl_played if what == "packet"]
    assert tags == sorted(tags) and len(set(tags)) == len(tags)  # never back, never twice
    newest, playing = n - 1, tags[-1]
    assert newest - playing <= 3, (newest, playing)  # the delay stays small


def test_after_a_long_silence_from_pjmedia_it_jumps_to_the_newest(tl: Timeline) -> None:
    run(tl, [[0], [1], [2]])
    for n in range(3, 60):  # 1.1 s of packets and no tick (pjmedia stopped asking)
        tl.put(n)
    what, tag = tl.tick()
    assert what == "packet" and tag >= 57, (what, tag)
    assert tl.tick() == ("packet", tag + 1)


def test_timestamps_that_start_anew_restart_the_timeline(tl: Timeline) -> None:
    run(tl, [[0], [1], [2]])
    far = tl.start + 10_000_000
    played = []
    for n in range(4):
        tl.put(100 + n, ts=far + n * FRAME)
        played.append(tl.tick())
    assert played == [("silence", -1), ("packet", 100), ("packet", 101), ("packet", 102)]


def test_timestamps_wrap_around(tl: Timeline) -> None:
    t = Timeline(start_ts=0xFFFFFFFF - 2 * FRAME)
    try:
        played = run(t, [[n] for n in range(6)])
        assert played[1:] == [("packet", n) for n in range(5)]
    finally:
        t.close()


def test_a_far_end_that_pauses_and_goes_on_where_it_was_is_heard_again(tl: Timeline) -> None:
    run(tl, [[0], [1], [2], [3]])
    for _ in range(40):  # 800 ms of ticks with nothing (the far end paused)
        tl.tick()
    # it goes on with the timestamps where it stopped: behind the timeline, all of it late
    played = run(tl, [[n] for n in range(4, 40)])
    assert ("packet", 38) in played, played  # heard again after half a second, not never
