"""Where a process's resident memory is, by kind of mapping (Linux /proc/self/smaps), for benchmark notes.

- ``code``: files mapped in (shared libraries, Python extension modules, fonts);
- ``heap``: the main malloc arena (brk);
- ``arenas``: glibc's per-thread malloc arenas (anonymous mappings inside 64 MiB reservations);
- ``stacks``: thread stacks (8 MiB anonymous mappings below a guard page);
- ``other_anon``: other anonymous memory: large mallocs that glibc maps on their own (frames,
  codec buffers), Python's object arenas, Qt's images.
"""

from __future__ import annotations

import re
from pathlib import Path

_HEADER = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$")
ARENA_RESERVATION = 64 << 20
STACK_SIZE = 8 << 20


def resident_by_kind(smaps: Path = Path("/proc/self/smaps")) -> dict[str, float]:
    """Resident MiB per kind of mapping; empty where /proc is not there."""
    try:
        text = smaps.read_text()
    except OSError:
        return {}
    totals: dict[str, float] = {}
    kind = "other_anon"
    previous_end, previous_guard = -1, False
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            start, end = int(header.group(1), 16), int(header.group(2), 16)
            perms, name = header.group(3), header.group(4).strip()
            size = end - start
            if name == "[heap]":
                kind = "heap"
            elif name.startswith("["):
                kind = "stacks" if name == "[stack]" else "other_anon"
            elif name:
                kind = "code"
            elif previous_guard and previous_end == start and size in (STACK_SIZE - 4096, STACK_SIZE):
                kind = "stacks"
            elif start % ARENA_RESERVATION == 0 and size <= ARENA_RESERVATION and perms.startswith("rw"):
                kind = "arenas"
            else:
                kind = "other_anon"
            previous_end, previous_guard = end, perms.startswith("---")
            continue
        if line.startswith("Rss:"):
            totals[kind] = totals.get(kind, 0.0) + int(line.split()[1]) / 1024
    return {k: round(v, 1) for k, v in sorted(totals.items())}
