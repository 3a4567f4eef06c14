import jsonschema
import pytest

from bot.rasa.server_entry import install_cached_schema_validation

SCHEMA = {"type": "object", "properties": {"events": {"type": "array"}}, "required": ["events"]}


def test_cached_validation_still_validates_and_still_refuses_bad_schemas():
    install_cached_schema_validation()
    jsonschema.validate({"events": []}, SCHEMA)
    jsonschema.validate({"events": [1, 2]}, dict(SCHEMA))  # an equal schema built anew: the cached validator
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"events": "not a list"}, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({}, SCHEMA)
    with pytest.raises(jsonschema.SchemaError):
        jsonschema.validate({}, {"type": "no-such-type"})
