"""The one folder where a server keeps uploaded files, bounded in size.

Every upload is saved here, named by its content hash (the same file twice is
saved once). The folder is bounded (``max_bytes``): to make room for a new
upload the registry forgets the least recently used datasets that own uploads
(their files go with them). A file is deleted when its dataset leaves the
registry, at once when the upload could not be opened, and the folder itself
when the server stops or the process exits.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
import threading
from pathlib import Path

from regionscope.errors import RegionscopeError

#: Default size of the upload folder (bytes).
DEFAULT_MAX_BYTES = 2 * 2**30


class UploadFolder:
    """A bounded folder of uploaded files.

    Parameters
    ----------
    path : path-like or None
        The folder (created if needed; only the files saved here are deleted,
        and the folder if it was created here). None: a new temporary folder.
    max_bytes : int
        Most bytes the folder holds.
    make_room : callable or None
        ``make_room() -> bool``: forget one dataset that owns uploads (False:
        nothing left to forget). Set by the app to the registry's.
    """

    def __init__(self, path=None, *, max_bytes=DEFAULT_MAX_BYTES, make_room=None):
        if path is None:
            self.path = Path(tempfile.mkdtemp(prefix="regionscope-uploads-"))
            self._created = True
        else:
            self.path = Path(path)
            self._created = not self.path.exists()
            self.path.mkdir(parents=True, exist_ok=True)
        self.max_bytes = int(max_bytes)
        self.make_room = make_room
        self._sizes = {}
        self._lock = threading.Lock()
        self._closed = False
        atexit.register(self.close)

    def used_bytes(self):
        with self._lock:
            return sum(self._sizes.values())

    def files(self):
        """The files held now."""
        with self._lock:
            return sorted(self._sizes)

    def save(self, payload, filename):
        """Save an upload's bytes; return its path.

        Raises
        ------
        RegionscopeError
            When the file alone is larger than the folder may hold.
        """
        if len(payload) > self.max_bytes:
            raise RegionscopeError(
                f"{filename}: {len(payload) / 2**20:.0f} MB is more than this server keeps for uploads "
                f"({self.max_bytes / 2**20:.0f} MB); open it from the command line instead"
            )
        digest = hashlib.blake2b(payload, digest_size=8).hexdigest()
        safe_name = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in Path(filename).name)[-120:]
        path = self.path / f"{digest}-{safe_name}"
        while True:
            with self._lock:
                if path in self._sizes:
                    return path
                room = self.max_bytes - sum(self._sizes.values())
                if len(payload) <= room:
                    self._sizes[path] = len(payload)  # reserved before writing: threads cannot overfill
                    break
            if self.make_room is None or not self.make_room():
                raise RegionscopeError(
                    f"{filename}: the server's upload space ({self.max_bytes / 2**20:.0f} MB) is full; try again later"
                )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(path.name + ".part")
            temporary.write_bytes(payload)
            temporary.replace(path)
        except OSError as exc:
            self.delete(path)
            raise RegionscopeError(f"{filename}: the server could not save the upload ({exc.strerror or exc})") from None
        return path

    def delete(self, path):
        """Delete one upload (a path not saved here is left alone)."""
        path = Path(path)
        with self._lock:
            known = self._sizes.pop(path, None) is not None
        if known:
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".part").unlink(missing_ok=True)

    def close(self):
        """Delete every upload (and the folder, if it was made here)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            paths, self._sizes = list(self._sizes), {}
        for path in paths:
            path.unlink(missing_ok=True)
        if self._created:
            shutil.rmtree(self.path, ignore_errors=True)
        atexit.unregister(self.close)
