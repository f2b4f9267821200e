"""What a path given in a case is, before it is opened: a case file or a data file must be a
regular file (never a folder, a FIFO, which would block the read forever, a device or a file of
the kernel's pseudo file systems)."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def file_kind(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file we may read ('a folder', 'a FIFO (named
    pipe)', 'a character device', ... 'a file of the /proc pseudo file system'), or None for
    a regular file. Never opens it: reading a FIFO blocks until a writer comes."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    except (OSError, ValueError) as exc:  # too long, a NUL byte, a symlink loop, no access
        return f"unreadable ({getattr(exc, 'strerror', None) or exc})"
    mode = st.st_mode
    for test, what in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    if not stat.S_ISREG(mode):
        return "not a regular file"
    real = Path(os.path.realpath(path))
    for pseudo in _PSEUDO_FILE_SYSTEMS:
        if real == Path(pseudo) or Path(pseudo) in real.parents:
            return f"a file of the {pseudo} pseudo file system"
    return None


#: Pseudo file systems whose 'regular files' are the kernel's (never case or data files).
_PSEUDO_FILE_SYSTEMS = ("/proc", "/sys", "/dev")
