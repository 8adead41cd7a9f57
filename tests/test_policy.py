"""The dunning policy as data: the packaged default, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from recon_pipeline.policy import PolicyError, load_policy


def test_default_policy_has_the_five_stages_of_the_spec():
    policy = load_policy()
    assert [s.stage for s in policy.stages] == [
        "REMINDER_1",
        "REMINDER_2",
        "FINAL_NOTICE",
        "COLLECTION_AGENCY",
        "WRITE_OFF_CANDIDATE",
    ]
    assert [(s.min_days_past_due, s.min_days_since_previous) for s in policy.stages] == [
        (7, None),
        (None, 14),
        (None, 14),
        (None, 30),
        (365, None),
    ]
    assert [s.new_due_days for s in policy.stages[:2]] == [14, 10]
    assert [s.form_type for s in policy.stages[:2]] == ["REMINDER", "REMINDER_RED"]
    assert policy.stages[3].blacklist
    assert policy.settlement_lag_days == {"CARD": 7, "MALL": 14, "COD": 10, "BNPL": 30}
    assert policy.transfer_fees == (110, 165, 220, 330, 440, 550, 660, 770, 880)


def test_every_settlement_source_delivers_daily_but_amazon_every_14_days():
    deliveries = {d.source: (len(d.weekdays), d.max_age_days) for d in load_policy().deliveries}
    assert deliveries == {
        "card": (7, 0),
        "amazon": (0, 14),
        "cod": (7, 0),
        "bnpl": (7, 0),
        "konbini": (7, 0),
        "bank": (7, 0),
    }


ONE_STAGE = (
    "stages:\n  - {stage: A, slip_action: FINAL_NOTICE, letter_action: LETTER, "
    "min_days_past_due: 7}\n"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stages: []", "needs a list of stages"),
        (
            "stages:\n  - {stage: A, slip_action: REISSUE_SLIP, letter_action: LETTER, "
            "min_days_past_due: 7, new_due_days: 14}",
            "needs form_type",
        ),
        (
            "stages:\n  - {stage: A, slip_action: EMAIL, letter_action: LETTER, "
            "min_days_past_due: 7}",
            "slip_action must be one of",
        ),
        (
            "stages:\n  - {stage: A, slip_action: FINAL_NOTICE, letter_action: LETTER, "
            "min_days_past_due: -1}",
            "whole number of days",
        ),
        (
            "stages:\n  - {stage: A, slip_action: FINAL_NOTICE, letter_action: LETTER}",
            "needs min_days_past_due or min_days_since_previous",
        ),
        ("{{", "cannot read the dunning policy"),
        (ONE_STAGE + "deliveries: {paypay: {}}", "unknown settlement sources"),
        (ONE_STAGE + "deliveries: {bank: {weekdays: [MONDAY]}}", "weekdays must be a list"),
        (ONE_STAGE + "deliveries: {bank: {max_age_days: -2}}", "whole number of days"),
        (ONE_STAGE + "deliveries: {bank: {every: 2}}", "only weekdays and max_age_days"),
        (ONE_STAGE + "transfer_fees: [440, 440]", "distinct yen amounts"),
        (ONE_STAGE + "transfer_fees: [0]", "distinct yen amounts"),
        (ONE_STAGE + "transfer_fees: 440", "distinct yen amounts"),
    ],
)
def test_bad_policies_are_refused_with_the_reason(tmp_path: Path, text, message):
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        load_policy(path)
