"""One cache-key scheme: canonical JSON of the parts, and file content rather than paths."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from steerbridge.cachekeys import content_key, file_digest
from steerbridge.errors import SteerbridgeError


def test_content_key_is_canonical_and_matches_the_run_digest() -> None:
    parts = {"models": {"source": "a", "target": "b"}, "layers": [2, 3], "path": Path("x")}
    key = content_key(**parts)
    assert key == content_key(layers=[2, 3], path=Path("x"), models={"target": "b", "source": "a"})
    assert len(key) == 16 and key != content_key(**{**parts, "layers": [3, 2]})
    # the scheme run.config.digest uses, so stage keys can move to it unchanged
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    assert key == hashlib.sha256(blob).hexdigest()[:16]


def test_file_digest_follows_content_not_path(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "sub" / "b.json"
    b.parent.mkdir()
    a.write_text("[1, 2]")
    b.write_text("[1, 2]")
    assert file_digest(a) == file_digest(b) == hashlib.sha256(b"[1, 2]").hexdigest()[:16]
    b.write_text("[1, 3]")
    assert file_digest(a) != file_digest(b)
    with pytest.raises(SteerbridgeError, match="not a file"):
        file_digest(tmp_path)
