"""grids.paths: the one place that takes a materialized path apart."""

from grids.paths import ancestor_ids, ancestors, at_depth


def test_ancestors_top_first_including_the_place():
    assert ancestors("/1/22/333/") == ["/1/", "/1/22/", "/1/22/333/"]
    assert ancestors("/") == [] and ancestors("") == []


def test_ancestor_ids():
    assert ancestor_ids("/1/22/333/") == [1, 22, 333]


def test_at_depth():
    assert at_depth("/1/22/333/4444/", 2) == "/1/22/"
    assert at_depth("/1/22/333/4444/", 1) == "/1/"
    assert at_depth("/1/", 3) == "/1/"
