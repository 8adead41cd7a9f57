"""Exports: files other systems consume, each request sent exactly once."""

import datetime as dt

import dagster as dg
import pandas as pd

from recon_pipeline import konbini
from recon_pipeline.assets.marts import DUNNING_CANDIDATES
from recon_pipeline.assets.reconcile import RECEIVABLES
from recon_pipeline.assets.snapshot import daily_table, previous_day
from recon_pipeline.packaged import sql
from recon_pipeline.partitions import partition_days
from recon_pipeline.resources.exports import (
    ExportTarget,
    cp932_safe,
    csv_bytes,
    neutralize,
    write_atomically,
)
from recon_pipeline.resources.warehouse import WarehouseResource

SLIP_REQUESTS = dg.AssetKey(["exports", "slip_requests"])
SLIP_COLUMNS = [
    "request_id",
    "issue_type",
    "form_type",
    "slip_number",
    "name",
    "postal_code",
    "address",
    "amount",
    "due_date",
    "reissue_no",
    "barcode",
    "message",
]
TEXT_FIELDS = ("name", "postal_code", "address", "message")


def slip_file_name(day: dt.date) -> str:
    return f"slip_requests_{day:%Y%m%d}.csv"


def slip_file_rows(requests: pd.DataFrame) -> tuple[list[list[str]], list[str]]:
    """Cells of the slip file, and the request ids whose text needed 〓 replacements."""
    rows, replaced = [], []
    for request in requests.sort_values("request_id").itertuples(index=False):
        values = request._asdict()
        cells = []
        touched = False
        for column in SLIP_COLUMNS:
            value = values[column]
            if column == "due_date":
                text = pd.Timestamp(value).strftime("%Y%m%d")
            elif value is None or (not isinstance(value, str) and pd.isna(value)):
                text = ""
            else:
                text = str(value)
            if column in TEXT_FIELDS:
                text, changed = cp932_safe(text)
                touched |= changed
            cells.append(neutralize(text))
        if touched:
            replaced.append(values["request_id"])
        rows.append(cells)
    return rows, replaced


def _with_barcodes(due: pd.DataFrame, target: ExportTarget) -> tuple[pd.DataFrame, list[str]]:
    """Barcode per request; a request whose amount no barcode can carry is held back."""
    barcodes, unissuable = [], []
    for request in due.itertuples(index=False):
        try:
            barcodes.append(
                konbini.build(
                    company_code=target.company_code,
                    shop_code=target.shop_code,
                    payment_ref=request.slip_number,
                    reissue_no=int(request.reissue_no),
                    due_date=pd.Timestamp(request.due_date).date(),
                    amount=int(request.amount),
                )
            )
        except ValueError as error:
            barcodes.append(None)
            unissuable.append(f"{request.request_id}: {error}")
    due = due.assign(barcode=barcodes)
    return due[due["barcode"].notna()], unissuable


@daily_table(
    SLIP_REQUESTS,
    "exports",
    deps=[RECEIVABLES, DUNNING_CANDIDATES, previous_day(SLIP_REQUESTS)],
    kinds={"csv"},
)
def slip_requests(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, exporter: ExportTarget
) -> dg.MaterializeResult:
    """Payment-slip issuance requests (払込票発行依頼データ) sent to the collection agent:
    a NEW slip per new konbini receivable, a REISSUE per dunning re-issue. Every request
    ever sent is recorded with its file; a re-run rewrites the same file, sends nothing new."""
    written, new_requests, unissuable, replaced, files = 0, 0, [], [], []
    with warehouse.connect() as con:
        for day in partition_days(context):
            due = con.execute(sql("exports/slip_requests"), {"as_of": day}).df()
            sent_today = con.execute(
                "SELECT * FROM exports.slip_requests WHERE partition_date = $d", {"d": day}
            ).df()
            due = due[~due["request_id"].isin(sent_today["request_id"])]
            due, held = _with_barcodes(due, exporter)
            unissuable += held
            file_name = slip_file_name(day)
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            fresh = due.assign(partition_date=day, file_name=file_name, sent_at=now)
            parts = [frame for frame in (sent_today, fresh) if len(frame)]
            everything = pd.concat(parts, ignore_index=True) if parts else fresh
            if everything.empty:
                continue
            rows, touched = slip_file_rows(everything)
            replaced += touched
            data = csv_bytes(SLIP_COLUMNS, rows, "cp932", "\r\n", quote_all=True)
            written += write_atomically(exporter.path_for("slip_requests", file_name), data)
            files.append(file_name)
            if len(fresh):
                con.begin()
                con.execute("INSERT INTO exports.slip_requests BY NAME SELECT * FROM fresh")
                con.commit()
                new_requests += len(fresh)
    for problem in unissuable:
        context.log.warning(f"slip request not issuable: {problem}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": new_requests,
            "new_requests": new_requests,
            "files": ", ".join(files) or "none",
            "files_written": written,
            "unissuable": dg.MetadataValue.md("\n".join(f"- {p}" for p in unissuable) or "_none_"),
            "rows_with_replaced_characters": ", ".join(replaced) or "none",
        }
    )
