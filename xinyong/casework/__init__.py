"""Casework: the machinery every subject-rights procedure shares (objections, repairs,
commitments, declarations). Layer ``xinyong.casework``: above ``core``/``ledger``/``catalog``,
below the procedures (``objections | repairs | commitments | declarations``), which keep their own
case tables and statuses and call these functions with a :class:`CaseRef`.

API (``from xinyong.casework import service as casework``; rules from ``xinyong.casework.rules``):

Rules (a procedure's ruleset file, ``rulesets/default/<procedure>.yaml``)
    ``CaseRules``: subclass it for the file model (adds the procedure's own sections); it holds
    ``default_schedule``, ``schedules`` (each a versioned ``Schedule``: ``code``, ``name_zh``,
    ``effective_from``, ``source``, ``steps``: step → ``StepRule(within, after, name_zh, party,
    escalate_after, extension)``), ``attachments`` (``AttachmentRule``: ``max_bytes``,
    ``max_files``, ``types`` ⊂ pdf/jpeg/png) and ``letters`` (code → ``LetterTemplate``:
    ``title_zh``, ``number_prefix``, ``template_zh`` with ``{placeholders}``, ``source``).
    ``load_case_rules(Model, path)`` reads and validates it; ``rules.schedule(code, day)`` is the
    version in force on ``day``; ``rules.letter(code)`` a template.

Steps and ledger
    ``record_step(session, ref, action=, from_status=, to_status=, on=, actor=, text=, data=)``
    appends the history step, the outbox event ``<kind>.<action>`` and a ledger entry (hashes of
    the texts). ``steps(session, ref, action_zh)`` the history; ``check_step_date(session, ref,
    on, today)`` refuses future dates and dates before the previous step.

Deadlines (working days from ``core.calendar``)
    ``open_deadline(session, ref, schedule, step, start, extra_days=0)`` (re-opening moves it,
    e.g. an extension), ``close_deadline(session, ref, step, on)``,
    ``cancel_open_deadlines(session, ref)`` (the case ended), ``deadlines(session, ref, schedule,
    today)`` → the ``deadlines`` list of the JSON (``{step, step_zh, due_date, done_on,
    overdue …}``), ``overdue(session, kind, today, schedules)`` → the console queue (staff and
    provider steps only), ``escalate_overdue(session, kind, today, schedules, subjects,
    status_of)`` (督办, for the daily tick; idempotent).

Lookup codes (查询码)
    ``issue_lookup_code(session, ref)`` → ``XXXX-XXXX-XXXX`` (random, no 0/O/1/I/L, unique
    index); ``lookup_code_of``, ``lookup_codes_of(session, kind, ids)``, ``find_lookup(session,
    code)`` → ``(kind, case_id)`` or None.

Attachments
    ``add_attachment(session, ref, filename, content, rule, uploaded_by)``: type by magic bytes
    (``sniff_type``), size and count limits from the rule, SHA-256, kept in the store;
    ``check_attachment`` (check only), ``attachments``, ``attachment_content``.

Letters (决定书)
    ``issue_letter(session, ref, code, template, values, on)``: numbered
    ``{prefix}〔{year}〕{n}号``, text from the ruleset template, kept in the file, ledgered;
    ``letters(session, ref)``.
"""
