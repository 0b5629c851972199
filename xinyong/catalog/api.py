"""HTTP API of the catalog domain (thin: it calls the service)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from xinyong.catalog import service
from xinyong.catalog.schemas import ItemDetail, ItemList, ItemSummary, RuleTable

router = APIRouter(prefix="/api/v1", tags=["catalog"])

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/catalog/items", response_model=ItemList, summary="信用信息目录项列表")
def list_items() -> ItemList:
    """信用信息目录：全部目录项。"""
    catalog = service.get_catalog()
    return ItemList(
        ruleset=catalog.meta.name,
        version=catalog.meta.version,
        items=[ItemSummary.of(i) for i in catalog.items()],
    )


@router.get("/catalog/items/{code}", response_model=ItemDetail, summary="一个目录项（字段、公示、时限）")
def get_item(code: str) -> ItemDetail:
    """一个目录项：字段、公开属性、可接受的表头别名（国家标准代码、中文名）。"""
    catalog = service.get_catalog()
    item = catalog.item(code)
    return ItemDetail(
        **ItemSummary.of(item).model_dump(),
        source_departments=item.source_departments,
        action_kind=item.action_kind,
        timeliness_working_days=catalog.timeliness_limit_working_days(item, date.today()),
        fields=item.fields,
    )


@router.get(
    "/catalog/items/{code}/template.xlsx",
    summary="下载目录项的 Excel 报送模板",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "XLSX 报送模板"}},
)
def item_template(code: str) -> Response:
    """下载目录项的 Excel 报送模板（中文表头、下拉选项、示例行）。"""
    item = service.get_catalog().item(code)
    body = service.xlsx_template(code)
    filename = f"{item.name_zh}报送模板.xlsx"
    disposition = f"attachment; filename=\"{item.code}.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return Response(body, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": disposition})


def _table(file: str, table: dict[str, object]) -> RuleTable:
    catalog = service.get_catalog()
    return RuleTable(ruleset=catalog.meta.name, version=catalog.meta.version, file=file, table=table)


@router.get("/catalog/rules/publicity", response_model=RuleTable, summary="公示期限规则表")
def publicity_rules() -> RuleTable:
    """公示期限规则表（按决定日期选用当时有效的规则）。"""
    return _table("publicity.yaml", service.get_catalog().publicity_rules.model_dump(mode="json"))


@router.get("/catalog/rules/severity", response_model=RuleTable, summary="失信严重程度规则表")
def severity_rules() -> RuleTable:
    """失信程度判定规则表（处罚类别、罚款金额阈值）。"""
    return _table("severity.yaml", service.get_catalog().severity_rules.model_dump(mode="json"))


@router.get("/catalog/rules/timeliness", response_model=RuleTable, summary="报送时限规则表")
def timeliness_rules() -> RuleTable:
    """双公示时效表（十类行政行为，工作日）。"""
    return _table("timeliness.yaml", service.get_catalog().timeliness_rules.model_dump(mode="json"))
