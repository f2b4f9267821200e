"""The docs: every relative link and image points to a file, and the generated reference pages
(docs/case-reference.md, docs/materials.md) are up to date with the code. Pure Python, fast."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from fem._dolfinx import MPI

ROOT = Path(__file__).resolve().parents[1]

#: The Markdown files whose links are checked.
DOC_FILES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md",
                                                     ROOT / "scripts" / "paraview" / "README.md"]

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
#: [text](target "title") and ![alt](target); the text may hold one level of brackets.
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML = re.compile(r"<(?:img|a)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.I)
_REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)


def links(text: str) -> list[str]:
    """The link and image targets of a Markdown text (outside code)."""
    text = _INLINE_CODE.sub("", _FENCE.sub("", text))
    return [m.group(1) for pat in (_LINK, _HTML, _REFDEF) for m in pat.finditer(text)]


def _local(target: str) -> str | None:
    """The file part of a relative link, or None for a web link or a pure anchor."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
        return None
    return target.split("#", 1)[0].split("?", 1)[0] or None


def test_link_parser():
    text = ('see [a](x.md), ![img](pics/p.png "t"), [b](#anchor), [c](https://x.org/y.md), '
            '[`[cell]`](other.md#cell), `[no](code.md)`\n```\n[no](fence.md)\n```\n'
            '<img src="h.png">\n[ref]: refdef.md\n')
    got = [t for t in map(_local, links(text)) if t]
    assert sorted(got) == ["h.png", "other.md", "pics/p.png", "refdef.md", "x.md"]


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_exist(doc: Path):
    assert doc.exists(), doc
    broken = []
    for target in links(doc.read_text(encoding="utf-8")):
        path = _local(target)
        if path is not None and not (doc.parent / path).exists():
            broken.append(target)
    assert not broken, f"{doc.relative_to(ROOT)}: broken links {broken}"


def test_generated_docs_in_memory():
    """The generator runs (on every rank) and the pages cover the schema and the cards."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_docs
    finally:
        sys.path.pop(0)
    from fem.case.schema import SCHEMA
    from fem.materials import bundled_names

    pages = make_docs.generated()
    ref = pages[make_docs.CASE_REFERENCE]
    for section in SCHEMA["properties"]:
        assert f"`{section}`" in ref
    assert "`frame_stiffness`" in ref and "`exclusiveMinimum`" not in ref
    mats = pages[make_docs.MATERIALS]
    for name in bundled_names():
        assert f"\n## {name}\n" in mats
    assert "7.82 GPa" in mats  # the card's own string, not only SI
    assert make_docs.generated() == pages  # deterministic


@pytest.mark.skipif(MPI.COMM_WORLD.size > 1, reason="one subprocess is enough (serial run)")
def test_make_docs_check():
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_docs.py"), "--check"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
