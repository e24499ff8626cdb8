"""Split "中文 (english)" gettext strings into a Chinese msgid with its English in the .po (issue 16).

    python scripts/one_language.py [--write] [path ...]

Finds gettext calls (`_`, `gettext`, `gettext_lazy`, ...) whose literal is Chinese followed by an English gloss
in parentheses at its end, and (with --write) rewrites the literal to the Chinese alone, and the .po entry's
msgid to match (keeping its English msgstr; an entry whose new msgid exists already is dropped; a string the
.po lacks gets a new entry at the end, its msgstr the gloss). Prints what it cannot split by itself (a gloss in
the middle, or one holding a placeholder). Without paths: every app, except the files other work moves.
Test files that quote an old string are rewritten too.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
APPS = ["activities", "config", "dispatch", "grids", "issues", "members", "pairing", "reports", "rewards"]
APPS += ["verification", "visits"]
SKIP = {"members/census.py", "members/demo.py", "reports/management/commands/demo_activity.py"}
GETTEXT = {"_", "gettext", "gettext_lazy", "_lazy", "gettext_noop", "pgettext", "pgettext_lazy"}

CJK = re.compile(r"[\u4e00-\u9fff]")
# a parenthesised gloss with an English word of 3+ letters, not a %(name)s placeholder
GLOSS = re.compile(r"(?<!%)[（(](?P<en>[^()（）]*[A-Za-z]{3}[^()（）]*)[)）]")
TRAILING = re.compile(
    r"^(?P<zh>.*?)[ \t]*(?<!%)[（(](?P<en>[^()（）]*[A-Za-z]{3}[^()（）]*)[)）][ \t]*$", re.S
)


def is_mixed(text: str) -> bool:
    return bool(CJK.search(text)) and any(not CJK.search(m["en"]) for m in GLOSS.finditer(text))


def split(text: str) -> tuple[str, str] | None:
    """('中文', 'english') for a trailing gloss that can go to the .po; None otherwise."""
    m = TRAILING.match(text)
    if not m or CJK.search(m["en"]) or "%" in m["en"] or not CJK.search(m["zh"]) or is_mixed(m["zh"]):
        return None
    return m["zh"].rstrip(), m["en"].strip()


def gettext_literals(tree: ast.AST):
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in GETTEXT:
            continue
        arg = node.args[1] if name.startswith("pgettext") and len(node.args) > 1 else node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            yield arg


def files(paths: list[str]) -> list[Path]:
    if paths:
        return [Path(p).resolve() for p in paths]
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in rel and rel not in SKIP:
                found.append(path)
    return found


def rewrite_source(path: Path, write: bool) -> tuple[dict[str, str], list[str]]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    raw = source.encode("utf-8")
    pairs, manual, edits = {}, [], []
    for arg in gettext_literals(ast.parse(source)):
        if not is_mixed(arg.value):
            continue
        parts = split(arg.value)
        where = f"{path.relative_to(ROOT)}:{arg.lineno}"
        if parts is None:
            manual.append(f"{where}: {arg.value!r}")
            continue
        pairs[arg.value] = parts
        start = offsets[arg.lineno - 1] + arg.col_offset
        end = offsets[arg.end_lineno - 1] + arg.end_col_offset
        edits.append((start, end, json.dumps(parts[0], ensure_ascii=False).encode("utf-8")))
    for start, end, text in sorted(edits, reverse=True):
        raw = raw[:start] + text + raw[end:]
    if write and edits:
        path.write_bytes(raw)
    return pairs, manual


def po_blocks(text: str) -> list[str]:
    return text.split("\n\n")


def block_msgid(block: str) -> str | None:
    out, inside = None, False
    for line in block.splitlines():
        if line.startswith("msgid "):
            out, inside = ast.literal_eval(line[6:]), True
        elif inside and line.startswith('"'):
            out += ast.literal_eval(line)
        elif inside:
            break
    return out


def set_msgid(block: str, msgid: str) -> str:
    lines, kept, skipping = block.splitlines(), [], False
    for line in lines:
        if line.startswith("msgid "):
            kept.append("msgid " + json.dumps(msgid, ensure_ascii=False))
            skipping = True
        elif skipping and line.startswith('"'):
            continue
        else:
            skipping = False
            kept.append(line)
    return "\n".join(kept)


def rewrite_po(pairs: dict[str, tuple[str, str]], write: bool) -> list[str]:
    text = PO.read_text(encoding="utf-8")
    blocks = po_blocks(text)
    ids = [block_msgid(b) for b in blocks]
    present = set(ids)
    added, notes = [], []
    for old, (new, english) in pairs.items():
        if old in present:
            i = ids.index(old)
            if new in present:
                blocks[i] = None
            else:
                blocks[i] = set_msgid(blocks[i], new)
                present.add(new)
            ids[i] = None
            present.discard(old)
        elif new not in present:
            flag = "#, python-format\n" if re.search(r"%\(\w+\)[sd]|%[sd]", new) else ""
            msgstr = english[0].upper() + english[1:]
            if not msgstr.endswith((".", "?", "!")):
                msgstr += "."
            added.append(f"{flag}msgid {json.dumps(new, ensure_ascii=False)}\nmsgstr {json.dumps(msgstr)}")
            present.add(new)
            notes.append(f"new .po entry: {new!r} -> {msgstr!r}")
    text = "\n\n".join(b for b in blocks if b is not None)
    if added:
        marker = "# --- errors ---"
        if marker not in text:
            added[0] = marker + "\n" + added[0]
        text = text.rstrip("\n") + "\n\n" + "\n\n".join(added) + "\n"
    if write:
        PO.write_text(text, encoding="utf-8")
    return notes


def rewrite_tests(pairs: dict[str, tuple[str, str]], write: bool) -> int:
    changed = 0
    for path in sorted((ROOT / "tests").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        new = text
        for old, (zh, _english) in sorted(pairs.items(), key=lambda p: -len(p[0])):
            new = new.replace(old, zh)
        if new != text:
            changed += 1
            if write:
                path.write_text(new, encoding="utf-8")
    return changed


def main(argv: list[str]) -> int:
    write = "--write" in argv
    paths = [a for a in argv if not a.startswith("--")]
    pairs, manual = {}, []
    for path in files(paths):
        found, left = rewrite_source(path, write)
        pairs.update(found)
        manual += left
    notes = rewrite_po(pairs, write)
    tests = rewrite_tests(pairs, write)
    print(
        f"{len(pairs)} strings split, {tests} test files quoting them", "(written)" if write else "(dry run)"
    )
    for line in notes:
        print(line)
    for line in manual:
        print("by hand:", line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
