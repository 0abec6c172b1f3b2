"""The field table in docs/privacy.md, the seed hashes and Heap's shapes, for real."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kedro_telemetry.collect import counts, project
from kedro_telemetry.collect import event as events
from tests.support.consent_files import give_consent
from tests.support.heap_receiver import HeapReceiver, contract_violations
from tests.support.kedro_env import kedro

FIELD_TABLE_PAGE = Path(__file__).parent.parent / "docs" / "privacy.md"
TOP_LEVEL = {"identity", "event", "timestamp", "idempotency_key"}


def documented_fields() -> set[str]:
    text = FIELD_TABLE_PAGE.read_text()
    table = text.split("<!-- fields:start -->")[1].split("<!-- fields:end -->")[0]
    return set(re.findall(r"^\| `([^`]+)` \|", table, flags=re.MULTILINE))


def sent_fields(event: dict[str, object]) -> set[str]:
    properties = event["properties"]
    assert isinstance(properties, dict)
    names = {
        re.sub(
            r"^validator_type_count\..+$",
            "validator_type_count.<library>",
            re.sub(r"^dataset_type_count\..+$", "dataset_type_count.<type>", key),
        )
        for key in properties
    }
    return names | (set(event) & TOP_LEVEL)


@pytest.mark.slow
def test_a_real_event_has_the_documented_fields_and_keeps_to_heaps_shapes(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    assert kedro("run", "--params=token=s3cret", cwd=consented, env=env).returncode == 0
    [event] = receiver.wait_for(1)
    assert sent_fields(event) == documented_fields()
    assert contract_violations({"app_id": "2388822444", "events": [event]}) == []
    assert receiver.requests[0]["app_id"] == "2388822444"
    stamp = datetime.fromisoformat(event["timestamp"])
    assert stamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - stamp) < timedelta(minutes=10)
    assert re.fullmatch(r"[0-9a-f]{64}", event["identity"])
    assert re.fullmatch(r"[0-9a-f]{64}", event["properties"]["username"])


@pytest.mark.slow
def test_the_app_id_can_name_a_development_app(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    give_consent(project)
    env["KEDRO_TELEMETRY_APP_ID"] = "12345"
    assert kedro("info", cwd=project, env=env).returncode == 0
    receiver.wait_for(1)
    assert receiver.requests[0]["app_id"] == "12345"


def test_hashes_match_the_seed_readme_table() -> None:
    metadata = SimpleNamespace(package_name="my-project", project_name="my_project")
    properties = project.project_properties(metadata)
    assert str(properties["package_name"]).startswith(
        "1c7cd944c28cd888904f3efc2345198507"
    )
    assert str(properties["project_name"]).startswith(
        "a6392d359362dc9827cf8688c9d634520e"
    )


def test_properties_take_only_the_shapes_heap_accepts() -> None:
    cleaned = events.clean_properties(
        {"flag": True, "missing": None, "count": 3, "long": "x" * 5000, "ratio": 0.5}
    )
    assert cleaned == {"flag": "true", "count": 3, "long": "x" * 1023, "ratio": 0.5}


def test_dataset_classes_outside_public_packages_count_as_custom() -> None:
    properties = counts.dataset_counts(
        [
            "kedro_datasets.pandas.csv_dataset.CSVDataset",
            "kedro_datasets.pandas.csv_dataset.CSVDataset",
            "kedro_datasets_experimental.x.Y",
            "kedro.io.memory_dataset.MemoryDataset",
            "kedro_datasets_private.Secret",  # looks public, is not
            "acme.secret_project.Dataset",
            None,
        ]
    )
    assert properties == {
        "number_of_datasets": 7,
        "dataset_type_count.custom": 3,
        "dataset_type_count.kedro.io.memory_dataset.MemoryDataset": 1,
        "dataset_type_count.kedro_datasets.pandas.csv_dataset.CSVDataset": 2,
        "dataset_type_count.kedro_datasets_experimental.x.Y": 1,
    }


@pytest.mark.parametrize(
    ("raw", "sent"),
    [
        ("['Linting', 'Testing']", "Linting, Testing"),  # what Kedro writes
        ("['None']", "None"),
        (["PySpark", "Kedro Viz"], "PySpark, Kedro Viz"),  # a TOML list
        ("['Linting', 'my secret tool', 'another']", "Linting, custom"),
        ("['Linting', 3]", "Linting, custom"),
        ("[['Linting'], {'a': 1}]", "custom"),  # unhashable entries
        ([{"name": "Linting"}], "custom"),
        ("Linting, Testing", None),  # not Kedro's shape: nothing, not the text
        ("my secret text", None),
        ("[" * 400 + "]" * 400, None),
        ("['Linting']" + " " * 1000, None),
        ("__import__('os').system('false')", None),
        ("[__import__('os')]", None),
        ("[]", None),
        (7, None),
        (None, None),
    ],
)
def test_tools_are_sent_only_as_kedro_names(raw: object, sent: str | None) -> None:
    assert project.starter_tools(raw) == sent


@pytest.mark.parametrize(
    ("raw", "sent"),
    [
        ("True", "true"),
        ("False", "false"),
        (" false ", "false"),
        (True, "true"),
        (False, "false"),
        ("yes, with my own secret pipeline", None),
        (["x", 1], None),
        (None, None),
    ],
)
def test_example_pipeline_is_only_true_or_false(raw: object, sent: str | None) -> None:
    assert project.example_pipeline_flag(raw) == sent


@given(st.one_of(st.text(max_size=300), st.lists(st.text(max_size=30))))
def test_tools_never_carry_other_text(raw: object) -> None:
    sent = project.starter_tools(raw)
    known = {*project.STARTER_TOOLS, "custom"}
    assert sent is None or set(sent.split(", ")) <= known


def test_validators_outside_public_libraries_count_as_custom() -> None:
    properties = counts.validator_counts(
        [
            "pandera.pandas.DataFrameSchema",
            "pydantic.BaseModel",
            "acme.checks.secret_rule",
            "panderax.Schema",  # looks public, is not
            None,
        ]
    )
    assert properties == {
        "number_of_validated_datasets": 5,
        "validator_type_count.custom": 3,
        "validator_type_count.pandera": 1,
        "validator_type_count.pydantic": 1,
    }


def test_a_pipeline_filter_sends_no_pipeline_counts() -> None:
    assert counts.pipeline_counts(filtered=True, nodes=4, pipelines=2) == {
        "pipeline_filter": "true"
    }
    assert counts.pipeline_counts(filtered=False, nodes=4, pipelines=2) == {
        "pipeline_filter": "false",
        "number_of_nodes": 4,
        "number_of_pipelines": 2,
    }


def test_tools_and_example_pipeline_are_read_as_kedro_names_only(
    project: Path,
) -> None:
    """Kedro writes ``tools`` as the text of a Python list; a person may add to it.

    In this process, through Kedro's own reading of ``pyproject.toml``, the one
    the CLI hands the plugin too.
    """
    from kedro_telemetry.collect.project import metadata_at, project_properties

    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert "tools = \"['None']\"" in text and 'example_pipeline = "False"' in text
    pyproject.write_text(
        text.replace(
            "tools = \"['None']\"",
            "tools = \"['Linting', 'Testing', 'Moonshot Lab toolkit']\"",
        ).replace('example_pipeline = "False"', 'example_pipeline = "True"')
    )

    properties = project_properties(metadata_at(project))

    assert properties["tools"] == "Linting, Testing, custom"
    assert properties["example_pipeline"] == "true"
    assert "Moonshot" not in str(properties)
