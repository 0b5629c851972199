"""The report as an HTML document (rendered to PDF by ``core.pdf``) and its QR code.

The document is built here, in code, with every value escaped: it is not a portal page (no
navigation, no request), and the reports domain sits below the portal, so it cannot use the
portal's templates. Chinese throughout; the subject sees no internal codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from urllib.parse import urlencode

import segno

from xinyong.core.clock import CHINA_TZ
from xinyong.reports.content import Entry, ReportContent, SectionContent

SCOPE_ZH = {
    "full": "本报告包含信用主体本人可查询的全部在有效期内的公共信用信息（公开及依申请公开部分）。",
    "public": "本报告仅包含向社会公开的公共信用信息。",
}

CSS = """
body { color: #1a1a1a; }
h1 { font-size: 20pt; text-align: center; margin: 2mm 0 1mm; letter-spacing: 2pt; }
.platform { text-align: center; font-size: 10pt; color: #444; margin: 0 0 4mm; }
.head { display: flex; justify-content: space-between; align-items: flex-start;
        border-top: 2px solid #a31515; border-bottom: 1px solid #a31515; padding: 3mm 0; }
.head table td { padding: 0.6mm 2mm 0.6mm 0; font-size: 9.5pt; }
.head .qr { text-align: center; font-size: 7.5pt; color: #555; }
.head .qr img { width: 28mm; height: 28mm; }
h2 { font-size: 12.5pt; border-left: 4px solid #a31515; padding-left: 2mm; margin: 6mm 0 2mm; }
h2 .count { font-size: 9.5pt; color: #555; font-weight: normal; }
table.grid { width: 100%; border-collapse: collapse; font-size: 9pt; }
table.grid th, table.grid td { border: 1px solid #999; padding: 1.2mm 1.5mm; vertical-align: top; text-align: left; }
table.grid th { background: #f1eded; }
.entry { border: 1px solid #bbb; margin: 0 0 2.5mm; padding: 1.5mm 2mm; page-break-inside: avoid; }
.entry .t { font-weight: bold; }
.entry .m { color: #444; font-size: 8.5pt; margin: 0.5mm 0; }
.entry table td { font-size: 8.5pt; padding: 0.3mm 2mm 0.3mm 0; vertical-align: top; }
.entry table td.k { color: #555; white-space: nowrap; }
.none { color: #555; font-size: 9.5pt; }
.conclusion { font-size: 12pt; font-weight: bold; border: 2px solid #a31515; padding: 3mm; margin: 5mm 0; }
.notes { font-size: 8.5pt; color: #444; border-top: 1px solid #999; margin-top: 8mm; padding-top: 2mm; }
.notes li { margin: 0.5mm 0; }
"""


@dataclass(frozen=True)
class Issue:
    """The issue data printed on the report."""

    number: str
    check_code: str
    issued_at: datetime
    valid_until: date
    platform_zh: str
    issuer_zh: str
    verify_url: str


def verify_link(verify_url: str, number: str, check_code: str) -> str:
    """The verification page of one report (what the QR code holds)."""
    return f"{verify_url}?{urlencode({'number': number, 'code': check_code})}"


def qr_data_uri(text: str) -> str:
    return str(segno.make(text, error="m").png_data_uri(scale=4, border=2))


def _china(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y年%m月%d日 %H:%M")


def _entry_html(entry: Entry) -> str:
    meta = []
    if entry.date:
        meta.append(f"决定日期：{entry.date.isoformat()}")
    if entry.document_number:
        meta.append(f"文书号：{escape(entry.document_number)}")
    if entry.department:
        meta.append(f"来源：{escape(entry.department)}")
    rows = "".join(f'<tr><td class="k">{escape(k)}</td><td>{escape(v)}</td></tr>' for k, v in entry.rows if v)
    return (
        f'<div class="entry"><div class="t">{escape(entry.title)}</div>'
        f'<div class="m">{"　".join(meta)}</div>'
        f"{f'<table>{rows}</table>' if rows else ''}</div>"
    )


def _section_html(index: int, section: SectionContent) -> str:
    parts = [f'<h2>{index}. {escape(section.name_zh)} <span class="count">（{section.count} 条）</span></h2>']
    if section.facts:
        rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in section.facts)
        parts.append(f'<table class="grid">{rows}</table>')
    parts.extend(_entry_html(e) for e in section.entries)
    if section.lines:
        parts.append("<ol>" + "".join(f"<li>{escape(line)}</li>" for line in section.lines) + "</ol>")
    if section.count == 0:
        parts.append(f'<p class="none">{escape(section.empty_text)}</p>')
    return "".join(parts)


def report_html(content: ReportContent, issue: Issue) -> str:
    """The whole report as one HTML document."""
    link = verify_link(issue.verify_url, issue.number, issue.check_code)
    head_rows = [
        ("报告编号", issue.number),
        ("验证码", issue.check_code),
        ("信用主体", content.subject_name),
        ("主体代码", content.subject_code),
        ("主体类型", content.kind_zh),
        ("信息截至", _china(content.as_of)),
        ("出具时间", _china(issue.issued_at)),
        ("有效期至", f"{issue.valid_until:%Y年%m月%d日}"),
    ]
    if content.kind == "special" and content.period_from and content.period_to:
        head_rows.insert(5, ("查询领域", content.field_name_zh or ""))
        head_rows.insert(
            6, ("查询期间", f"{content.period_from.isoformat()} 至 {content.period_to.isoformat()}")
        )
    head = "".join(f"<tr><td>{escape(k)}：</td><td>{escape(v)}</td></tr>" for k, v in head_rows)
    overview = "".join(
        f"<tr><td>{i}</td><td>{escape(s.name_zh)}</td><td>{s.count}</td></tr>"
        for i, s in enumerate(content.sections, 1)
    )
    body = [
        f"<h1>{escape(content.title)}</h1>",
        f'<p class="platform">{escape(issue.platform_zh)}</p>',
        f'<div class="head"><table>{head}</table>'
        f'<div class="qr"><img src="{qr_data_uri(link)}" alt="验证二维码"><br>扫码验证</div></div>',
    ]
    if content.kind == "special":
        body.append(f'<p class="conclusion">{escape(content.conclusion)}</p>')
    body.append(
        '<h2>报告概览</h2><table class="grid"><tr><th>序号</th><th>信息类别</th><th>条数</th></tr>'
        f"{overview}</table>"
    )
    body.extend(_section_html(i, s) for i, s in enumerate(content.sections, 1))
    notes = [
        SCOPE_ZH.get(content.scope, ""),
        "已修复、已撤销或公示期届满的信息依法不再展示。",
        f"本报告自出具之日起至{issue.valid_until:%Y年%m月%d日}有效，信息以报告所载截至时间为准。",
        f"本报告经{issue.platform_zh}电子签章，可扫描二维码或登录 {issue.verify_url} 输入报告编号和验证码核验真伪；"
        "报告文件的任何改动都会使签章失效。",
        "信用报告免费提供，任何单位不得向信用主体收取费用。",
        f"出具单位：{issue.issuer_zh}。",
    ]
    body.append(
        '<div class="notes"><b>说明</b><ol>'
        + "".join(f"<li>{escape(n)}</li>" for n in notes if n)
        + "</ol></div>"
    )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(content.title)} {escape(issue.number)}</title>"
        f'<meta name="description" content="{escape(issue.number)}">'
        f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>"
    )
