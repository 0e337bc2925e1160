"""Stage director: decides whose video fills the stage, from per-frame audio levels.

The video grid enlarges whoever holds the floor. A wrong switch (to someone who
only said "mm-hm" or coughed) is more disturbing than a switch that comes a
little late, but a late switch after a clean hand-over feels sluggish. The
director is therefore fast when the floor is free and stubborn while it is held.

How it decides, and why:

1. **Speech frames.** A 20 ms frame counts as speech when its level is above
   ``speech_threshold_dbov`` *and* ``noise_margin_db`` above that participant's
   own noise floor (a minimum tracker that starts at their first frame and
   rises slowly), so a noisy room does not look like talking. Every later rule
   counts speech *time* and never compares loudness across people, so a quieter
   microphone or a quieter voice is not at a disadvantage. When
   a spectral-flatness value is supplied, the most noise-like frames (clicks,
   white-noise bursts) are not speech either: voiced speech is harmonic.
2. **Talkspurts.** Speech frames separated by less than ``spurt_gap_s`` belong to
   one talkspurt; a participant "is speaking" while the last speech frame is
   younger than that gap. This bridges the dips between syllables.
3. **Free floor, fast switch.** The floor is free when nobody is on stage or the
   person on stage has been silent for ``floor_release_s`` — longer than a
   normal pause inside a turn (people pause up to about a third of a second
   mid-sentence), shorter than the silence that ends a turn. Then whoever is
   speaking and has ``onset_s`` of speech in the current talkspurt takes the
   stage (the most speech wins a tie). ``onset_s`` is just long enough to
   ignore clicks and short noises.
4. **Held floor, stubborn.** While the person on stage keeps talking, a
   backchannel ("mm-hm", "yeah", often as loud as the turn itself) is short and
   sits on top of ongoing speech. Following Jitsi's dominant-speaker idea, a
   challenger must beat the incumbent's speech activity on *every* time scale
   in ``dominance_scales_s`` (exponential averages, short to long) by
   ``dominance_margin``, continuously for ``dominance_hold_s``. A second of
   "mm-hm" can win the short scale but never the long one, whereas someone who
   really takes over and keeps talking over the incumbent wins them all within
   two to three seconds. Activity is speech *time*, not loudness, so two people
   talking over each other non-stop leave the incumbent on stage (pin is the
   escape). In the usual hand-over the incumbent simply stops, and rule 3
   switches long before rule 4 would.
5. **Nobody talking keeps the stage.** Silence never empties the stage; the last
   speaker stays until someone else takes the floor.
6. **Manual pin** overrides everything; automatic tracking continues underneath,
   so unpinning returns to whoever holds the floor at that moment.

Every decision also leaves a typed note (``domain.director.DirectorNote``): who took
the stage and on which rule, and the remarks that did *not* switch it (a
backchannel over a held floor, a sound too short for a free one), so a host's
panel can say why. ``drain_notes`` hands them out once each.

Threading: a ``StageDirector`` is not thread-safe; feed and tick it from one
thread (the audio/engine thread) and hand switches to the GUI as events.
Cost: ``feed`` is O(1) per frame, ``tick`` is O(participants).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from spaces_desktop.domain.director import DirectorNote, ReasonKind
from spaces_desktop.media.levels import LEVEL_FLOOR_DBOV


@dataclass(frozen=True, slots=True)
class StageDirectorSettings:
    """Tuning of the active-speaker detector (user-adjustable, all times in seconds)."""

    speech_threshold_dbov: float = -45.0
    """Frames quieter than this never count as speech, whatever the room noise."""

    noise_margin_db: float = 12.0
    """A speech frame must also be this far above the participant's own noise floor."""

    noise_floor_rise_db_per_s: float = 3.0
    """How fast the noise-floor estimate may creep up when no quieter frame arrives."""

    max_speech_flatness: float = 0.45
    """Frames with a spectral flatness above this (white-noise-like: clicks, bursts) are not speech.

    Fricatives ("s", "f") are noise-like too, so this only rejects the flattest
    frames; duration (``onset_s``) remains the main guard against short noises.
    """

    spurt_gap_s: float = 0.2
    """Silence that ends a talkspurt; shorter gaps between syllables are bridged."""

    onset_s: float = 0.16
    """Speech a participant needs in the current talkspurt to take a free floor."""

    floor_release_s: float = 0.45
    """Silence after which the person on stage no longer holds the floor."""

    dominance_scales_s: tuple[float, ...] = (0.3, 1.0, 2.0)
    """Time constants of the speech-activity averages a challenger must win, short to long."""

    dominance_margin: float = 0.15
    """By how much (activity fraction, 0..1) a challenger must lead on every time scale."""

    dominance_hold_s: float = 0.3
    """How long a challenger must keep that lead before taking a held floor."""

    max_frame_gap_s: float = 0.1
    """Longest gap between two frames of one participant still counted as continuous audio."""

    def __post_init__(self) -> None:
        if not self.dominance_scales_s or min(self.dominance_scales_s) <= 0:
            raise ValueError("dominance_scales_s needs at least one positive time constant")
        if self.onset_s < 0 or self.floor_release_s < 0 or self.spurt_gap_s <= 0:
            raise ValueError("onset_s, floor_release_s must be >= 0 and spurt_gap_s > 0")


@dataclass(frozen=True, slots=True)
class StageSwitch:
    """One change of who is on stage."""

    time_s: float
    from_id: str | None
    to_id: str | None
    reason: str
    note: DirectorNote | None = None
    """The same decision, typed."""


_NEVER = -math.inf
_DEFAULT_FRAME_S = 0.02
MIN_NOTED_SPEECH_S = 0.04
"""Talkspurts with less speech than this (a click) leave no note; they never switch anything."""


@dataclass(slots=True)
class _Talker:
    """What the director remembers about one participant's audio."""

    noise_floor_dbov: float
    activity: list[float]
    last_feed_s: float | None = None
    last_speech_s: float = _NEVER
    spurt_speech_s: float = 0.0

    def speaking(self, now: float, gap_s: float) -> bool:
        return now - self.last_speech_s < gap_s

    def activity_at(self, now: float, scales: tuple[float, ...]) -> list[float]:
        """Activity averages decayed to ``now``, so a participant whose audio stopped arriving fades out."""
        idle = 0.0 if self.last_feed_s is None else max(0.0, now - self.last_feed_s)
        if idle == 0.0:
            return list(self.activity)
        return [a * math.exp(-idle / tau) for a, tau in zip(self.activity, scales, strict=True)]


@dataclass(slots=True)
class _Challenge:
    participant_id: str
    since_s: float


class StageDirector:
    """Active-speaker detector for the stage. Feed it levels, tick it, read ``current``.

    Typical use, every 20 ms: ``feed()`` once per participant with that frame's
    level (and optionally its spectral flatness), then ``tick()`` once.
    """

    def __init__(self, settings: StageDirectorSettings | None = None, max_log: int = 1000) -> None:
        self.settings = settings if settings is not None else StageDirectorSettings()
        self._talkers: dict[str, _Talker] = {}
        self._auto: str | None = None
        self._pinned: str | None = None
        self._challenge: _Challenge | None = None
        self._now = 0.0
        self._log: deque[StageSwitch] = deque(maxlen=max_log)
        self._notes: deque[DirectorNote] = deque(maxlen=max_log)
        self._spurting: set[str] = set()
        """Who was in a talkspurt at the last tick: a spurt that ended since gets its note."""

    def __repr__(self) -> str:
        return f"StageDirector(current={self.current!r}, automatic={self._auto!r}, pinned={self._pinned!r})"

    # -- state -------------------------------------------------------------------------------

    @property
    def current(self) -> str | None:
        """Who is on stage now: the pinned participant, else the automatic choice."""
        return self._pinned if self._pinned is not None else self._auto

    @property
    def automatic(self) -> str | None:
        """Who the detector would show without a pin."""
        return self._auto

    @property
    def pinned(self) -> str | None:
        return self._pinned

    @property
    def switches(self) -> tuple[StageSwitch, ...]:
        """Stage changes, oldest first (the most recent ``max_log``)."""
        return tuple(self._log)

    def drain_notes(self) -> list[DirectorNote]:
        """The decisions noted since the last call, oldest first."""
        notes = list(self._notes)
        self._notes.clear()
        return notes

    def speaking(self, time_s: float | None = None) -> list[str]:
        """Participants currently in a talkspurt (for a "speaking" ring on their tiles)."""
        now = self._now if time_s is None else time_s
        return [pid for pid, t in self._talkers.items() if t.speaking(now, self.settings.spurt_gap_s)]

    # -- input -------------------------------------------------------------------------------

    def feed(
        self,
        participant_id: str,
        time_s: float,
        level_dbov: float,
        flatness: float | None = None,
    ) -> None:
        """Account one audio frame of one participant; ``time_s`` is when the frame ends.

        ``flatness`` (from ``levels.spectral_flatness``) is optional; without it
        only the level decides whether the frame is speech. It is only looked at
        for frames at or above ``speech_threshold_dbov``, so callers can skip
        computing it for quieter frames.
        """
        s = self.settings
        talker = self._talkers.get(participant_id)
        if talker is None:
            # Start the noise floor at the first frame: a steady noisy microphone is then never
            # taken for speech, and real speech dips to the floor within a syllable or two.
            talker = _Talker(
                noise_floor_dbov=max(level_dbov, LEVEL_FLOOR_DBOV),
                activity=[0.0] * len(s.dominance_scales_s),
            )
            self._talkers[participant_id] = talker
        if talker.last_feed_s is None:
            dt = _DEFAULT_FRAME_S
        else:
            dt = min(max(time_s - talker.last_feed_s, 0.0), s.max_frame_gap_s)
        talker.last_feed_s = time_s
        self._now = max(self._now, time_s)

        # Minimum tracker: follows the level down at once, up only slowly.
        if level_dbov < talker.noise_floor_dbov:
            talker.noise_floor_dbov = max(level_dbov, LEVEL_FLOOR_DBOV)
        else:
            talker.noise_floor_dbov += s.noise_floor_rise_db_per_s * dt

        is_speech = (
            level_dbov >= s.speech_threshold_dbov
            and level_dbov >= talker.noise_floor_dbov + s.noise_margin_db
            and (flatness is None or flatness <= s.max_speech_flatness)
        )
        if is_speech:
            if time_s - talker.last_speech_s >= s.spurt_gap_s:
                talker.spurt_speech_s = 0.0
            talker.spurt_speech_s += dt
            talker.last_speech_s = time_s

        x = 1.0 if is_speech else 0.0
        activity = talker.activity
        for i, tau in enumerate(s.dominance_scales_s):
            activity[i] += (x - activity[i]) * (1.0 - math.exp(-dt / tau))

    def update(
        self,
        time_s: float,
        levels: Mapping[str, float],
        flatness: Mapping[str, float] | None = None,
    ) -> StageSwitch | None:
        """Feed one frame for several participants at once, then tick."""
        for pid, level in levels.items():
            self.feed(pid, time_s, level, None if flatness is None else flatness.get(pid))
        return self.tick(time_s)

    # -- decisions ---------------------------------------------------------------------------

    def tick(self, time_s: float) -> StageSwitch | None:
        """Decide at ``time_s``; returns the stage switch if the stage changed, else None."""
        self._now = max(self._now, time_s)
        s = self.settings
        incumbent = self._talkers.get(self._auto) if self._auto is not None else None
        silent_s = math.inf if incumbent is None else time_s - incumbent.last_speech_s
        self._note_ended_spurts(time_s, held=silent_s < s.floor_release_s)

        if silent_s >= s.floor_release_s:
            self._challenge = None
            best: tuple[float, str] | None = None
            for pid, t in self._talkers.items():
                if pid == self._auto or not t.speaking(time_s, s.spurt_gap_s):
                    continue
                if t.spurt_speech_s >= s.onset_s and (best is None or t.spurt_speech_s > best[0]):
                    best = (t.spurt_speech_s, pid)
            if best is None:
                return None
            quiet = "" if incumbent is None else f" ({self._auto} silent {_ms(silent_s)} ms)"
            note = DirectorNote(
                time_s,
                ReasonKind.FLOOR_FREE,
                best[1],
                self._auto,
                speech_s=best[0],
                silence_s=0.0 if incumbent is None else silent_s,
                needed_s=s.onset_s,
            )
            return self._set_auto(
                best[1], time_s, f"floor free{quiet}: {best[1]} speaking {_ms(best[0])} ms", note
            )

        assert incumbent is not None
        return self._contest(incumbent, time_s)

    def _contest(self, incumbent: _Talker, now: float) -> StageSwitch | None:
        """Held floor: a challenger must out-talk the incumbent on every time scale, for a while."""
        s = self.settings
        held = incumbent.activity_at(now, s.dominance_scales_s)
        leader: tuple[float, str, list[float]] | None = None
        for pid, t in self._talkers.items():
            if pid == self._auto or not t.speaking(now, s.spurt_gap_s):
                continue
            act = t.activity_at(now, s.dominance_scales_s)
            if all(a >= h + s.dominance_margin for a, h in zip(act, held, strict=True)) and (
                leader is None or act[-1] > leader[0]
            ):
                leader = (act[-1], pid, act)
        if leader is None:
            self._challenge = None
            return None
        _, pid, act = leader
        if self._challenge is None or self._challenge.participant_id != pid:
            self._challenge = _Challenge(pid, now)
            if s.dominance_hold_s > 0:
                return None
        lead_s = now - self._challenge.since_s
        if lead_s < s.dominance_hold_s:
            return None
        scales = "/".join(f"{tau:g}" for tau in s.dominance_scales_s)
        ours = "/".join(f"{a:.2f}" for a in act)
        theirs = "/".join(f"{h:.2f}" for h in held)
        reason = (
            f"challenger {pid} out-talks {self._auto} on {scales} s scales "
            f"({ours} vs {theirs}) for {_ms(lead_s)} ms"
        )
        spurt = self._talkers[pid].spurt_speech_s
        note = DirectorNote(
            now, ReasonKind.TAKEOVER, pid, self._auto, speech_s=spurt, needed_s=s.dominance_hold_s
        )
        return self._set_auto(pid, now, reason, note)

    def _note_ended_spurts(self, now: float, held: bool) -> None:
        """Notes the talkspurts that ended since the last tick without taking the stage."""
        s = self.settings
        speaking = {pid for pid, t in self._talkers.items() if t.speaking(now, s.spurt_gap_s)}
        for pid in self._spurting - speaking:
            talker = self._talkers.get(pid)
            if talker is None or pid == self.current or talker.spurt_speech_s < MIN_NOTED_SPEECH_S:
                continue
            if held and self._auto is not None:
                kind = ReasonKind.HELD
                needed = s.dominance_hold_s
            elif talker.spurt_speech_s < s.onset_s:
                kind = ReasonKind.TOO_SHORT
                needed = s.onset_s
            else:
                continue
            self._notes.append(
                DirectorNote(now, kind, pid, self._auto, speech_s=talker.spurt_speech_s, needed_s=needed)
            )
        self._spurting = speaking

    # -- manual control and membership -------------------------------------------------------

    def pin(self, participant_id: str | None, time_s: float | None = None) -> StageSwitch | None:
        """Keep ``participant_id`` on stage regardless of audio; ``None`` resumes automatic choice."""
        now = self._now if time_s is None else time_s
        before = self.current
        self._pinned = participant_id
        if participant_id is None:
            note = DirectorNote(now, ReasonKind.UNPINNED, self._auto, before)
            return self._log_if_changed(before, now, "unpinned: automatic choice resumes", note)
        return self._log_if_changed(
            before, now, "pinned", DirectorNote(now, ReasonKind.PINNED, participant_id, before)
        )

    def remove(self, participant_id: str, time_s: float | None = None) -> StageSwitch | None:
        """Forget a participant who left the Space; frees the floor if they held it."""
        now = self._now if time_s is None else time_s
        before = self.current
        self._talkers.pop(participant_id, None)
        if self._pinned == participant_id:
            self._pinned = None
        if self._auto == participant_id:
            self._auto = None
            self._challenge = None
        elif self._challenge is not None and self._challenge.participant_id == participant_id:
            self._challenge = None
        self._spurting.discard(participant_id)
        note = DirectorNote(now, ReasonKind.LEFT, None, participant_id)
        return self._log_if_changed(before, now, f"{participant_id} left", note)

    def _set_auto(
        self, participant_id: str, now: float, reason: str, note: DirectorNote | None = None
    ) -> StageSwitch | None:
        before = self.current
        self._auto = participant_id
        self._challenge = None
        return self._log_if_changed(before, now, reason, note)

    def _log_if_changed(
        self, before: str | None, now: float, reason: str, note: DirectorNote | None = None
    ) -> StageSwitch | None:
        after = self.current
        if after == before:
            return None
        switch = StageSwitch(time_s=now, from_id=before, to_id=after, reason=reason, note=note)
        self._log.append(switch)
        if note is not None:
            self._notes.append(note)
        return switch


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
