"""nh3's output as a tree of elements and text, and back: what `conform` rewrites.

nh3's output is regular (every tag is closed, every attribute value double-quoted, every "<"
in text and attributes escaped), so a regular expression reads it; text and attribute values
stay as written (escaped), so valid input is written back byte for byte.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

VOID = frozenset({"br", "hr", "img"})
WHITESPACE = " \t\n\r\f"
# Elements nested deeper are unwrapped while reading: the code that walks the tree recurses.
TREE_DEPTH = 128
_TAG_TOKEN = re.compile(r"<(/?)([a-z][a-z0-9]*)((?:\s[^>]*)?)>")
_ATTRIBUTE = re.compile(r'([^\s="]+)(?:="([^"]*)")?')


@dataclass(slots=True)
class Element:
    tag: str
    attrs: dict[str, str]  # name -> value as written (escaped)
    children: list[Element | str] = field(default_factory=list)  # str: text as written


Node = Element | str


def escape(value: str) -> str:
    """An attribute value as nh3 would write it."""
    return (
        value.replace("&", "&amp;")
        .replace("\xa0", "&nbsp;")
        .replace('"', "&quot;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def blank(node: Node) -> bool:
    return isinstance(node, str) and not node.strip(WHITESPACE)


def attribute(element: Element, name: str) -> str | None:
    """The value of attribute `name`, unescaped, or None."""
    raw = element.attrs.get(name)
    return None if raw is None else html.unescape(raw)


def read_tree(markup: str) -> list[Node]:
    """nh3's output as a tree; elements nested deeper than TREE_DEPTH are unwrapped."""
    root = Element("", {})
    stack: list[tuple[str, Element]] = [("", root)]  # (tag, element its content goes into)
    parts = _TAG_TOKEN.split(markup)  # text, then (closing, tag, attributes, text) per tag
    if parts[0]:
        root.children.append(parts[0])
    for i in range(1, len(parts), 4):
        closing, tag, rest, text = parts[i : i + 4]
        if closing:
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth][0] == tag:
                    del stack[depth:]
                    break
        else:
            attrs = {m[0]: m[1] for m in _ATTRIBUTE.findall(rest)} if rest else {}
            parent = stack[-1][1]
            if tag in VOID:
                parent.children.append(Element(tag, attrs))
            elif len(stack) > TREE_DEPTH:
                stack.append((tag, parent))  # unwrapped: its content goes to the parent
            else:
                element = Element(tag, attrs)
                parent.children.append(element)
                stack.append((tag, element))
        if text:
            stack[-1][1].children.append(text)
    return root.children


def write(node: Node, out: list[str]) -> None:
    if isinstance(node, str):
        out.append(node)
        return
    out.append(f"<{node.tag}")
    for name, value in node.attrs.items():
        out.append(f' {name}="{value}"')
    out.append(">")
    if node.tag in VOID:
        return
    for child in node.children:
        write(child, out)
    out.append(f"</{node.tag}>")


def write_all(nodes: Iterable[Node]) -> str:
    out: list[str] = []
    for node in nodes:
        write(node, out)
    return "".join(out)
