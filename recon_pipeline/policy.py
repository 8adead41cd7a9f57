"""The collections policy: dunning stages, settlement lags and the delivery calendar of the
freshness gate, as data (YAML).

Loaded and checked once per run, then written to ``config.*`` tables so the SQL that
computes dunning candidates reads it like any other table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from recon_pipeline.contracts import ContractSet, load_contracts
from recon_pipeline.packaged import _PACKAGE_ROOT

DEFAULT_POLICY = _PACKAGE_ROOT / "policies" / "dunning_policy.yaml"
PAYMENT_METHODS = ("CARD", "MALL", "COD", "BNPL", "KONBINI", "BANK_TRANSFER")
ACTIONS = ("REISSUE_SLIP", "LETTER", "FINAL_NOTICE", "COLLECTION_AGENCY", "WRITE_OFF_CANDIDATE")
FORM_TYPES = ("REMINDER", "REMINDER_RED")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
DEFAULT_TRANSFER_FEES = (110, 165, 220, 330, 440, 550, 660, 770, 880)
"""What Japanese banks charge a payer for a transfer (domain.md § Matching that learns)."""


class PolicyError(ValueError):
    """A policy file that cannot be used; the message says which stage and field."""


@dataclass(frozen=True)
class Stage:
    stage_no: int
    stage: str
    min_days_past_due: int | None
    min_days_since_previous: int | None
    slip_action: str
    letter_action: str
    form_type: str | None
    new_due_days: int | None
    blacklist: bool
    message: str | None


@dataclass(frozen=True)
class Delivery:
    """When a settlement source delivers: a file on each of ``weekdays``, and never a newest
    file older than ``max_age_days`` (an allowance for sources that deliver less often)."""

    source: str
    weekdays: tuple[str, ...]
    max_age_days: int


@dataclass(frozen=True)
class Policy:
    minimum_amount: int
    dunned_methods: tuple[str, ...]
    settlement_lag_days: dict[str, int]
    stages: tuple[Stage, ...]
    deliveries: tuple[Delivery, ...] = ()
    quarantine_hold_days: int = 7
    """How long a payment in quarantine that names a receivable holds its dunning: until the
    provider re-delivers it corrected, or this many days (then dunning resumes)."""
    reissue_corrected_slips: bool = True
    """A sent slip whose receivable's amount or due date changed afterwards (a corrected
    file) is listed in ``exports.slip_corrections``; True also sends a corrected slip."""
    transfer_fees: tuple[int, ...] = DEFAULT_TRANSFER_FEES
    """Bank transfer fees (振込手数料) a payer may deduct: a customer-number or alias transfer
    short of one open receivable by exactly one of them settles it (rule ``transfer_fee``)."""

    def transfer_fees_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"fee_amount": pd.Series(self.transfer_fees, dtype="int64")})

    def deliveries_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "source": [d.source for d in self.deliveries],
                "weekdays": [list(d.weekdays) for d in self.deliveries],
                "max_age_days": [d.max_age_days for d in self.deliveries],
            }
        )

    def stages_frame(self) -> pd.DataFrame:
        return pd.DataFrame([vars(stage) for stage in self.stages])

    def collections_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "payment_method": list(PAYMENT_METHODS),
                "settlement_lag_days": [self.settlement_lag_days.get(m) for m in PAYMENT_METHODS],
                "dunned": [m in self.dunned_methods for m in PAYMENT_METHODS],
                "minimum_amount": [self.minimum_amount] * len(PAYMENT_METHODS),
                "quarantine_hold_days": [self.quarantine_hold_days] * len(PAYMENT_METHODS),
            }
        )


def _optional_int(stage: dict, key: str, where: str) -> int | None:
    value = stage.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PolicyError(f"{where}: {key} must be a whole number of days >= 0, not {value!r}")
    return value


def _stage(number: int, spec: dict) -> Stage:
    where = f"stage {number} ({spec.get('stage', '?')})"
    if not spec.get("stage"):
        raise PolicyError(f"stage {number}: needs a name")
    for key in ("slip_action", "letter_action"):
        if spec.get(key) not in ACTIONS:
            raise PolicyError(f"{where}: {key} must be one of {', '.join(ACTIONS)}")
    if spec.get("slip_action") == "LETTER":
        raise PolicyError(f"{where}: a konbini receivable's action cannot be a plain LETTER")
    min_past_due = _optional_int(spec, "min_days_past_due", where)
    min_since = _optional_int(spec, "min_days_since_previous", where)
    if min_past_due is None and min_since is None:
        raise PolicyError(f"{where}: needs min_days_past_due or min_days_since_previous")
    new_due_days = _optional_int(spec, "new_due_days", where)
    form_type = spec.get("form_type")
    if spec["slip_action"] == "REISSUE_SLIP":
        if form_type not in FORM_TYPES:
            raise PolicyError(f"{where}: a re-issue needs form_type {' or '.join(FORM_TYPES)}")
        if not new_due_days:
            raise PolicyError(f"{where}: a re-issue needs new_due_days > 0")
    return Stage(
        stage_no=number,
        stage=str(spec["stage"]),
        min_days_past_due=min_past_due,
        min_days_since_previous=min_since,
        slip_action=spec["slip_action"],
        letter_action=spec["letter_action"],
        form_type=form_type,
        new_due_days=new_due_days,
        blacklist=bool(spec.get("blacklist", False)),
        message=spec.get("message"),
    )


def settlement_sources(contracts: ContractSet) -> tuple[str, ...]:
    """The sources whose files are payments: every contract that stages settlement lines,
    the packaged ones and a shop's own (``RECON_CONTRACTS_DIR``)."""
    return tuple(sorted(c.source for c in contracts if c.target == "settlement_lines"))


def _deliveries(path: Path, spec: object, sources: tuple[str, ...]) -> tuple[Delivery, ...]:
    """Every settlement source delivers every day unless the policy says otherwise."""
    spec = spec or {}
    if not isinstance(spec, dict):
        raise PolicyError(f"{path}: deliveries must map a source to its weekdays/max_age_days")
    if unknown := set(spec) - set(sources):
        raise PolicyError(
            f"{path}: deliveries names unknown settlement sources {sorted(unknown)} "
            f"(known: {', '.join(sources)})"
        )
    deliveries = []
    for source in sources:
        entry = spec.get(source) or {}
        where = f"{path}: deliveries.{source}"
        if not isinstance(entry, dict) or set(entry) - {"weekdays", "max_age_days"}:
            raise PolicyError(f"{where}: only weekdays and max_age_days can be set")
        weekdays = entry.get("weekdays", list(WEEKDAYS))
        if not isinstance(weekdays, list) or set(weekdays) - set(WEEKDAYS):
            raise PolicyError(f"{where}: weekdays must be a list of {', '.join(WEEKDAYS)}")
        max_age = _optional_int(entry, "max_age_days", where)
        deliveries.append(
            Delivery(source, tuple(d for d in WEEKDAYS if d in weekdays), max_age or 0)
        )
    return tuple(deliveries)


def load_policy(path: Path | None = None, sources: tuple[str, ...] | None = None) -> Policy:
    """Read and check a policy file (the packaged default when ``path`` is None) for the
    settlement ``sources`` in force (the packaged contracts' when None)."""
    path = path or DEFAULT_POLICY
    if sources is None:
        sources = settlement_sources(load_contracts())
    try:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PolicyError(f"{path}: cannot read the dunning policy: {error}") from error
    if not isinstance(spec, dict) or not spec.get("stages"):
        raise PolicyError(f"{path}: a policy needs a list of stages")
    stages = tuple(_stage(number, s) for number, s in enumerate(spec["stages"], start=1))
    if stages[0].min_days_past_due is None:
        raise PolicyError(f"{path}: the first stage needs min_days_past_due")
    methods = tuple(spec.get("dunned_methods", ("KONBINI", "BANK_TRANSFER")))
    if unknown := set(methods) - set(PAYMENT_METHODS):
        raise PolicyError(f"{path}: unknown payment methods {sorted(unknown)}")
    lags = dict(spec.get("settlement_lag_days") or {})
    if unknown := set(lags) - set(PAYMENT_METHODS):
        raise PolicyError(
            f"{path}: unknown payment methods in settlement_lag_days {sorted(unknown)}"
        )
    minimum = spec.get("minimum_amount", 1)
    if not isinstance(minimum, int) or minimum < 0:
        raise PolicyError(f"{path}: minimum_amount must be a whole number of yen >= 0")
    hold_days = spec.get("quarantine_hold_days", 7)
    if not isinstance(hold_days, int) or isinstance(hold_days, bool) or hold_days < 0:
        raise PolicyError(f"{path}: quarantine_hold_days must be a whole number of days >= 0")
    reissue = spec.get("reissue_corrected_slips", True)
    if not isinstance(reissue, bool):
        raise PolicyError(f"{path}: reissue_corrected_slips must be true or false")
    fees = spec.get("transfer_fees", list(DEFAULT_TRANSFER_FEES))
    if (
        not isinstance(fees, list)
        or any(not isinstance(f, int) or isinstance(f, bool) or f <= 0 for f in fees)
        or len(set(fees)) != len(fees)
    ):
        raise PolicyError(f"{path}: transfer_fees must be a list of distinct yen amounts > 0")
    return Policy(
        transfer_fees=tuple(sorted(fees)),
        quarantine_hold_days=hold_days,
        reissue_corrected_slips=reissue,
        minimum_amount=minimum,
        dunned_methods=methods,
        settlement_lag_days=lags,
        stages=stages,
        deliveries=_deliveries(path, spec.get("deliveries"), sources),
    )
