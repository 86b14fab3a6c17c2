import pytest
from django.core.exceptions import ValidationError

from teams.models import Discipline, Team, User
from teams.services import team_create, team_update, user_create
from tests.teams.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


class TestUserCreate:
    def test_with_a_password_can_sign_in(self):
        user = user_create(username="dana", email="Dana@Example.COM", password="s3cret-enough")

        user.refresh_from_db()
        assert user.check_password("s3cret-enough")
        assert user.email == "Dana@example.com"

    def test_without_a_password_cannot_sign_in(self):
        user = user_create(username="eli", display_name="Eli")

        assert not user.has_usable_password()
        assert user.name == "Eli"

    def test_refuses_a_taken_username(self):
        UserFactory(username="dana")

        with pytest.raises(ValidationError) as error:
            user_create(username="dana")

        assert "username" in error.value.message_dict
        assert User.objects.count() == 1

    def test_refuses_an_email_used_by_someone_else_whatever_its_case(self):
        UserFactory(username="dana", email="dana@example.com")

        with pytest.raises(ValidationError, match="already uses this e-mail"):
            user_create(username="dana2", email="DANA@example.com")

        assert not User.objects.filter(username="dana2").exists()

    def test_several_people_may_have_no_email(self):
        user_create(username="a")
        user_create(username="b")

        assert User.objects.filter(email="").count() == 2

    def test_refuses_an_invalid_username(self):
        with pytest.raises(ValidationError) as error:
            user_create(username="no spaces please")

        assert "username" in error.value.message_dict
        assert not User.objects.exists()


class TestTeamCreate:
    def test_creates_the_team_with_its_lead_as_member(self):
        lead, member = UserFactory(), UserFactory()

        team = team_create(
            name="Payments", discipline=Discipline.ENGINEERING, lead=lead, members=[member]
        )

        assert team.lead == lead
        assert set(team.members.all()) == {lead, member}

    def test_refuses_an_unknown_discipline(self):
        with pytest.raises(ValidationError) as error:
            team_create(name="Payments", discipline="astrology")

        assert "discipline" in error.value.message_dict
        assert not Team.objects.exists()

    def test_refuses_a_taken_name(self):
        TeamFactory(name="Payments")

        with pytest.raises(ValidationError) as error:
            team_create(name="Payments", discipline=Discipline.DESIGN)

        assert "name" in error.value.message_dict
        assert Team.objects.count() == 1


class TestTeamUpdate:
    def test_changes_the_given_fields_and_members(self):
        team = TeamFactory(name="Payments")
        member = UserFactory()

        team_update(team=team, name="Billing", discipline=Discipline.DATA, members=[member])

        team.refresh_from_db()
        assert (team.name, team.discipline) == ("Billing", Discipline.DATA)
        assert list(team.members.all()) == [member]

    def test_refuses_bad_input_and_changes_nothing(self):
        team = TeamFactory(name="Payments", discipline=Discipline.DESIGN)

        with pytest.raises(ValidationError):
            team_update(team=team, name="Billing", discipline="astrology")

        assert (team.name, team.discipline) == ("Payments", Discipline.DESIGN)
        team.refresh_from_db()
        assert (team.name, team.discipline) == ("Payments", Discipline.DESIGN)

    def test_refuses_an_unknown_field(self):
        team = TeamFactory()

        with pytest.raises(TypeError, match="colour"):
            team_update(team=team, colour="red")
