"""The errors a request can cause: RequestError is their base; BadInput (400), Forbidden
(403), NotFound (404) and Conflict (409) are siblings, so ``except BadInput`` means invalid
input only and ``except RequestError`` any refusal."""

import pytest

from scheduler.accounts.service import LinkGone
from scheduler.errors import BadInput, Conflict, Forbidden, NotFound, RequestError
from scheduler.events.workflow import TransitionRefused
from scheduler.planner.apply import PlanRefused

KINDS = [
    (BadInput, 400, "bad_request"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    (TransitionRefused, 409, "conflict"),
    (PlanRefused, 409, "conflict"),
    (LinkGone, 410, "gone"),
]


@pytest.mark.parametrize(("kind", "status", "error"), KINDS, ids=[k.__name__ for k, *_ in KINDS])
def test_each_kind_is_a_request_error_with_its_status(kind, status, error):
    exc = kind("Le message")
    assert isinstance(exc, RequestError)
    assert (exc.status, exc.error, exc.message) == (status, error, "Le message")


@pytest.mark.parametrize("kind", [Forbidden, NotFound, Conflict, TransitionRefused, LinkGone])
def test_except_bad_input_does_not_catch_other_refusals(kind):
    with pytest.raises(kind):
        try:
            raise kind("nope")
        except BadInput:  # only invalid input is meant here
            pytest.fail(f"{kind.__name__} was taken for invalid input")


def test_a_conflict_of_the_workflow_or_the_planner_is_a_conflict():
    assert issubclass(TransitionRefused, Conflict) and issubclass(PlanRefused, Conflict)
    assert issubclass(Forbidden, RequestError) and not issubclass(Forbidden, BadInput)
