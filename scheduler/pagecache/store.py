"""Where built responses are kept: a per-process LRU bounded in bytes, and a folder on disk
shared by the workers of one host, so a recycled or restarted worker starts warm.

Plain Python, no Flask: entries are bytes and headers under string keys, grouped by the
data version they were built from. A new version empties the memory and sweeps the folders
of other versions.
"""

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    etag: str  # unquoted
    headers: tuple[tuple[str, str], ...]  # as sent with a 200, without Content-Length
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 64


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class MemoryStore:
    """Least recently used entries go first once the bytes held pass ``capacity``."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.used = 0
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: Entry) -> None:
        if entry.size > self.capacity:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            self.used += entry.size - (old.size if old else 0)
            self.entries[key] = entry
            while self.used > self.capacity:
                _key, evicted = self.entries.popitem(last=False)
                self.used -= evicted.size

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.used = 0


class DiskStore:
    """One folder per data version, one file per entry: a JSON header line, then the body.
    Files are written to a temporary name and renamed, so a reader sees a whole file or
    none. Over ``capacity`` bytes the oldest files of the version go first. Every error is
    swallowed: the disk is a cache, a miss only costs a rebuild."""

    def __init__(self, root: Path, capacity: int):
        self.root = root
        self.capacity = capacity
        self.estimate = 0  # bytes in the current folder, as this process last knew

    def folder(self, version: str) -> Path:
        return self.root / digest(version)[:24]

    def adopt(self, version: str) -> None:
        """A new data version: other versions' folders go (whoever sees it first sweeps)."""
        keep = self.folder(version).name
        with contextlib.suppress(OSError):
            for child in os.scandir(self.root):
                if child.name != keep and child.is_dir(follow_symlinks=False):
                    shutil.rmtree(child.path, ignore_errors=True)
        self.estimate = self._bytes(self.folder(version))

    def get(self, version: str, key: str) -> Entry | None:
        path = self.folder(version) / digest(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        head, _, body = data.partition(b"\n")
        try:
            meta = json.loads(head)
        except ValueError:
            return None
        if not isinstance(meta, dict) or meta.get("key") != key or meta.get("length") != len(body):
            return None  # another key's file or a torn write: rebuild
        return Entry(meta["etag"], tuple(tuple(h) for h in meta["headers"]), body)

    def put(self, version: str, key: str, entry: Entry) -> None:
        if entry.size > self.capacity:
            return
        folder = self.folder(version)
        meta = {"key": key, "etag": entry.etag, "headers": entry.headers,
                "length": len(entry.body)}  # fmt: skip
        temporary = folder / f".tmp-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as f:
                f.write(json.dumps(meta).encode() + b"\n" + entry.body)
            os.replace(temporary, folder / digest(key))
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
            return
        self.estimate += entry.size
        if self.estimate > self.capacity:
            self.trim(folder)

    def claim(self, version: str, key: str, stale_seconds: float) -> bool:
        """True when this process should build ``key``: no other process claimed it, or its
        claim is older than ``stale_seconds`` (that worker died or is very slow)."""
        path = self.folder(version) / (digest(key) + ".building")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return True
        except FileExistsError:
            try:
                if time.time() - path.stat().st_mtime <= stale_seconds:
                    return False
                os.utime(path)  # taken over
            except OSError:
                pass  # released meanwhile: build (the entry may be there already)
            return True
        except OSError:
            return True

    def release(self, version: str, key: str) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.folder(version) / (digest(key) + ".building"))

    def trim(self, folder: Path) -> None:
        """Delete the oldest files until the folder holds at most 3/4 of the capacity."""
        files = []
        with contextlib.suppress(OSError):
            for child in os.scandir(folder):
                with contextlib.suppress(OSError):
                    stat = child.stat(follow_symlinks=False)
                    files.append((stat.st_mtime_ns, stat.st_size, child.path))
        total = sum(size for _t, size, _p in files)
        for _mtime, size, path in sorted(files):
            if total <= self.capacity * 3 // 4:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)
            total -= size
        self.estimate = total

    @staticmethod
    def _bytes(folder: Path) -> int:
        total = 0
        with contextlib.suppress(OSError):
            for child in os.scandir(folder):
                with contextlib.suppress(OSError):
                    total += child.stat(follow_symlinks=False).st_size
        return total


class PageStore:
    """Memory first, then disk; both for the current data version only."""

    def __init__(self, root: Path, memory_bytes: int, disk_bytes: int):
        self.memory = MemoryStore(memory_bytes)
        self.disk = DiskStore(root, disk_bytes)
        self.version = None
        self.lock = threading.Lock()

    def _current(self, version: str) -> None:
        if version != self.version:
            with self.lock:
                if version != self.version:
                    self.memory.clear()
                    self.disk.adopt(version)
                    self.version = version

    def get(self, version: str, key: str) -> Entry | None:
        self._current(version)
        entry = self.memory.get(key)
        if entry is None:
            entry = self.disk.get(version, key)
            if entry is not None:
                self.memory.put(key, entry)
        return entry

    def put(self, version: str, key: str, entry: Entry) -> None:
        if version != self.version:
            return  # the data changed while this response was built: keep nothing
        self.memory.put(key, entry)
        self.disk.put(version, key, entry)
