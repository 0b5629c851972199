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

Cases
    ``Actor(label, role, provider_code=None, subject_id=None)`` (``staff``: system, credit office,
    admin; defined in ``core.procedures``, the same class as ``lists.service.Actor``);
    ``CaseRef(kind, case_id, subject_id)``, ``ref.owns(table)`` the condition naming the case's
    rows of a casework table.

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

The procedure skeleton (``from xinyong.casework import procedure``)
    ``Procedure(kind=, model=, department=, code=, status_zh=, action_zh=, rules=, opened_on=,
    not_found=, hidden=None, schedule_from=None)``: one procedure's plain values (its case table,
    the column naming the department that acts, the prefix of its error codes, its ruleset getter,
    the column of the day a case came in and the one choosing its schedule version). Methods:
    ``ref``, ``load``, ``may_see`` (staff and regulators all, a provider its department's, a
    subject its own), ``visible`` (load, or the ``hidden`` answer), ``schedule(row)``, ``scope`` /
    ``conditions(actor, status=, subject_id=, open_statuses=)`` / ``page`` (a list), ``check_status``,
    ``refusing_page`` (a list refusing a caller who sees no case, ``<code>.not_allowed``),
    ``status_counts``, ``overdue(session, actor, statuses, today, subjects=)`` → ``(OverdueItem,
    row)`` pairs, ``overdue_columns``, ``escalate(session, statuses, today, actor=)``, ``track``
    (the 查询码 page), ``file_fields`` (status, lookup code, deadlines, steps, attachments,
    letters), ``parties`` (subject and department), ``intake_channel`` (online / window),
    ``find_department``, ``check_transition`` (unknown action, status not allowed),
    ``open_case`` (a new application: attachments, 查询码, first deadline, ``file`` step),
    ``record`` (a later step), ``bad_action``, ``decode`` (Base64 attachments).
    Functions: ``subject_category`` (subject kind → catalog 主体类别), ``department_names``,
    ``aware``, ``subject_fields`` and ``publish`` (an outcome as a credit record),
    ``subject_in_person(session, actor, subject_id, InPerson(...))`` (the subject a step only it
    or the credit office takes is for: signing a commitment, declaring),
    ``application_columns`` (a new application's row), ``application_fields`` (its schedule,
    channel, next step, overdue in the JSON), ``settle``.
    ``VIEWERS``: the roles that see every case.
"""
