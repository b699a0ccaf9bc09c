"""A real Hugging Face-compatible server for the tests: olah serving local git repositories.

olah (a self-hosted Hub mirror; a test dependency) answers `snapshot_download`, `hf_hub_download`,
`model_info(revision=...)` and `list_repo_files` for each git repository at
`mirrors/models/{org}/{repo}` (branch `main`), by branch, tag or commit sha. With `offline = true` it
never contacts huggingface.co, and it listens on 127.0.0.1 only. Its access log tells how many
requests the clients sent. Known limits: a missing revision or file is answered like a missing
repository (401), `model_info` needs an explicit revision, uploads are refused (405).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REQUEST = re.compile(r'- "(GET|HEAD|POST|PUT|PATCH|DELETE) ')
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "dpzoo tests", "GIT_AUTHOR_EMAIL": "tests@dpzoo.invalid",
    "GIT_COMMITTER_NAME": "dpzoo tests", "GIT_COMMITTER_EMAIL": "tests@dpzoo.invalid",
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HubServer:
    """One olah process over the git repositories under `root/mirrors`."""

    def __init__(self, root: Path):
        self.root = root
        self.mirrors = root / "mirrors"
        self.port = free_port()
        self.log = root / "server.log"
        self.config = root / "olah.toml"
        self._process: subprocess.Popen | None = None
        self.mirrors.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            "[basic]\n"
            f'host = "127.0.0.1"\nport = {self.port}\n'
            f'repos-path = "{root / "olah-cache"}"\n'
            f'mirror-netloc = "127.0.0.1:{self.port}"\nmirror-lfs-netloc = "127.0.0.1:{self.port}"\n'
            f'mirrors-path = ["{self.mirrors}"]\n'
            "metadata-cache-ttl = 0\n"
            "[accessibility]\noffline = true\n"
        )

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, hf_home: Path) -> dict[str, str]:
        """Environment for a client of this server with its own Hugging Face cache."""
        return {
            "HF_ENDPOINT": self.endpoint,
            "HF_HOME": str(hf_home),
            "HF_HUB_OFFLINE": "0",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "NO_PROXY": "127.0.0.1,localhost",
        }

    def start(self, timeout: float = 60) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_PROXY": "127.0.0.1,localhost"}
        command = [sys.executable, "-m", "olah.server", "-c", str(self.config), "--log-path", str(self.root / "logs")]
        with self.log.open("a") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.root, env=env)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"olah exited with {self._process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                opener.open(f"{self.endpoint}/api/models/ready/probe/refs", timeout=1)
                return
            except urllib.error.HTTPError:  # any HTTP answer means it is serving
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"olah did not answer on {self.endpoint} within {timeout} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            self._process = None

    def requests(self) -> int:
        """How many HTTP requests the server has answered so far (its access log)."""
        return len(REQUEST.findall(self.log.read_text()))

    def commit(self, repo_id: str, files: dict[str, bytes | Path], message: str = "upload", tag: str | None = None, remove: tuple[str, ...] = ()) -> str:
        """Commit `files` (name → content or source path) to `repo_id`'s `main`; returns the commit sha."""
        repo = self.mirrors / "models" / repo_id
        if not (repo / ".git").exists():
            repo.mkdir(parents=True)
            self._git(repo, "init", "-q", "-b", "main")
        for name in remove:
            self._git(repo, "rm", "-q", name)
        for name, content in files.items():
            target = repo / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            else:
                target.write_bytes(content)
            self._git(repo, "add", name)
        self._git(repo, "commit", "-q", "-m", message)
        if tag is not None:
            self._git(repo, "tag", tag)
        return self._git(repo, "rev-parse", "HEAD").strip()

    @staticmethod
    def _git(repo: Path, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_IDENTITY}, capture_output=True, text=True, check=True)
        return done.stdout
