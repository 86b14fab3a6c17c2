"""How every growing list reads its query (roadmap/search.py): bad input shows the
first page, never an error."""

import pytest
from django.http import QueryDict

from roadmap.search import id_list, page_number, shown_count


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, 20), ("", 20), ("60", 60), ("5", 20), ("-40", 20), ("abc", 20), ("4.5", 20)],
)
def test_shown_count_is_at_least_one_step(value, shown):
    assert shown_count(value, 20) == shown


@pytest.mark.parametrize(
    ("query", "page"),
    [("", 1), ("page=3", 3), ("page=0", 1), ("page=-2", 1), ("page=abc", 1), ("page=٣", 1)],
)
def test_page_number_reads_a_positive_page_or_the_first(query, page):
    assert page_number(QueryDict(query)) == page


def test_id_list_keeps_only_ids_a_database_can_hold():
    assert id_list(["1,2", " 3", "x", "9" * 30, "٤"]) == [1, 2, 3]
