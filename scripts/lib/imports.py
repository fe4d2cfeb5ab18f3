#!/usr/bin/env python3
"""The import graph of each crate's modules (one node per file), read from the sources.

Fails when any crate has an import cycle, or when more than MAX_UPWARD imports in keyward-server
run from a lower layer to a higher one (SERVER_LAYERS). `use`, inline `crate::`/`super::` paths
and `pub use` re-exports (followed to where they point) count as imports; `mod` declarations and
`#[cfg(test)] mod tests` do not. Run by scripts/test; `scripts/lib/imports.py --list` prints every
upward import and cycle.
"""
import os, re, sys
from pathlib import Path

def modules(src):
    mods = {}
    for p in Path(src).rglob("*.rs"):
        rel = p.relative_to(src).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "mod":
            parts = parts[:-1]
        if parts in (["lib"], ["main"]):
            parts = []
        mods["::".join(parts)] = p
    return mods

USE_RE = re.compile(r"\b(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.S)
PATH_RE = re.compile(r"\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)")

def expand(tree):
    tree = re.sub(r"\s+", "", tree)
    # expand a::{b,c::{d}} into list of paths
    def parse(s, i, prefix):
        out = []
        cur = ""
        while i < len(s):
            c = s[i]
            if c == "{":
                sub, i = parse(s, i + 1, prefix + cur)
                out.extend(sub)
                cur = None
            elif c == "}":
                if cur:
                    out.append(prefix + cur)
                return out, i + 1
            elif c == ",":
                if cur:
                    out.append(prefix + cur)
                cur = ""
                i += 1
                continue
            else:
                if cur is None:
                    cur = ""
                cur += c
            if c != "{":
                i += 1
        if cur:
            out.append(prefix + cur)
        return out, i
    paths, _ = parse(tree, 0, "")
    return [p.split("as")[0] if False else re.sub(r"as[A-Za-z_0-9]+$", "", p) for p in paths]

TOKEN_RE = re.compile(r'//[^\n]*|/\*.*?\*/|r(#*)".*?"\1|b?"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])\'', re.S)

def strip_comments(text):
    return TOKEN_RE.sub(lambda m: '""' if m.group(0)[:1] in 'rb"' else ("' '" if m.group(0)[:1] == "'" else " "), text)

REEXPORTS = {}

def resolve(path, here, mods, is_dir_mod, depth=0):
    parts = path.split("::")
    base = here.split("::") if here else []
    if parts[0] == "crate":
        cur = []
        parts = parts[1:]
    elif parts[0] in ("super", "self"):
        cur = list(base) if is_dir_mod else list(base[:-1]) if parts[0] == "self" and False else list(base)
        # `self` = this module; `super` = parent
        while parts and parts[0] in ("super", "self"):
            if parts[0] == "super":
                cur = cur[:-1]
            parts = parts[1:]
    else:
        return None
    best = "::".join(cur)
    for p in parts:
        cur = cur + [p]
        name = "::".join(cur)
        if name in mods:
            best = name
        else:
            # a name re-exported by `best` (`pub use x::Y;`) lives where it was re-exported from
            target = REEXPORTS.get((best, p))
            if target is not None and depth < 5:
                return target
            break
    return best

def graph(src):
    mods = modules(src)
    REEXPORTS.clear()
    for m, p in mods.items():
        text = strip_comments(p.read_text())
        is_dir = p.name in ("mod.rs", "lib.rs", "main.rs")
        for u in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", text, re.S):
            for path in expand(u.group(1)):
                full = path if path.startswith(("crate", "super", "self")) else "self::" + path
                name = full.split("::")[-1]
                t = resolve(full, m, mods, is_dir, 1)
                if t is not None and t != m and name != "*":
                    REEXPORTS[(m, name)] = t
    edges = {}
    for m, p in mods.items():
        text = strip_comments(p.read_text())
        # test modules are not part of the build graph
        text = re.split(r"#\[cfg\(test\)\]\s*mod\s+tests", text)[0]
        is_dir = p.name in ("mod.rs", "lib.rs", "main.rs")
        targets = set()
        for u in USE_RE.finditer(text):
            for path in expand(u.group(1)):
                if path.startswith(("crate", "super", "self")):
                    t = resolve(path, m, mods, is_dir)
                    if t is not None:
                        targets.add(t)
        for u in PATH_RE.finditer(text):
            t = resolve(u.group(1), m, mods, is_dir)
            if t is not None:
                targets.add(t)
        targets.discard(m)
        # a module naming its own ancestors' root (crate) via re-exports is an edge to lib.rs
        edges[m] = targets
    return mods, edges

def sccs(edges):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in list(edges):
        if v not in index:
            visit(v)
    return out

# The intended layers of keyward-server, bottom (0) to top (4); the longest prefix decides.
SERVER_LAYERS = [
    (0, ["error", "metrics", "views", "jsonapi", "client_ip", "mail", "auth::limiter", "auth::recorder",
         "replica", "console::throttle", "console::passwords", "console::words", "gateway",
         "gateway::upstream", "gateway::identity", "gateway::sink", "gateway::headers", "gateway::wire::head",
         "gateway::wire::body", "gateway::wire::rewind", "gateway::wire::upstream", "test_mode"]),
    (1, ["state"]),
    (2, ["auth", "auth::gate", "auth::middleware", "replica::tail", "lifecycle", "invite", "key_webhooks", "background",
         "console::session", "console::error", "console::flash", "console::chrome", "console::team_page",
         "console::page"]),
    (3, ["routes", "asc", "console", "gateway::admit", "gateway::authz", "gateway::proxy", "gateway::refusal",
         "gateway::tunnel",
         "test_mode::routes", "openapi"]),
    (4, ["router", "front", "serve", "gateway::wire", "fuzzing", ""]),
]

def rank(module):
    best, best_len = None, -1
    for r, prefixes in SERVER_LAYERS:
        for p in prefixes:
            if (module == p or module.startswith(p + "::") or p == "") and len(p) > best_len:
                best, best_len = r, len(p)
    return best

def upward(edges):
    return sorted((a, b) for a, vs in edges.items() for b in vs if rank(a) is not None and rank(b) is not None and rank(b) > rank(a))

MAX_UPWARD = 3


def main():
    root = Path(__file__).resolve().parents[2]
    listing = "--list" in sys.argv
    failed = False
    for crate in sorted((root / "crates").iterdir()):
        src = crate / "src"
        if not src.is_dir():
            continue
        mods, edges = graph(src)
        cycles = sccs(edges)
        line = f"{crate.name}: {len(mods)} modules, {sum(len(v) for v in edges.values())} imports, {len(cycles)} cycles"
        if crate.name == "keyward-server":
            up = upward(edges)
            line += f", {len(up)} upward imports (at most {MAX_UPWARD})"
            if len(up) > MAX_UPWARD:
                failed = True
            if listing or len(up) > MAX_UPWARD:
                for a, b in up:
                    line += f"\n  upward: {a} -> {b}"
        if cycles:
            failed = True
            for c in cycles:
                line += "\n  cycle: " + " <-> ".join(m or "(crate root)" for m in c)
        print(line)
    if failed:
        print("import graph check failed: break the cycle, or move what the lower module needs below it")
        sys.exit(1)


if __name__ == "__main__":
    main()
