"""Walking Lark parse trees without recursion: a hostile output can nest far deeper than Python's stack."""

from __future__ import annotations

from typing import Any

from lark import Token, Tree


def subtree_deeper_than(tree: Tree[Any], limit: int) -> Tree[Any] | None:
    """A subtree found below ``limit`` levels, or None if the tree is at most ``limit`` deep."""
    stack: list[tuple[Tree[Any], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return node
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return None


def start_of(node: Tree[Any] | Token) -> int | None:
    """The offset of the first token in ``node`` (trees are built without positions, to parse faster)."""
    pending: list[Any] = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, Token):
            return item.start_pos
        if isinstance(item, Tree):
            pending.extend(reversed(item.children))
    return None
