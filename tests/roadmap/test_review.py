import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from okrs import services as okr_services
from okrs.models import CycleState, KeyResult, Objective
from roadmap.models import Alignment, ItemStatus
from roadmap.review import review_of
from tests.okrs.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.roadmap.factories import RoadmapItemFactory

pytestmark = pytest.mark.django_db


def review_url(portfolio, cycle=None):
    url = reverse("review", args=[portfolio.slug])
    return f"{url}?cycle={cycle.pk}" if cycle else url


def set_progress(obj, value, **extra):
    type(obj).objects.filter(pk=obj.pk).update(progress=value, **extra)


@pytest.fixture
def story(cycle, product):
    """A portfolio objective with one key result of its own and one on a product
    objective that cascades from it; one shipped item and one item at risk."""
    growth = ObjectiveFactory(cycle=cycle, title="Grow revenue")
    set_progress(growth, 0.2)
    own = KeyResultFactory(objective=growth, title="ARR to 10M", unit="M€")
    set_progress(own, 0.9)
    child = ObjectiveFactory(cycle=cycle, product=product, parent=growth, title="Faster checkout")
    lagging = KeyResultFactory(objective=child, title="Conversion to 4%")
    set_progress(lagging, 0.0)
    shipped = RoadmapItemFactory(product=product, title="Apple Pay", status=ItemStatus.DONE)
    risky = RoadmapItemFactory(
        product=product, title="One-page checkout", status=ItemStatus.IN_PROGRESS
    )
    calm = RoadmapItemFactory(product=product, title="Receipt e-mails", status=ItemStatus.PLANNED)
    Alignment.objects.create(item=shipped, key_result=own)
    Alignment.objects.create(item=risky, key_result=lagging)
    Alignment.objects.create(item=calm, key_result=own)
    ObjectiveFactory(cycle=cycle, title="Delight customers")
    return growth


class TestReviewSelector:
    def test_one_section_per_portfolio_objective_with_shipped_and_at_risk_work(self, cycle, story):
        review = review_of(cycle)

        titles = [section.objective.title for section in review.sections]
        assert titles == ["Grow revenue", "Delight customers"]
        growth = review.sections[0]
        assert [row.key_result.title for row in growth.key_results] == ["ARR to 10M"]
        assert [item.title for item in growth.shipped] == ["Apple Pay"]
        assert [item.title for item in growth.at_risk] == ["One-page checkout"]
        assert growth.product_objective_count == 1
        assert review.sections[1].shipped == []
        assert review.sections[1].at_risk == []


class TestReviewPage:
    @pytest.mark.parametrize("role", ["director", "stakeholder", "contributor", "owning_pm"])
    def test_every_member_can_read_it(self, client, portfolio, cycle, story, person, role):
        client.force_login(person(role))

        response = client.get(review_url(portfolio))

        html = response.content.decode()
        assert response.status_code == 200
        assert "Grow revenue" in html
        assert "Delight customers" in html
        assert "Apple Pay" in html
        assert "One-page checkout" in html
        assert "Receipt e-mails" not in html
        assert "ARR to 10M" in html
        assert "M€" in html
        assert html.count("data-review-section") == 3
        assert "move between sections" in html
        assert "css/review.css" in html
        assert "js/review.js" in html

    def test_outsiders_get_404(self, client, portfolio, cycle, outsider):
        client.force_login(outsider)

        assert client.get(review_url(portfolio)).status_code == 404

    def test_closed_cycle_shows_final_scores_and_grades(
        self, client, portfolio, director, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            past = CycleFactory(portfolio=portfolio, name="Last quarter")
            objective = okr_services.objective_create(cycle=past, title="Ship the platform")
            kr = okr_services.key_result_create(
                objective=objective, title="Services migrated", start_value=0, target_value=10
            )
            okr_services.check_in_create(key_result=kr, author=director, value=8)
            okr_services.cycle_close(cycle=past)
        client.force_login(director)

        html = client.get(review_url(portfolio, past)).content.decode()

        assert Objective.objects.get(pk=objective.pk).final_score == 0.8
        assert KeyResult.objects.get(pk=kr.pk).final_score == 0.8
        assert "Final score" in html
        assert "0.8" in html
        assert 'class="grade grade--high"' in html

    def test_open_cycle_shows_no_grades(self, client, portfolio, cycle, story, director):
        client.force_login(director)

        html = client.get(review_url(portfolio)).content.decode()

        assert "grade--" not in html
        assert "Final score" not in html

    def test_empty_state_without_cycles(self, client, portfolio, director):
        client.force_login(director)

        html = client.get(review_url(portfolio)).content.decode()

        assert "No cycle to review yet" in html

    def test_cycle_parameter_chooses_the_cycle(self, client, portfolio, cycle, story, director):
        other = CycleFactory(portfolio=portfolio, name="Next quarter", state=CycleState.PLANNING)
        ObjectiveFactory(cycle=other, title="Plan ahead")
        client.force_login(director)

        html = client.get(review_url(portfolio, other)).content.decode()

        assert "Plan ahead" in html
        assert "Grow revenue" not in html

    def test_query_count_does_not_grow_with_objectives_and_items(
        self, client, portfolio, cycle, product, story, director
    ):
        client.force_login(director)

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(review_url(portfolio)).status_code == 200
            return len(queries)

        few = count()
        for index in range(8):
            objective = ObjectiveFactory(cycle=cycle, title=f"More {index}")
            kr = KeyResultFactory(objective=objective)
            child = ObjectiveFactory(cycle=cycle, product=product, parent=objective)
            KeyResultFactory(objective=child)
            item = RoadmapItemFactory(product=product, status=ItemStatus.DONE)
            Alignment.objects.create(item=item, key_result=kr)
        assert count() == few


HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def busy_story(story, product):
    """Two more items shipped for Grow revenue (three in all)."""
    own = story.key_results.get()
    for title in ("Zip checkout", "Klarna"):
        item = RoadmapItemFactory(product=product, title=title, status=ItemStatus.DONE)
        Alignment.objects.create(item=item, key_result=own)
    return story


class TestLongLists:
    """A slide lists the first `REVIEW_ITEMS` items of Shipped and At risk, says how
    many there are, and links to all of them."""

    @pytest.fixture(autouse=True)
    def one_item(self, monkeypatch):
        monkeypatch.setattr("roadmap.review.REVIEW_ITEMS", 1)

    def test_slide_shows_the_first_items_and_the_count(self, cycle, busy_story):
        growth = review_of(cycle).sections[0]

        assert [item.title for item in growth.shipped] == ["Apple Pay"]
        assert (growth.shipped_count, growth.shipped_hidden) == (3, 2)
        assert (growth.at_risk_count, growth.at_risk_hidden) == (1, 0)

    def test_an_item_aligned_twice_counts_once(self, cycle, busy_story, product):
        twice = RoadmapItemFactory(product=product, title="Aardvark", status=ItemStatus.DONE)
        for kr in KeyResult.objects.filter(objective__cycle=cycle):
            Alignment.objects.create(item=twice, key_result=kr)

        growth = review_of(cycle).sections[0]

        assert [item.title for item in growth.shipped] == ["Aardvark"]
        assert growth.shipped_count == 4

    def test_page_links_to_the_whole_list(self, client, portfolio, cycle, busy_story, director):
        client.force_login(director)

        html = client.get(review_url(portfolio)).content.decode()

        assert "Apple Pay" in html
        assert "Zip checkout" not in html
        assert "and 2 more" in html
        expand = f"?cycle={cycle.pk}&amp;expand={busy_story.pk}:shipped"
        assert f'href="{reverse("review", args=[portfolio.slug])}{expand}#objective-' in html
        assert "Show all 3" in html

    def test_expand_lists_every_item_without_javascript(
        self, client, portfolio, cycle, busy_story, stakeholder
    ):
        client.force_login(stakeholder)

        url = f"{review_url(portfolio, cycle)}&expand={busy_story.pk}:shipped"
        html = client.get(url).content.decode()

        for title in ("Apple Pay", "Klarna", "Zip checkout"):
            assert title in html
        assert "Show all 3" not in html
        assert html.count("data-review-section") == 3

    def test_htmx_expand_returns_the_list_alone(
        self, client, portfolio, cycle, busy_story, stakeholder
    ):
        client.force_login(stakeholder)

        url = f"{review_url(portfolio, cycle)}&expand={busy_story.pk}:shipped"
        html = client.get(url, **HX).content.decode()

        assert html.lstrip().startswith("<ul")
        assert f'id="objective-{busy_story.pk}-shipped"' in html
        assert [t for t in ("Apple Pay", "Klarna", "Zip checkout") if t in html] == [
            "Apple Pay",
            "Klarna",
            "Zip checkout",
        ]
        assert "data-review-section" not in html

    @pytest.mark.parametrize("expand", ["x:shipped", "1:everything"])
    def test_malformed_expand_is_404(self, client, portfolio, cycle, story, director, expand):
        client.force_login(director)

        assert client.get(f"{review_url(portfolio, cycle)}&expand={expand}").status_code == 404

    def test_outsiders_get_404(self, client, portfolio, cycle, busy_story, outsider):
        client.force_login(outsider)

        url = f"{review_url(portfolio, cycle)}&expand={busy_story.pk}:shipped"
        assert client.get(url, **HX).status_code == 404


class TestSlidesLoadWhenShown:
    """The page renders the first `REVIEW_SLIDES` objective slides in full; the others
    are headings that load their key results and work when they come into view."""

    @pytest.fixture(autouse=True)
    def one_slide(self, monkeypatch):
        monkeypatch.setattr("roadmap.review.REVIEW_SLIDES", 1)

    @pytest.fixture
    def later(self, cycle, story):
        objective = Objective.objects.get(cycle=cycle, title="Delight customers")
        KeyResultFactory(objective=objective, title="NPS above 50")
        return objective

    def test_later_slides_are_headings_with_a_link(self, client, portfolio, cycle, later, director):
        client.force_login(director)

        html = client.get(review_url(portfolio)).content.decode()

        assert html.count("data-review-section") == 3
        assert "Delight customers" in html
        assert "NPS above 50" not in html
        assert "ARR to 10M" in html
        slide = f"{reverse('review', args=[portfolio.slug])}?cycle={cycle.pk}&amp;slide={later.pk}"
        assert f'hx-get="{slide}"' in html
        assert f'href="{slide}#objective-{later.pk}"' in html
        assert "slides=all&amp;print=1" in html

    def test_htmx_loads_one_slide(self, client, portfolio, cycle, later, stakeholder):
        client.force_login(stakeholder)

        url = f"{review_url(portfolio, cycle)}&slide={later.pk}"
        html = client.get(url, **HX).content.decode()

        assert html.lstrip().startswith("<section")
        assert html.count("data-review-section") == 1
        assert "NPS above 50" in html
        assert "Objective 2 of 2" in html
        assert "data-review-pending" not in html

    def test_every_slide_for_printing_and_without_javascript(
        self, client, portfolio, cycle, later, director
    ):
        client.force_login(director)

        html = client.get(f"{review_url(portfolio, cycle)}&slides=all&print=1").content.decode()

        assert "NPS above 50" in html
        assert "ARR to 10M" in html
        assert "data-review-pending" not in html
        assert "data-review-autoprint" in html

    def test_unknown_slide_is_404(self, client, portfolio, cycle, later, director, outsider):
        client.force_login(director)
        assert client.get(f"{review_url(portfolio, cycle)}&slide=999999", **HX).status_code == 404
        assert client.get(f"{review_url(portfolio, cycle)}&slide=x").status_code == 404
        client.force_login(outsider)
        url = f"{review_url(portfolio, cycle)}&slide={later.pk}"
        assert client.get(url, **HX).status_code == 404

    def test_query_count_is_bounded_for_a_slide_and_every_slide(
        self, client, portfolio, cycle, later, director
    ):
        client.force_login(director)

        def count(url, **headers):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, **headers).status_code == 200
            return len(queries)

        page = count(review_url(portfolio, cycle))
        # The fragment skips the layout's queries.
        assert count(f"{review_url(portfolio, cycle)}&slide={later.pk}", **HX) <= page
        assert count(f"{review_url(portfolio, cycle)}&slides=all") == page
        assert page <= 15
