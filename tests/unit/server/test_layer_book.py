"""Which layers a publisher is told to encode, from what subscriber handles carry."""

from __future__ import annotations

from spaces_desktop.server.layers import LayerBook

LAYERED = {7: ("1", "3")}  # feed 7: large on mid 1, small on mid 3


def test_a_publisher_is_told_only_when_what_is_taken_changes() -> None:
    book = LayerBook()
    assert list(book.changes(LAYERED)) == [(7, {"main": {"large": False, "small": False}})]
    book.carry(100, {"0": (7, "3")})  # a strip tile: the small layer
    assert list(book.changes(LAYERED)) == [(7, {"main": {"large": False, "small": True}})]
    assert list(book.changes(LAYERED)) == []  # nothing new: nothing said
    book.carry(101, {"0": (7, "3"), "1": (9, "1")})
    book.switch(101, "1", (7, "1"))  # the big tile switched to feed 7's large layer
    assert list(book.changes(LAYERED)) == [(7, {"main": {"large": True, "small": True}})]
    book.drop(101)
    assert list(book.changes(LAYERED)) == [(7, {"main": {"large": False, "small": True}})]


def test_a_mountpoint_takes_every_layer_and_a_republish_is_told_afresh() -> None:
    book = LayerBook()
    assert list(book.changes(LAYERED, everything=True)) == [(7, {"main": {"large": True, "small": True}})]
    book.forget(7)
    assert list(book.changes(LAYERED, everything=True)) == [(7, {"main": {"large": True, "small": True}})]
