"""`make test` runs with `--dist loadgroup`: tests that must not run beside each other
(browser journeys, real Celery workers) share an xdist group. pytest 9.2 stopped
reading the node id pytest-xdist 3.8 rewrites for that, which silently spread the
groups over every worker; this test fails if grouping stops working again."""

import pytest


@pytest.mark.xdist_group("suite-grouping")
def test_a_marked_test_runs_in_its_xdist_group(request):
    if not getattr(request.config.option, "loadgroup", False):
        return  # not under `--dist loadgroup` (a single process): nothing to group
    assert request.node.nodeid.endswith("@suite-grouping")


def test_browser_journeys_join_the_browser_group(request):
    browser_items = [
        item for item in request.session.items if item.get_closest_marker("browser") is not None
    ]
    assert browser_items, "the suite has browser journeys"
    for item in browser_items:
        assert any(mark.args == ("browser",) for mark in item.iter_markers("xdist_group"))
        if getattr(request.config.option, "loadgroup", False):
            assert item.nodeid.endswith("@browser")
