"""The refresh token of a delegated sign-in, in a file only its owner can read (mode 0600).

Each use of a refresh token may return a new one (Microsoft always does, and
ends a refresh token unused for 90 days); the new one replaces the old at once,
atomically (written beside it, synced, renamed), under an flock so that two
workers of one host never spend the same token. A file that others can read is
refused: it is as good as the mailbox's password.
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mailflow.errors import TokenError


class RefreshTokenFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def locked(self) -> Iterator[None]:
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise TokenError(f"cannot lock the refresh token file {self.path}: {exc.strerror}", permanent=True) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def read(self) -> str:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise TokenError(f"no refresh token: {self.path} does not exist (sign in once and store the refresh "
                             "token there, see README)", permanent=True) from None
        except OSError as exc:
            raise TokenError(f"cannot read the refresh token file {self.path}: {exc.strerror}", permanent=True) from None
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise TokenError(f"the refresh token file {self.path} can be read by others "
                             f"(mode {stat.S_IMODE(st.st_mode):o}): chmod 600 it", permanent=True)
        value = self.path.read_text(encoding="ascii").strip()
        if not value:
            raise TokenError(f"the refresh token file {self.path} is empty", permanent=True)
        return value

    def write(self, token: str) -> None:
        """Replace the stored token atomically; the file stays 0600 from its first byte."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, token.encode("ascii") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
