"""Contributions ledger (sổ thu): declarations, monthly dues, payments, allocation, arrears (nợ),
surcharges (lãi chậm đóng), reminders, debt ratio (tỷ lệ nợ) and statements.

Modules: ``models`` (tables), ``periods`` (deadlines, aging), ``dues`` (the Ibis/DuckDB batch that
prices every employee-month with the calculators), ``allocation`` (oldest month first, schemes in
proportion), ``close`` (month-end close and full recompute), ``declarations``, ``payments``,
``reminders``, ``queries`` (arrears list, employer ledger, person view, debt ratio), ``statement``
(HTML/.xlsx/PDF), ``web``, ``cli``, ``synth``.
"""
