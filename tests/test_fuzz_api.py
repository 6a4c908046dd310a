"""Fuzz the JSON API against its own OpenAPI schema with schemathesis (in process, no server).

Every operation is called with generated valid and invalid input, as a social worker with a
bearer token, on SQLite and on PostgreSQL: no answer may be a 5xx, and every answer must be
one the schema documents (status, content type, headers, body shape).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app.auth.service import create_token
from app.domain.schema import StrategyRecordData
from app.followup import lifecycle
from app.main import app
from tests.builders import complete_record
from tests.conftest import make_user

# No 5xx, and every answer as documented. Not "schema-valid input is accepted": the schema
# cannot say that a time must not be in the future, or that a write needs a revision (428).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]

# Enough to reach every branch of the small API, few enough to stay within a couple of
# minutes per database on two shared cores.
EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def fuzz_world(engine, session):
    """A social worker's token and a few records the generated ids are pointed at."""
    user = make_user(session, "fuzzer")
    _, secret = create_token(session, user, "fuzzing")
    data = StrategyRecordData.model_validate(complete_record())
    ids = [lifecycle.create_record(session, data=data, team=user.team, created_by_id=user.id).id,
           lifecycle.create_record(session, team=user.team, created_by_id=user.id).id]
    return secret, ids


# Loaded once from the app itself; each operation becomes a test, run on each database.
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_api_answers_as_its_schema_says(case, fuzz_world):
    secret, ids = fuzz_world
    record_id = (case.path_parameters or {}).get("record_id")
    if isinstance(record_id, int) and record_id % 4:
        # Most calls reach a real record; the rest keep the generated id (a 404, or a 422).
        case.path_parameters["record_id"] = ids[record_id % len(ids)]
    case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)
