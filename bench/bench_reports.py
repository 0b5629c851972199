"""Credit reports: reports issued per second (data assembly from the credit state and records,
HTML, WeasyPrint, QR code, PAdES signature, register row, query log, ledger, commit) against
WeasyPrint rendering the same HTML with the same page stylesheet and nothing else.

The store is a small demo city (``build_demo``) in a temporary SQLite file; the subjects are the
enterprises with the most records, so the reports are among the longest of the city. Ours and
the reference alternate subject by subject, so machine noise hits both alike.
"""

from __future__ import annotations

import time

from bench.common import Row, demo_store

SEED = 2026
GOAL = 0.70


def run(subjects: int = 150, reports: int = 12) -> list[Row]:
    import weasyprint

    from xinyong.accounts.principal import Principal
    from xinyong.core.db import utcnow
    from xinyong.core.pdf import PAGE_CSS, with_watermark
    from xinyong.records import service as records_service
    from xinyong.reports import service
    from xinyong.reports.document import Issue, report_html

    with demo_store("xy-bench-reports-", subjects, SEED) as db:
        window = Principal(role="credit_office", kind="cli", username="bench")
        with db.session() as s:
            rules = service.Rules()
            ids = [row.subject_id for row in records_service.record_counts(s, list(range(1, subjects + 1)))]
            busiest = sorted(set(ids), key=ids.count, reverse=True)
            codes: list[str] = []
            htmls: list[str] = []
            for sid in busiest:
                subject = service.find_subject(s, sid)
                if subject.kind != "enterprise" or not subject.uscc:
                    continue
                content = service.assemble(s, subject, kind="public", scope="full", rules=rules)
                platform = rules.platform
                number = "XY2026120800000000"
                issue = Issue(
                    number,
                    "ABCDEFGH",
                    utcnow(),
                    utcnow().date(),
                    platform.name_zh,
                    platform.issuer_zh,
                    platform.verify_url,
                )
                codes.append(subject.uscc)
                # The very HTML the issue renders: the report with its watermark element.
                htmls.append(with_watermark(report_html(content, issue), f"{platform.name_zh} {number}"))
                if len(codes) == reports:
                    break
        stylesheet = weasyprint.CSS(string=PAGE_CSS)
        # Warm both paths (fonts, the signing key, imports) before timing.
        weasyprint.HTML(string=htmls[0]).write_pdf(stylesheets=[stylesheet])
        with db.session() as s:
            service.issue_report(s, window, codes[0], channel="cli")
        ours = reference = 0.0
        for code, html in zip(codes, htmls, strict=True):
            start = time.perf_counter()
            with db.session() as s:
                issued = service.issue_report(s, window, code, channel="cli")
            ours += time.perf_counter() - start
            start = time.perf_counter()
            weasyprint.HTML(string=html).write_pdf(stylesheets=[stylesheet])
            reference += time.perf_counter() - start
            assert issued.sha256
        ours_rate, ref_rate = len(codes) / ours, len(codes) / reference
        ratio = ours_rate / ref_rate
        return [
            Row(
                benchmark=f"credit reports issued and signed, {len(codes)} demo enterprises (most records)",
                measured=ours_rate,
                unit="reports/s",
                reference=ref_rate,
                reference_name="WeasyPrint, same HTML, no assembly or signing",
                goal="≥ 70 % of reference",
                passed=ratio >= GOAL,
                ratio=ratio,
                note=f"{100 * ratio:.0f} % of the reference",
            )
        ]
