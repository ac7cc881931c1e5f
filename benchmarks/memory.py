"""Resident memory of a process, from ``/proc`` (Linux).

``VmHWM`` is the peak resident set size since the process started or since
:func:`reset_peak` (writing ``5`` to ``/proc/self/clear_refs``, Linux >= 4.0).
"""

from __future__ import annotations

import os

MB = 1024 * 1024


def status(pid=None):
    """``{"rss": bytes, "peak": bytes}`` of a process (default: this one); None values off Linux."""
    path = f"/proc/{pid or 'self'}/status"
    values = {"rss": None, "peak": None}
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    values["rss"] = int(line.split()[1]) * 1024
                elif line.startswith("VmHWM:"):
                    values["peak"] = int(line.split()[1]) * 1024
    except OSError:
        pass
    return values


def reset_peak():
    """Start measuring this process's peak RSS afresh; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def mb(value):
    """Bytes as MB (float), None stays None."""
    return None if value is None else value / MB


def total_memory():
    """Physical memory in bytes (from ``os.sysconf``), or None."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
