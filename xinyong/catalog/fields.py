"""Canonical field codes of catalog items (``catalog.service`` and ``catalog.severity`` read them)."""

# Canonical field codes with a meaning the platform relies on (ingest, records, subjects).
# Every catalog item uses these codes for these roles; other fields are item-specific.
SUBJECT_NAME = "subject_name"  # 行政相对人名称  (XK_XDR_MC / CF_XDR_MC)
SUBJECT_CATEGORY = "subject_category"  # 行政相对人类别 (法人及非法人组织 / 自然人 / 个体工商户)
USCC = "uscc"  # 统一社会信用代码 (XK_XDR_SHXYM / CF_XDR_SHXYM)
ID_TYPE = "id_type"  # 自然人证件类型
ID_NUMBER = "id_number"  # 自然人证件号码 (XK_XDR_ZJHM / CF_XDR_ZJHM / CF_XDR_SFZ)
LEGAL_REPRESENTATIVE = "legal_representative"  # 法定代表人 (XK_FRDB / CF_FRDB / CF_FR)
DOCUMENT_NUMBER = "document_number"  # 决定文书号 (XK_WSH / CF_WSH): with provider+item the record key
DECISION_DATE = "decision_date"  # 决定日期 (XK_JDRQ / CF_JDRQ)
PENALTY_TYPES = "penalty_types"  # 处罚类别 (CF_CFLB; old CF_CFLB1/CF_CFLB2), several joined by ";"
FINE_AMOUNT = "fine_amount"  # 罚款金额（万元） (CF_NR_FK)
SEVERITY = "severity"  # 失信程度 when the provider sends one (轻微/一般/严重)
OPERATION = "operation"  # 操作类型: 新增 / 更正 / 撤销 (add / correct / withdraw); optional
SECTOR = "sector"  # 所属行业领域 for sector-specific severity thresholds; optional
VALID_FROM = "valid_from"  # 有效期自 (XK_YXQZ): a validity never ends before it starts
VALID_UNTIL = "valid_until"  # 有效期至 (XK_YXQZI): positive items are shown while valid
