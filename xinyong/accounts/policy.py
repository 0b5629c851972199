"""THE access policy: for every route (method + path template) which roles may call it and which
scope an API key needs. ``xinyong.accounts.middleware`` enforces it for every request; a route
missing here is denied (fail closed) and ``tests/accounts/test_matrix.py`` fails.

Adding a route? Add one line below. Rules:

* ``public(...)``: anyone, anonymous included (rate limited per client IP when anonymous).
  Any API key may call a public route. What a role *sees* there is the domain's business
  (disclosure levels), not this table's.
* ``only(roles, scope)``: signed-in users with one of ``roles``; an API key needs one of those
  roles AND ``scope``. ``scope=None``: not for API keys (portal-only); ``ANY_KEY``: any key of
  those roles.
* Mounts (static files) are declared as ``<mount path>/{path:path}``.
"""

from __future__ import annotations

from dataclasses import dataclass

from xinyong.accounts.principal import ACCOUNT_ROLES, ROLES, Principal

ANY_KEY = "*"

# Scope names for API keys: "<resource>:<read|write>".
SCOPES: dict[str, str] = {
    "subjects:read": "查询信用主体",
    "records:read": "读取信用记录（非公开部分按披露级别）",
    "checks:read": "联合奖惩核查（查询式、嵌入式）",
    "submissions:write": "报送信用信息、处理待纠正数据",
    "submissions:read": "查看本单位的报送结果、待纠正数据和报送统计",
    "governance:read": "查看重错码治理事项",
    "governance:write": "处理重错码治理事项",
    "querylog:read": "检索、导出查询记录",
    "accounts:read": "查看用户、部门、API 密钥",
    "accounts:write": "管理用户、部门、API 密钥",
    "feedback:read": "查看本部门的奖惩反馈、反馈统计和逾期未反馈的核查",
    "feedback:write": "反馈奖惩措施实施情况、标记典型案例",
    "subscriptions:read": "查看本部门的推送订阅和投递记录",
    "subscriptions:write": "登记、停用本部门的推送订阅",
    "push:replay": "查看推送死信队列并重新投递",
    "evaluation:read": "查看公共信用综合评价结果及原因",
    "evaluation:write": "运行评价、上传和试算草稿模型",
    "lists:read": "查看名单认定程序和待办（信息提供单位限本部门）",
    "lists:write": "办理名单认定程序：提议、告知、决定、公布、约谈、移出（信息提供单位限本部门）",
    "lists:statement": "对本主体的名单认定程序提出陈述申辩",
    "reports:read": "下载已出具的信用报告、查看信用报告登记簿（信用办）",
    "reports:write": "申请出具信用报告、反馈信用报告的使用、管理本主体的报告授权",
    "quality:read": "查看数据质量评分和排名（信息提供单位限本部门）",
    "quality:write": "保存月度数据质量评分并推送各部门评分卡",
    "monitoring:read": "查看城市信用状况监测指标",
    "government:read": "查看政务诚信主体、评价排名和失信通报",
    "government:write": "登记机关事业单位",
    "objections:read": "查看异议申请及办理进度（主体限本主体，信息提供单位限本部门）",
    "objections:write": "提出异议、办理异议（比对、核查回复、决定、撤回）",
    "repairs:read": "查看信用修复申请及可否申请（主体限本主体，认定单位限本部门）",
    "repairs:write": "申请信用修复、办理信用修复（受理、决定、撤回）",
    "commitments:read": "查看信用承诺（主体限本主体，部门限本部门受理的）",
    "commitments:write": "签署信用承诺、补齐材料、核查履约",
    "declarations:read": "查看自主申报（主体限本主体，部门限本部门核实的）",
    "declarations:write": "提交自主申报、核实或不予核实",
    "content:write": "编辑、发布通知公告、政策法规、信用动态",
}


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    # API keys need this scope; None = API keys may not call the route; ANY_KEY = any key.
    scope: str | None = None
    # Request body limit: "default" (max_request_bytes) or "upload" (max_upload_bytes).
    body: str = "default"
    # Anonymous calls count against the per-IP bucket (public rules only).
    rate_limited: bool = True

    @property
    def public(self) -> bool:
        return "public" in self.roles


def public(*, body: str = "default", rate_limited: bool = True) -> Rule:
    return Rule(frozenset(ROLES), ANY_KEY, body, rate_limited)


def only(roles: tuple[str, ...] | list[str], scope: str | None, *, body: str = "default") -> Rule:
    bad = set(roles) - set(ACCOUNT_ROLES)
    assert not bad, f"unknown roles {bad}"
    assert scope is None or scope == ANY_KEY or scope in SCOPES, f"unknown scope {scope}"
    return Rule(frozenset(roles), scope, body, rate_limited=False)


PUBLIC = public()
ASSET = public(rate_limited=False)  # static files, API docs: not counted against the bucket
SIGNED_IN = only(ACCOUNT_ROLES, None)  # any logged-in portal user
STAFF = ("credit_office", "admin")
ADMIN = ("admin",)
PROVIDER = ("provider",)
# Joint measures (xinyong/measures): who checks, who subscribes and reports back.
CHECKERS = ("regulator", "provider", "credit_office")
DEPARTMENTS = ("regulator", "provider")
FEEDBACK_READERS = ("regulator", "provider", "credit_office")
CREDIT_OFFICE = ("credit_office",)
LISTS_WRITERS = ("provider", "credit_office")
LISTS_READERS = ("provider", "regulator", "credit_office", "admin")
EVALUATION_READERS = ("subject", "credit_office", "regulator")
# Subject rights (xinyong/objections, xinyong/repairs): the subject files and follows its own;
# the deciding department (a provider) acts on its own; the credit office's window on all.
RIGHTS_READERS = ("subject", "provider", "regulator", "credit_office", "admin")
RIGHTS_WRITERS = ("subject", "provider", "credit_office", "admin")
# Portal: the subject's own pages (/me) and the staff console (/console; a provider sees and acts
# on its own department's data, the service narrows it).
SUBJECT = ("subject",)
CONSOLE = ("provider", "credit_office", "admin")
# Agencies that report back which reports they relied on (信用报告应用反馈).
REPORT_USERS = ("provider", "regulator", "credit_office", "bank")
# Commitments and self-declarations (xinyong/commitments, xinyong/declarations): the subject signs
# or declares, the department concerned verifies; the service narrows to own subject / department.
RIGHTS_READERS = ("subject", "provider", "credit_office", "regulator", "admin")
RIGHTS_FILERS = ("subject", "credit_office")
RIGHTS_STEPPERS = ("subject", "provider", "credit_office")
RIGHTS_QUEUE = ("provider", "credit_office", "admin")

POLICY: dict[tuple[str, str], Rule] = {
    # --- system and API docs (core) -----------------------------------------------------
    ("GET", "/api/v1/health"): PUBLIC,
    ("GET", "/openapi.json"): ASSET,
    ("GET", "/docs"): ASSET,
    ("GET", "/docs/swagger-init.js"): ASSET,
    ("GET", "/static/swagger/{path:path}"): ASSET,
    # --- subjects and governance -----------------------------------------------------------
    ("GET", "/api/v1/subjects"): PUBLIC,
    ("GET", "/api/v1/subjects/{code}"): PUBLIC,
    ("GET", "/api/v1/subjects/{code}/relations"): PUBLIC,
    ("GET", "/api/v1/governance/cases"): only(STAFF, "governance:read"),
    ("GET", "/api/v1/governance/cases/{case_id}"): only(STAFF, "governance:read"),
    ("POST", "/api/v1/governance/cases/{case_id}/resolve"): only(STAFF, "governance:write"),
    ("POST", "/api/v1/governance/detect"): only(STAFF, "governance:write"),
    ("GET", "/api/v1/governance/report"): only(STAFF, "governance:read"),
    # --- catalog ------------------------------------------------------------------------------
    ("GET", "/api/v1/catalog/items"): PUBLIC,
    ("GET", "/api/v1/catalog/items/{code}"): PUBLIC,
    ("GET", "/api/v1/catalog/items/{code}/template.xlsx"): PUBLIC,
    ("GET", "/api/v1/catalog/rules/publicity"): PUBLIC,
    ("GET", "/api/v1/catalog/rules/severity"): PUBLIC,
    ("GET", "/api/v1/catalog/rules/timeliness"): PUBLIC,
    # --- ingest (a provider sees only its own submissions) -------------------------------
    ("POST", "/api/v1/submissions"): only(PROVIDER, "submissions:write", body="upload"),
    ("POST", "/api/v1/submissions/file"): only(PROVIDER, "submissions:write", body="upload"),
    ("GET", "/api/v1/submissions"): only(PROVIDER, "submissions:read"),
    ("GET", "/api/v1/submissions/{submission_id}"): only(PROVIDER, "submissions:read"),
    ("GET", "/api/v1/quarantine"): only(PROVIDER, "submissions:read"),
    ("GET", "/api/v1/quarantine/{quarantine_id}"): only(PROVIDER, "submissions:read"),
    ("POST", "/api/v1/quarantine/{quarantine_id}/resubmit"): only(PROVIDER, "submissions:write"),
    ("POST", "/api/v1/quarantine/{quarantine_id}/discard"): only(PROVIDER, "submissions:write"),
    ("GET", "/api/v1/providers/{code}/metrics"): only(PROVIDER, "submissions:read"),
    ("GET", "/api/v1/approvals"): only(PROVIDER, "submissions:read"),
    ("POST", "/api/v1/submissions/{submission_id}/approve"): only(PROVIDER, "submissions:write"),
    # --- records (public view; other views follow the disclosure levels) ----------------------
    ("GET", "/api/v1/subjects/{code}/records"): PUBLIC,
    ("GET", "/api/v1/records/{record_id}"): PUBLIC,
    ("GET", "/api/v1/subjects/{code}/credit-state"): PUBLIC,
    # --- ledger (public on purpose: anyone may verify) ---------------------------------------
    ("GET", "/api/v1/ledger/checkpoints"): PUBLIC,
    # --- working-day calendar (public: the same count for every system) ------------------------
    ("GET", "/api/v1/calendar/working-days"): PUBLIC,
    ("GET", "/api/v1/calendar/years"): PUBLIC,
    ("GET", "/api/v1/ledger/public-key"): PUBLIC,
    ("GET", "/api/v1/ledger/proof/{seq}"): PUBLIC,
    ("GET", "/api/v1/ledger/proof"): PUBLIC,
    # --- joint measures: the published catalog, checks, feedback, push (xinyong/measures) --------
    ("GET", "/api/v1/measures"): PUBLIC,
    ("GET", "/api/v1/measures/matters"): PUBLIC,
    ("GET", "/api/v1/measures/cases"): PUBLIC,
    ("GET", "/api/v1/measures/{code}"): PUBLIC,
    ("POST", "/api/v1/checks"): only(CHECKERS, "checks:read"),
    ("POST", "/api/v1/checks/batch"): only(CHECKERS, "checks:read"),
    ("POST", "/api/v1/checks/batch/file"): only(CHECKERS, "checks:read", body="upload"),
    ("POST", "/api/v1/checks/verify"): PUBLIC,
    ("GET", "/api/v1/checks"): only(CHECKERS, "checks:read"),
    ("GET", "/api/v1/checks/{check_id}"): only(CHECKERS, "checks:read"),
    ("POST", "/api/v1/feedback"): only(DEPARTMENTS, "feedback:write"),
    ("GET", "/api/v1/feedback"): only(FEEDBACK_READERS, "feedback:read"),
    ("GET", "/api/v1/feedback/stats"): only(FEEDBACK_READERS, "feedback:read"),
    ("POST", "/api/v1/feedback/{feedback_id}/typical"): only(FEEDBACK_READERS, "feedback:write"),
    ("POST", "/api/v1/subscriptions"): only(DEPARTMENTS, "subscriptions:write"),
    ("GET", "/api/v1/subscriptions"): only(DEPARTMENTS, "subscriptions:read"),
    ("GET", "/api/v1/subscriptions/{subscription_id}"): only(DEPARTMENTS, "subscriptions:read"),
    ("POST", "/api/v1/subscriptions/{subscription_id}/deactivate"): only(DEPARTMENTS, "subscriptions:write"),
    ("GET", "/api/v1/subscriptions/{subscription_id}/deliveries"): only(DEPARTMENTS, "subscriptions:read"),
    ("GET", "/api/v1/push/dead-letters"): only(("credit_office",), "push:replay"),
    ("POST", "/api/v1/push/dead-letters/{delivery_id}/replay"): only(("credit_office",), "push:replay"),
    # --- evaluation (grades: the subject itself, credit office, regulators; runs and drafts:
    # credit office; published models are public rules) -------------------------------------
    ("GET", "/api/v1/evaluation/subjects/{subject_id}"): only(EVALUATION_READERS, "evaluation:read"),
    ("GET", "/api/v1/evaluation/subjects/{subject_id}/history"): only(EVALUATION_READERS, "evaluation:read"),
    ("GET", "/api/v1/evaluation/subjects/{subject_id}/whatif"): only(EVALUATION_READERS, "evaluation:read"),
    ("GET", "/api/v1/evaluation/subjects/{subject_id}/under/{model_id}"): only(
        CREDIT_OFFICE, "evaluation:write"
    ),
    ("GET", "/api/v1/evaluation/models"): PUBLIC,
    # --- data quality, monitoring, government integrity (xinyong/quality, monitoring, government)
    ("GET", "/api/v1/quality"): only(CONSOLE, "quality:read"),
    ("GET", "/api/v1/quality/export"): only(CONSOLE, "quality:read"),
    ("POST", "/api/v1/quality/{month}/publish"): only(STAFF, "quality:write"),
    ("GET", "/api/v1/monitoring/indicators"): only(STAFF, "monitoring:read"),
    ("GET", "/api/v1/monitoring/indicators/{code}"): only(STAFF, "monitoring:read"),
    ("GET", "/api/v1/government/bodies"): only(STAFF, "government:read"),
    ("POST", "/api/v1/government/bodies"): only(STAFF, "government:write"),
    ("GET", "/api/v1/government/ranking"): only(STAFF, "government:read"),
    ("GET", "/api/v1/government/notices"): only(STAFF, "government:read"),
    ("GET", "/api/v1/evaluation/models/{model_id}"): PUBLIC,
    ("GET", "/api/v1/evaluation/drafts"): only(CREDIT_OFFICE, "evaluation:write"),
    ("POST", "/api/v1/evaluation/drafts"): only(CREDIT_OFFICE, "evaluation:write"),
    ("GET", "/api/v1/evaluation/drafts/{model_id}"): only(CREDIT_OFFICE, "evaluation:write"),
    ("POST", "/api/v1/evaluation/drafts/{model_id}/preview"): only(CREDIT_OFFICE, "evaluation:write"),
    ("GET", "/api/v1/evaluation/runs"): only(CREDIT_OFFICE, "evaluation:write"),
    ("POST", "/api/v1/evaluation/runs"): only(CREDIT_OFFICE, "evaluation:write"),
    ("GET", "/api/v1/evaluation/runs/{run_id}"): only(CREDIT_OFFICE, "evaluation:write"),
    ("GET", "/api/v1/evaluation/backtest"): only(CREDIT_OFFICE, "evaluation:write"),
    # --- query log and purposes (xinyong/querylog) -------------------------------------------
    ("GET", "/api/v1/purposes"): PUBLIC,
    ("GET", "/api/v1/me/viewers"): only(("subject",), "records:read"),
    ("GET", "/api/v1/query-log"): only(STAFF, "querylog:read"),
    ("GET", "/api/v1/query-log/export.csv"): only(STAFF, "querylog:read"),
    ("GET", "/api/v1/query-log/flags"): only(STAFF, "querylog:read"),
    ("GET", "/my/viewers"): only(("subject",), None),
    # --- lists (xinyong/lists): list types and published lists are public; providers run the
    # procedures of their department, the credit office all of them; a subject sees and answers
    # its own (the service checks "own department" / "own subject") ----------------------------
    ("GET", "/api/v1/lists/types"): PUBLIC,
    ("GET", "/api/v1/lists/types/{code}"): PUBLIC,
    ("GET", "/api/v1/lists/members"): PUBLIC,
    ("GET", "/api/v1/lists/announcements/{procedure_id}"): PUBLIC,
    ("GET", "/api/v1/lists/procedures"): only(LISTS_READERS, "lists:read"),
    ("POST", "/api/v1/lists/procedures"): only(LISTS_WRITERS, "lists:write"),
    ("GET", "/api/v1/lists/procedures/{procedure_id}"): only((*LISTS_READERS, "subject"), "lists:read"),
    ("POST", "/api/v1/lists/procedures/{procedure_id}/notice"): only(LISTS_WRITERS, "lists:write"),
    ("POST", "/api/v1/lists/procedures/{procedure_id}/statement"): only(
        (*LISTS_WRITERS, "subject"), "lists:statement"
    ),
    ("POST", "/api/v1/lists/procedures/{procedure_id}/decision"): only(LISTS_WRITERS, "lists:write"),
    ("POST", "/api/v1/lists/procedures/{procedure_id}/publication"): only(LISTS_WRITERS, "lists:write"),
    ("POST", "/api/v1/lists/procedures/{procedure_id}/interviews"): only(LISTS_WRITERS, "lists:write"),
    ("POST", "/api/v1/lists/procedures/{procedure_id}/rectification"): only(LISTS_WRITERS, "lists:write"),
    ("POST", "/api/v1/lists/procedures/{procedure_id}/exit"): only(LISTS_WRITERS, "lists:write"),
    ("POST", "/api/v1/lists/procedures/{procedure_id}/withdrawal"): only(LISTS_WRITERS, "lists:write"),
    ("GET", "/api/v1/lists/queue"): only(LISTS_WRITERS, "lists:read"),
    ("GET", "/api/v1/lists/my/procedures"): only(("subject",), "lists:read"),
    # --- subject rights: objections and credit repair (xinyong/objections, xinyong/repairs) -------
    ("GET", "/api/v1/objections"): only(RIGHTS_READERS, "objections:read"),
    ("POST", "/api/v1/objections"): only(("subject", "credit_office", "admin"), "objections:write"),
    ("GET", "/api/v1/objections/track"): PUBLIC,
    ("GET", "/api/v1/objections/{objection_id}"): only(RIGHTS_READERS, "objections:read"),
    ("POST", "/api/v1/objections/{objection_id}/steps"): only(RIGHTS_WRITERS, "objections:write"),
    ("POST", "/api/v1/objections/{objection_id}/attachments"): only(
        ("subject", "credit_office", "admin"), "objections:write", body="upload"
    ),
    ("GET", "/api/v1/objections/{objection_id}/attachments/{attachment_id}"): only(
        RIGHTS_READERS, "objections:read"
    ),
    ("GET", "/api/v1/repairs"): only(RIGHTS_READERS, "repairs:read"),
    ("POST", "/api/v1/repairs"): only(("subject", "credit_office", "admin"), "repairs:write"),
    ("GET", "/api/v1/repairs/eligibility"): only(RIGHTS_READERS, "repairs:read"),
    ("GET", "/api/v1/repairs/track"): PUBLIC,
    ("GET", "/api/v1/repairs/{repair_id}"): only(RIGHTS_READERS, "repairs:read"),
    ("POST", "/api/v1/repairs/{repair_id}/steps"): only(RIGHTS_WRITERS, "repairs:write"),
    ("POST", "/api/v1/repairs/{repair_id}/attachments"): only(
        ("subject", "credit_office", "admin"), "repairs:write", body="upload"
    ),
    ("GET", "/api/v1/repairs/{repair_id}/attachments/{attachment_id}"): only(RIGHTS_READERS, "repairs:read"),
    ("GET", "/lists"): PUBLIC,
    ("GET", "/lists/red"): PUBLIC,
    ("GET", "/lists/watch"): PUBLIC,
    ("GET", "/lists/black"): PUBLIC,
    ("GET", "/lists/announcements"): PUBLIC,
    ("GET", "/lists/announcements/{procedure_id}"): PUBLIC,
    ("GET", "/lists/queue"): only((*LISTS_WRITERS, "admin"), None),
    # --- commitments and self-declarations (xinyong/commitments, xinyong/declarations) ----------
    ("GET", "/api/v1/commitments/templates"): PUBLIC,
    ("GET", "/api/v1/commitments"): only(RIGHTS_READERS, "commitments:read"),
    ("POST", "/api/v1/commitments"): only(RIGHTS_FILERS, "commitments:write"),
    ("GET", "/api/v1/commitments/overdue"): only(RIGHTS_QUEUE, "commitments:read"),
    ("GET", "/api/v1/commitments/{commitment_id}"): only(RIGHTS_READERS, "commitments:read"),
    ("POST", "/api/v1/commitments/{commitment_id}/steps"): only(
        RIGHTS_STEPPERS, "commitments:write", body="upload"
    ),
    ("GET", "/api/v1/declarations/kinds"): PUBLIC,
    ("GET", "/api/v1/declarations"): only(RIGHTS_READERS, "declarations:read"),
    ("POST", "/api/v1/declarations"): only(RIGHTS_FILERS, "declarations:write", body="upload"),
    ("GET", "/api/v1/declarations/overdue"): only(RIGHTS_QUEUE, "declarations:read"),
    ("GET", "/api/v1/declarations/{declaration_id}"): only(RIGHTS_READERS, "declarations:read"),
    ("POST", "/api/v1/declarations/{declaration_id}/steps"): only(RIGHTS_STEPPERS, "declarations:write"),
    # --- accounts API ---------------------------------------------------------------------------
    ("GET", "/api/v1/me"): only(ACCOUNT_ROLES, ANY_KEY),
    ("GET", "/api/v1/accounts/users"): only(STAFF, "accounts:read"),
    ("POST", "/api/v1/accounts/users"): only(STAFF, "accounts:write"),
    ("POST", "/api/v1/accounts/users/{username}/lock"): only(ADMIN, "accounts:write"),
    ("POST", "/api/v1/accounts/users/{username}/unlock"): only(ADMIN, "accounts:write"),
    ("GET", "/api/v1/accounts/departments"): only(STAFF, "accounts:read"),
    ("POST", "/api/v1/accounts/departments"): only(ADMIN, "accounts:write"),
    ("GET", "/api/v1/accounts/keys"): only(ADMIN, "accounts:read"),
    ("POST", "/api/v1/accounts/keys"): only(ADMIN, "accounts:write"),
    ("POST", "/api/v1/accounts/keys/{key_id}/revoke"): only(ADMIN, "accounts:write"),
    ("POST", "/api/v1/accounts/keys/{key_id}/rotate"): only(ADMIN, "accounts:write"),
    # --- portal pages -----------------------------------------------------------------------
    ("GET", "/static/portal/{path:path}"): ASSET,
    ("GET", "/site/logo"): ASSET,
    ("GET", "/"): PUBLIC,
    ("GET", "/search"): PUBLIC,
    ("GET", "/search/suggest"): PUBLIC,
    ("GET", "/subjects/id/{subject_id}"): PUBLIC,
    ("GET", "/subjects/{code}"): PUBLIC,
    ("GET", "/publicity"): PUBLIC,
    ("GET", "/publicity/export.xlsx"): PUBLIC,
    ("GET", "/catalog"): PUBLIC,
    ("GET", "/catalog/{item_code}/template.xlsx"): PUBLIC,
    # accounts pages
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    ("GET", "/register"): PUBLIC,
    ("POST", "/register"): PUBLIC,
    # subject self-service (xinyong/portal/me)
    ("GET", "/me"): only(SUBJECT, None),
    ("GET", "/me/records"): only(SUBJECT, None),
    ("GET", "/me/grade"): only(SUBJECT, None),
    ("GET", "/me/lists"): only(SUBJECT, None),
    ("POST", "/me/lists/{procedure_id}/statement"): only(SUBJECT, None),
    ("GET", "/me/objections"): only(SUBJECT, None),
    ("POST", "/me/objections"): only(SUBJECT, None, body="upload"),
    ("POST", "/me/objections/{objection_id}/withdraw"): only(SUBJECT, None),
    ("GET", "/me/repairs"): only(SUBJECT, None),
    ("POST", "/me/repairs"): only(SUBJECT, None, body="upload"),
    ("POST", "/me/repairs/{repair_id}/withdraw"): only(SUBJECT, None),
    ("GET", "/objections/track"): PUBLIC,
    ("GET", "/me/commitments"): only(SUBJECT, None),
    ("POST", "/me/commitments"): only(SUBJECT, None),
    ("POST", "/me/commitments/{commitment_id}/supply"): only(SUBJECT, None, body="upload"),
    ("GET", "/me/declarations"): only(SUBJECT, None),
    ("POST", "/me/declarations"): only(SUBJECT, None, body="upload"),
    # staff console (xinyong/portal/console)
    ("GET", "/console"): only(CONSOLE, None),
    ("GET", "/console/ingest"): only(CONSOLE, None),
    ("GET", "/console/submissions/{submission_id}"): only(CONSOLE, None),
    ("GET", "/console/approvals"): only(PROVIDER, None),
    ("POST", "/console/approvals/{submission_id}/approve"): only(PROVIDER, None),
    ("GET", "/console/quarantine"): only(CONSOLE, None),
    ("GET", "/console/quarantine/{quarantine_id}"): only(CONSOLE, None),
    ("POST", "/console/quarantine/{quarantine_id}/resubmit"): only(PROVIDER, None),
    ("POST", "/console/quarantine/{quarantine_id}/discard"): only(PROVIDER, None),
    ("GET", "/console/upload"): only(PROVIDER, None),
    ("POST", "/console/upload"): only(PROVIDER, None, body="upload"),
    ("GET", "/console/governance"): only(STAFF, None),
    ("POST", "/console/governance/{case_id}/resolve"): only(STAFF, None),
    ("GET", "/console/rules"): only(CONSOLE, None),
    ("POST", "/console/rules/calendar"): only(STAFF, None),
    ("POST", "/console/rules/calendar/notice"): only(STAFF, None),
    ("GET", "/console/lists/{procedure_id}"): only(CONSOLE, None),
    ("POST", "/console/lists/{procedure_id}/step"): only(CONSOLE, None),
    ("GET", "/console/measures"): only(CONSOLE, None),
    ("GET", "/console/commitments"): only(CONSOLE, None),
    ("POST", "/console/commitments/{commitment_id}/verify"): only(RIGHTS_STEPPERS[1:], None),
    ("GET", "/console/declarations"): only(CONSOLE, None),
    ("POST", "/console/declarations/{declaration_id}/step"): only(RIGHTS_STEPPERS[1:], None),
    ("GET", "/console/evaluation"): only(STAFF, None),
    # --- credit reports (xinyong/reports): anyone signed in may ask for a report (the service
    # decides which: own, window, authorised, or public information only); verifying is public --
    ("POST", "/api/v1/reports"): only(ACCOUNT_ROLES, "reports:write"),
    ("GET", "/api/v1/reports"): only(STAFF, "reports:read"),
    ("GET", "/api/v1/reports/certificate.pem"): PUBLIC,
    ("GET", "/api/v1/reports/matters"): PUBLIC,
    ("GET", "/api/v1/reports/fields"): PUBLIC,
    ("GET", "/api/v1/reports/{number}.pdf"): only(ACCOUNT_ROLES, "reports:read"),
    ("GET", "/api/v1/reports/{number}/verification"): PUBLIC,
    ("POST", "/api/v1/reports/verify"): public(body="upload"),
    ("POST", "/api/v1/reports/uses"): only(REPORT_USERS, "reports:write"),
    ("GET", "/api/v1/me/report-authorisations"): only(SUBJECT, "reports:read"),
    ("POST", "/api/v1/me/report-authorisations"): only(SUBJECT, "reports:write"),
    ("POST", "/api/v1/me/report-authorisations/{authorisation_id}/revoke"): only(SUBJECT, "reports:write"),
    ("GET", "/verify"): PUBLIC,
    ("POST", "/verify"): public(body="upload"),
    ("GET", "/me/reports"): only(SUBJECT, None),
    ("POST", "/me/reports"): only(SUBJECT, None),
    ("POST", "/me/reports/authorisations"): only(SUBJECT, None),
    ("POST", "/me/reports/authorisations/{authorisation_id}/revoke"): only(SUBJECT, None),
    # A provider sees the reports its own department obtained; staff the whole register.
    ("GET", "/console/reports"): only(CONSOLE, None),
    ("POST", "/console/reports"): only(CREDIT_OFFICE, None),
    ("GET", "/console/quality"): only(CONSOLE, None),
    ("GET", "/console/quality/export"): only(CONSOLE, None),
    ("GET", "/console/monitoring"): only(STAFF, None),
    ("GET", "/console/monitoring/{code}.png"): only(STAFF, None),
    ("GET", "/console/monitoring/{code}.xlsx"): only(STAFF, None),
    ("GET", "/console/government"): only(STAFF, None),
    ("GET", "/console/objections"): only(CONSOLE, None),
    ("POST", "/console/objections"): only(STAFF, None),
    ("POST", "/console/repairs"): only(STAFF, None),
    ("GET", "/console/objections/{objection_id}"): only(CONSOLE, None),
    ("POST", "/console/objections/{objection_id}/step"): only(CONSOLE, None),
    ("GET", "/console/repairs"): only(CONSOLE, None),
    ("GET", "/console/repairs/{repair_id}"): only(CONSOLE, None),
    ("POST", "/console/repairs/{repair_id}/step"): only(CONSOLE, None),
    # --- content sections (xinyong/content): anyone reads, the credit office writes -------------
    ("GET", "/api/v1/content/posts"): PUBLIC,
    ("GET", "/api/v1/content/posts/{post_id}"): PUBLIC,
    ("GET", "/api/v1/content/attachments/{attachment_id}"): PUBLIC,
    ("POST", "/api/v1/content/posts"): only(STAFF, "content:write"),
    ("PUT", "/api/v1/content/posts/{post_id}"): only(STAFF, "content:write"),
    ("POST", "/api/v1/content/posts/{post_id}/publish"): only(STAFF, "content:write"),
    ("POST", "/api/v1/content/posts/{post_id}/attachments"): only(STAFF, "content:write", body="upload"),
    ("GET", "/content/{section}"): PUBLIC,
    ("GET", "/content/{section}/{post_id}"): PUBLIC,
    ("GET", "/console/content"): only(STAFF, None),
    ("GET", "/console/content/{post_id}"): only(STAFF, None),
    ("POST", "/console/content"): only(STAFF, None),
    ("POST", "/console/content/{post_id}"): only(STAFF, None),
    ("POST", "/console/content/{post_id}/publish"): only(STAFF, None),
    ("POST", "/console/content/{post_id}/attachments"): only(STAFF, None, body="upload"),
}


# Scopes a new API key gets when none are given, per role.
ROLE_DEFAULT_SCOPES: dict[str, tuple[str, ...]] = {
    "subject": (
        "records:read",
        "lists:read",
        "lists:statement",
        "objections:read",
        "objections:write",
        "repairs:read",
        "repairs:write",
    ),
    # A provider submits its department's records, runs the list procedures of its department
    # (propose, notice, decide, publish, interview, exit; lists:*), queries with a purpose of
    # purposes.yaml (subjects, records, checks) and reports back the measures it applied.
    # The key `xinyong provider add` issues has these (migration 0013 gave them to older ones).
    "provider": (
        "submissions:write",
        "submissions:read",
        "subjects:read",
        "records:read",
        "checks:read",
        "feedback:read",
        "feedback:write",
        "lists:read",
        "lists:write",
        "lists:statement",
    ),
    "regulator": ("subjects:read", "records:read", "checks:read", "evaluation:read"),
    "credit_office": (
        "subjects:read",
        "records:read",
        "checks:read",
        "governance:read",
        "evaluation:read",
        "querylog:read",
        "lists:read",
        "lists:write",
        "lists:statement",
        "quality:read",
        "quality:write",
        "monitoring:read",
        "government:read",
        "government:write",
        "objections:read",
        "objections:write",
        "repairs:read",
        "repairs:write",
        "content:write",
    ),
    "bank": ("subjects:read", "records:read"),
    "admin": ("accounts:read", "accounts:write"),
}


def lookup(method: str, template: str) -> Rule | None:
    """The rule of a route; HEAD follows GET."""
    return POLICY.get(("GET" if method == "HEAD" else method, template))


def scopes_for_role(role: str) -> set[str]:
    """Every scope that opens at least one route to ``role`` (what a key of that role may hold)."""
    found = {r.scope for r in POLICY.values() if role in r.roles and r.scope not in (None, ANY_KEY)}
    defaults = set(ROLE_DEFAULT_SCOPES.get(role, ()))
    return {s for s in found | defaults if s is not None and s in SCOPES}


# ---------------------------------------------------------------------------------------------
# Decisions


ALLOW = "allow"
LOGIN_REQUIRED = "auth.login_required"  # 401
ROLE_DENIED = "auth.role_denied"  # 403
SCOPE_DENIED = "auth.scope_denied"  # 403
KEY_NOT_ALLOWED = "auth.key_not_allowed"  # 403: portal-only route
NO_POLICY = "auth.no_policy"  # 403: fail closed


def decide(rule: Rule | None, principal: Principal) -> str:
    """ALLOW or the code of the denial, for ``principal`` calling a route with ``rule``."""
    if rule is None:
        return NO_POLICY
    if rule.public:
        return ALLOW
    if not principal.authenticated:
        return LOGIN_REQUIRED
    if principal.role not in rule.roles:
        return ROLE_DENIED
    if principal.kind == "api_key":
        if rule.scope is None:
            return KEY_NOT_ALLOWED
        if rule.scope != ANY_KEY and rule.scope not in principal.scopes:
            return SCOPE_DENIED
    return ALLOW
