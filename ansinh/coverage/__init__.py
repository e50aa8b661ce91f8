"""Coverage against targets (độ bao phủ BHXH, BHYT, BHTN so với chỉ tiêu): indicators, denominators,
targets, projections, outreach lists and the leadership report.

Modules: ``definitions`` (what each indicator counts, over what, from which source), ``indicators``
(the Ibis/DuckDB batch: every indicator, every commune, every month), ``service`` (reads the
operational database into Arrow, writes the snapshot), ``targets`` (which parameter of
``targets.yaml`` measures which indicator, national or provincial), ``projection`` (statsmodels
trend, band, status, additions needed), ``denominators`` (statistics office tables, CSV/.xlsx),
``outreach`` (lists of people to approach, campaigns, contacts, conversion), ``report`` (.xlsx and
PDF), ``queries`` (read side for the pages), ``web``, ``cli``, ``synth``.
"""
