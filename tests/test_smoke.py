from tests.conftest import signed_in


def test_each_role_lands_on_its_own_home(world):
    assert signed_in(world.dana).get("/home/")["Location"] == "/coach/"
    assert signed_in(world.avi).get("/home/")["Location"] == "/client/"
    assert signed_in(world.admin).get("/home/")["Location"] == "/admin-area/"


def test_client_opening_coach_area_is_sent_home(world):
    response = signed_in(world.avi).get("/coach/", follow=True)
    assert response.redirect_chain == [("/client/", 302)]
    assert response.status_code == 200


def test_api_me_requires_a_session_and_answers_problem_json(world, client):
    anonymous = client.get("/api/v1/me")
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"] == "application/problem+json"
    response = signed_in(world.dana).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["role"] == "coach"
