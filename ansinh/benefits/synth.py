"""The benefits part of the synthetic province: pensioners and other recurring beneficiaries, their
payment channels (cash falling over time), a year of monthly payrolls, and benefit cases — decided
and in flight — including one-time withdrawal requests with their counselling outcome.

Behaviour, not law (the law is applied through :mod:`ansinh.benefits.rules`):

- pensioners are the registry's HI group ``HT`` holders; their pension started at 60 (men) or 55
  (women) and is drawn from a log-normal around 5.5 million đồng; a pensioner who died stops at the
  month of death, and 60% of them leave a monthly survivor allowance to a household member
  (50% of the reference level in force, Law 41/2024/QH15 Art. 87.1);
- channels: 45% of pensioners were paid in cash at the start of the window (more among the oldest);
  each month 4% of the remaining cash recipients open a bank account (85%) or an e-wallet (15%), so the
  cash share falls towards ~15% by the end; 0.1% of bank accounts are malformed legacy records, which
  the payroll reports as exceptions;
- payrolls: the last 12 months, paid, 0.3% of bank payments returned; a quarter of deaths are reported
  late, so the month after death was paid and is an overpayment to recover;
- cases: about 0.9 per 1,000 people a month ask for a one-time withdrawal after leaving work (their
  contribution history is the registry's), a third stay after counselling; pension dossiers for those
  reaching retirement age; a few maternity and sickness dossiers; half of the recent leavers of
  working age claim unemployment benefit; a funeral allowance for each pensioner who died in the
  last year. Cases received in the last six weeks
  are in flight (received or drafted); the others are decided. Every draft and amount comes from
  :func:`ansinh.benefits.rules.evaluate` on the synthetic history.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ansinh.benefits.history import OPEN_SCHEMA, SPELLS_SCHEMA, summarise
from ansinh.benefits.rules import Applicant, evaluate, needs_second_approval
from ansinh.benefits.workdays import due_dates
from ansinh.law.parameters import get_parameters
from ansinh.synth.calendar import first_day, format_period, months_of
from ansinh.synth.context import SynthContext
from ansinh.synth.province import Extension

BANKS = np.array(["VCB", "BIDV", "AGRIBANK", "VIETINBANK", "LPBANK"])
WALLETS = np.array(["MOMO", "VIETTELMONEY", "VNPTMONEY"])
PAYROLL_MONTHS = 12
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def _ts(n: int, when: datetime = STAMP) -> pa.Array:
    return pa.array([when] * n, pa.timestamp("us", tz="UTC"))


def _periods(months: np.ndarray) -> pa.Array:
    years = months // 12
    mm = months % 12 + 1
    return pc.binary_join_element_wise(
        pc.cast(pa.array(years), pa.string()), pc.utf8_lpad(pc.cast(pa.array(mm), pa.string()), 2, "0"), "-"
    )


def generate_benefits(ctx: SynthContext) -> None:
    cfg = ctx.config
    rng = ctx.rng("benefits")
    params = get_parameters()
    parts = ctx.tables["participations"]
    persons = ctx.tables["persons"]
    female = ctx.arrays["person_female"]
    birth = ctx.arrays["person_birth"].astype("datetime64[D]")
    death = ctx.arrays["person_death"].astype("datetime64[D]")
    death_m = np.where(
        np.isnat(death), 10**7, months_of(np.where(np.isnat(death), np.datetime64("2000-01-01"), death))
    )
    # planted duplicates are appended after the real people and have no arrays of their own
    n_real = len(female)
    is_dup = np.zeros(n_real, bool)

    # --- recurring beneficiaries ----------------------------------------------------------------
    hi_group = parts["hi_group"].to_numpy(zero_copy_only=False)
    pid = parts["person_id"].to_numpy()
    ht = np.unique(pid[hi_group == "HT"]) - 1
    ht = ht[ht < n_real]
    birth_m = months_of(birth[ht])
    start_m = np.maximum(birth_m + np.where(female[ht], 55 * 12, 60 * 12) + 1, 1995 * 12)
    amount = np.round(np.exp(rng.normal(np.log(5_500_000), 0.35, len(ht))), -3).astype(np.int64)
    amount = np.maximum(amount, params.dong("reference_level", cfg.reference_date))
    end_m = np.where(death_m[ht] < 10**7, death_m[ht], -1)
    ben_person = ht
    ben_kind = np.full(len(ht), "pension", dtype=object)
    ben_start = start_m
    ben_end = end_m
    ben_amount = amount
    ben_source = np.full(len(ht), -1)
    # survivors: a household member of a pensioner who died in the window
    died_in = np.flatnonzero((end_m >= cfg.start_month) & (rng.random(len(ht)) < 0.6))
    hh = ctx.arrays["person_hh"]
    order = np.argsort(hh, kind="stable")
    hh_sorted = hh[order]
    first_of_hh = np.searchsorted(hh_sorted, hh[ht[died_in]], side="left")
    last_of_hh = np.searchsorted(hh_sorted, hh[ht[died_in]], side="right")
    surv_p, surv_src, surv_start, surv_amt = [], [], [], []
    for k, i in enumerate(died_in):
        members = order[first_of_hh[k] : last_of_hh[k]]
        members = members[(members != ht[i]) & (death_m[members] > end_m[i] + 1) & ~is_dup[members]]
        if not len(members):
            continue
        start = int(end_m[i]) + 1
        level = params.dong("reference_level", first_day(np.array([start]))[0].astype(date))
        rate = params.rate_by_key("survivor_monthly_rate", first_day(np.array([start]))[0].astype(date))
        surv_p.append(int(members[0]))
        surv_src.append(int(ht[i]))
        surv_start.append(start)
        surv_amt.append(int((rate["with_carer"] * level).to_integral_value()))
    ben_person = np.r_[ben_person, np.array(surv_p, np.int64)]
    ben_kind = np.r_[ben_kind, np.full(len(surv_p), "survivor", dtype=object)]
    ben_start = np.r_[ben_start, np.array(surv_start, np.int64)]
    s_end = np.array([death_m[p] if death_m[p] < 10**7 else -1 for p in surv_p], np.int64)
    ben_end = np.r_[ben_end, s_end]
    ben_amount = np.r_[ben_amount, np.array(surv_amt, np.int64)]
    ben_source = np.r_[ben_source, np.array(surv_src, np.int64)]
    n_ben = len(ben_person)
    ben_id = np.arange(1, n_ben + 1, dtype=np.int64)
    ended = ben_end >= 0
    ctx.tables["beneficiaries"] = pa.table(
        {
            "id": ben_id,
            "person_id": (ben_person + 1).astype(np.int64),
            "kind": pa.array(ben_kind.astype(str), pa.string()),
            "monthly_amount": ben_amount.astype(np.int64),
            "start_period": _periods(ben_start),
            "end_period": pc.if_else(
                pa.array(ended), _periods(np.maximum(ben_end, 0)), pa.scalar(None, pa.string())
            ),
            "stop_reason": pc.if_else(pa.array(ended), pa.scalar("death"), pa.scalar(None, pa.string())),
            "case_id": pa.nulls(n_ben, pa.int64()),
            "source_person_id": pa.array(
                np.where(ben_source >= 0, ben_source + 1, 0), pa.int64(), mask=ben_source < 0
            ),
            "created_at": _ts(n_ben),
        }
    )

    # --- channels ----------------------------------------------------------------------------------
    payees, first_ben = np.unique(ben_person, return_index=True)
    n_pay = len(payees)
    age = ctx.arrays["person_age"][payees]
    cash0 = rng.random(n_pay) < np.clip(0.35 + (age - 60) * 0.012, 0.3, 0.8)
    window = cfg.months
    # month of switching from cash (geometric, 4% a month), or never within the window
    switch = cfg.start_month + rng.geometric(0.035, n_pay)
    switches = cash0 & (switch <= cfg.end_month)
    begin = np.maximum(ben_start[first_ben], cfg.start_month - window)
    begin_d = first_day(begin)
    noncash_kind = np.where(rng.random(n_pay) < 0.85, "bank", "ewallet")
    ch_person, ch_kind, ch_from, ch_to = [], [], [], []
    ch_person.append(payees)
    ch_kind.append(np.where(cash0, "cash", noncash_kind))
    ch_from.append(begin_d)
    ch_to.append(np.where(switches, first_day(switch) - np.timedelta64(1, "D"), np.datetime64("NaT")))
    sw = np.flatnonzero(switches)
    ch_person.append(payees[sw])
    ch_kind.append(noncash_kind[sw])
    ch_from.append(first_day(switch[sw]))
    ch_to.append(np.full(len(sw), np.datetime64("NaT"), "datetime64[D]"))
    c_person = np.concatenate(ch_person)
    c_kind = np.concatenate(ch_kind).astype(str)
    c_from = np.concatenate(ch_from).astype("datetime64[D]")
    c_to = np.concatenate(ch_to).astype("datetime64[D]")
    n_ch = len(c_person)
    bank = c_kind == "bank"
    wallet = c_kind == "ewallet"
    acct_num = rng.integers(10**11, 10**12, n_ch).astype(str)
    bad = bank & (rng.random(n_ch) < 0.001)
    acct_num = np.where(bad, np.char.add(acct_num.astype("<U12"), "X"), acct_num)
    # an e-wallet is the mobile number: 0 + its last 9 digits
    phone = persons["phone"].take(pa.array(c_person)).fill_null("0900000000").to_numpy(zero_copy_only=False)
    mobile = np.char.add("0", np.array([p[-9:] for p in phone.astype(str)]))
    account = np.where(bank, acct_num, np.where(wallet, mobile, ""))
    commune = persons["commune_code"].take(pa.array(c_person)).to_numpy(zero_copy_only=False).astype(str)
    provider = np.where(
        bank,
        BANKS[rng.integers(0, len(BANKS), n_ch)],
        np.where(wallet, WALLETS[rng.integers(0, len(WALLETS), n_ch)], np.char.add("BD", commune)),
    )
    ctx.tables["payment_channels"] = pa.table(
        {
            "id": np.arange(1, n_ch + 1, dtype=np.int64),
            "person_id": (c_person + 1).astype(np.int64),
            "channel": pa.array(c_kind, pa.string()),
            "provider": pa.array(provider.astype(str), pa.string()),
            "account": pa.array(account, pa.string(), mask=~(bank | wallet)),
            "valid_from": pa.array(c_from, pa.date32()),
            "valid_to": pa.array(c_to, pa.date32(), mask=np.isnat(c_to)),
            "created_by": pa.array(["synth"] * n_ch, pa.string()),
            "created_at": _ts(n_ch),
        }
    )

    # --- payroll history --------------------------------------------------------------------------
    _payrolls(
        ctx,
        rng,
        ben_id,
        ben_person,
        ben_start,
        ben_end,
        ben_amount,
        c_person,
        c_kind,
        c_from,
        c_to,
        account,
        provider,
        death_m,
        bad,
    )

    # --- cases -------------------------------------------------------------------------------------
    # funeral allowances: the pensioners who died in the last year of the window
    died_pensioners = ht[(end_m >= cfg.end_month - 11) & (end_m >= 0)]
    _cases(ctx, rng, female, birth, death_m, is_dup, died_pensioners)


def _payrolls(
    ctx: SynthContext,
    rng: np.random.Generator,
    ben_id: np.ndarray,
    ben_person: np.ndarray,
    ben_start: np.ndarray,
    ben_end: np.ndarray,
    ben_amount: np.ndarray,
    c_person: np.ndarray,
    c_kind: np.ndarray,
    c_from: np.ndarray,
    c_to: np.ndarray,
    account: np.ndarray,
    provider: np.ndarray,
    death_m: np.ndarray,
    bad: np.ndarray,
) -> None:
    cfg = ctx.config
    months = np.arange(cfg.end_month - PAYROLL_MONTHS + 1, cfg.end_month + 1)
    # channels sorted by person then start: the channel in force on day d is the last one starting ≤ d
    day0 = np.datetime64("1970-01-01", "D")
    ckey = c_person.astype(np.int64) * 10**6 + (c_from - day0).astype(np.int64)
    order = np.argsort(ckey, kind="stable")
    skey, cp, ct = ckey[order], c_person[order], c_to[order]
    runs, pays = [], []
    pay_id = 1
    late_report = rng.random(len(ben_id)) < 0.25
    for r, m in enumerate(months):
        day = first_day(np.array([m]))[0]
        end = np.where(ben_end >= 0, ben_end, 10**7)
        # a death reported late is still paid the month after death (then recovered)
        end = np.where((ben_end >= 0) & late_report, end + 1, end)
        active = np.flatnonzero((ben_start <= m) & (end >= m))
        person = ben_person[active]
        cand = np.searchsorted(skey, person * 10**6 + int((day - day0).astype(np.int64)), side="right") - 1
        safe = np.maximum(cand, 0)
        ok = (cand >= 0) & (cp[safe] == person)
        ok &= np.isnat(ct[safe]) | (ct[safe] >= day)
        idx = order[safe]
        ok &= ~bad[idx]
        active, idx = active[ok], idx[ok]
        n = len(active)
        kind = c_kind[idx]
        status = np.full(n, "pending" if m == cfg.end_month else "paid", dtype=object)
        returned = (kind == "bank") & (rng.random(n) < 0.003) & (m < cfg.end_month)
        status[returned] = "returned"
        period = format_period(int(m))
        run_id = r + 1
        ids = np.arange(pay_id, pay_id + n, dtype=np.int64)
        pay_id += n
        bid = ben_id[active]
        yyyymm = f"CT{m // 12:04d}{m % 12 + 1:02d}B"
        pays.append(
            pa.table(
                {
                    "id": ids,
                    "key": pc.binary_join_element_wise(
                        "b", pc.cast(pa.array(bid), pa.string()), f":{period}:1", ""
                    ),
                    "reference": pc.binary_join_element_wise(
                        yyyymm, pc.utf8_lpad(pc.cast(pa.array(bid), pa.string()), 10, "0"), "01", ""
                    ),
                    "run_id": np.full(n, run_id, np.int64),
                    "person_id": (ben_person[active] + 1).astype(np.int64),
                    "beneficiary_id": bid,
                    "case_id": pa.nulls(n, pa.int64()),
                    "period": pa.array([period] * n, pa.string()),
                    "amount": ben_amount[active].astype(np.int64),
                    "channel": pa.array(kind.astype(str), pa.string()),
                    "provider": pa.array(provider[idx].astype(str), pa.string()),
                    "account": pa.array(account[idx].astype(str), pa.string(), mask=kind == "cash"),
                    "status": pa.array(status.astype(str), pa.string()),
                    "attempt": pa.array(np.ones(n, np.int16)),
                    "retry_of_id": pa.nulls(n, pa.int64()),
                    "failure_reason": pc.if_else(
                        pa.array(returned), pa.scalar("account closed"), pa.scalar(None, pa.string())
                    ),
                    "paid_on": pa.array(
                        np.where(
                            status == "paid",
                            first_day(np.array([m]))[0] + np.timedelta64(9, "D"),
                            np.datetime64("NaT"),
                        ).astype("datetime64[D]"),
                        pa.date32(),
                        mask=status != "paid",
                    ),
                    "created_at": _ts(n),
                }
            )
        )
        kinds = kind.astype(str)
        runs.append(
            {
                "id": run_id,
                "key": f"monthly:{period}",
                "period": period,
                "kind": "monthly",
                "status": "open" if m == cfg.end_month else "closed",
                "payments": n,
                "total_amount": int(ben_amount[active].sum()),
                "noncash_payments": int(np.isin(kinds, ("bank", "ewallet")).sum()),
                "exceptions": int((~ok).sum()),
                "created_by": "synth",
                "created_at": STAMP,
            }
        )
    payments = pa.concat_tables(pays)
    ctx.tables["payroll_runs"] = pa.Table.from_pylist(
        runs,
        pa.schema(
            [
                ("id", pa.int64()),
                ("key", pa.string()),
                ("period", pa.string()),
                ("kind", pa.string()),
                ("status", pa.string()),
                ("payments", pa.int32()),
                ("total_amount", pa.int64()),
                ("noncash_payments", pa.int32()),
                ("exceptions", pa.int32()),
                ("created_by", pa.string()),
                ("created_at", pa.timestamp("us", tz="UTC")),
            ]
        ),
    )
    ctx.tables["benefit_payments"] = payments
    # overpayments: paid months after the death month
    pm = (
        pc.cast(pc.utf8_slice_codeunits(payments["period"], 0, 4), pa.int64()).to_numpy() * 12
        + pc.cast(pc.utf8_slice_codeunits(payments["period"], 5, 7), pa.int64()).to_numpy()
        - 1
    )
    person = payments["person_id"].to_numpy() - 1
    paid = pc.equal(payments["status"], "paid").to_numpy(zero_copy_only=False)
    over = np.flatnonzero(paid & (pm > death_m[person]))
    n_o = len(over)
    recovered = rng.random(n_o) < 0.4
    detected = first_day(pm[over] + 1) + np.timedelta64(14, "D")
    ctx.tables["overpayments"] = pa.table(
        {
            "id": np.arange(1, n_o + 1, dtype=np.int64),
            "payment_id": payments["id"].to_numpy()[over],
            "person_id": payments["person_id"].to_numpy()[over],
            "amount": payments["amount"].to_numpy()[over],
            "status": pa.array(np.where(recovered, "recovered", "open"), pa.string()),
            "detected_on": pa.array(detected, pa.date32()),
            "recovered_on": pa.array(detected + np.timedelta64(30, "D"), pa.date32(), mask=~recovered),
        }
    )
    if n_o:
        status = payments["status"].to_numpy(zero_copy_only=False).astype(object)
        status[over[recovered]] = "recovered"
        ctx.tables["benefit_payments"] = payments.set_column(
            payments.schema.get_field_index("status"), "status", pa.array(status.astype(str), pa.string())
        )


def _cases(
    ctx: SynthContext,
    rng: np.random.Generator,
    female: np.ndarray,
    birth: np.ndarray,
    death_m: np.ndarray,
    is_dup: np.ndarray,
    died_pensioners: np.ndarray,
) -> None:
    cfg = ctx.config
    params = get_parameters()
    parts = ctx.tables["participations"]
    scheme = parts["scheme"].to_numpy(zero_copy_only=False)
    si = np.flatnonzero(scheme == "si")
    person = parts["person_id"].to_numpy()[si] - 1
    si = si[person < len(female)]
    person = person[person < len(female)]
    vt = parts["valid_to"].to_numpy(zero_copy_only=False).astype("datetime64[D]")[si]
    # last SI month of each person (open spells: still working)
    last = np.full(len(female), -1, np.int64)
    open_ = np.zeros(len(female), bool)
    np.maximum.at(
        last,
        person,
        np.where(np.isnat(vt), 10**7, months_of(np.where(np.isnat(vt), np.datetime64("2000-01-01"), vt))),
    )
    open_[person[np.isnat(vt)]] = True
    leavers = np.flatnonzero((last >= cfg.start_month) & (last < cfg.end_month - 12) & ~open_ & ~is_dup)
    leavers = leavers[death_m[leavers] > cfg.end_month]
    age = ctx.arrays["person_age"][leavers]
    # one-time requests: younger leavers, 45% of them, 12–24 months after leaving
    asks = leavers[(age < 55) & (rng.random(len(leavers)) < 0.45)]
    recv_m = last[asks] + 13 + rng.integers(0, 12, len(asks))
    keep = recv_m <= cfg.end_month
    asks, recv_m = asks[keep], recv_m[keep]
    # pension dossiers: leavers at or past the retirement age
    retirees = leavers[(age >= np.where(female[leavers], 57, 61)) & (rng.random(len(leavers)) < 0.7)]
    ret_m = np.minimum(last[retirees] + 1 + rng.integers(0, 3, len(retirees)), cfg.end_month)
    # maternity: insured women 22–38 still working, a few a month
    working_f = np.flatnonzero(
        open_ & female & (ctx.arrays["person_age"] > 22) & (ctx.arrays["person_age"] < 38) & ~is_dup
    )
    mothers = working_f[rng.random(len(working_f)) < 0.02]
    birth_m = cfg.end_month - rng.integers(0, 6, len(mothers))
    sick = np.flatnonzero(open_ & ~is_dup)
    sick = sick[rng.random(len(sick)) < 0.004]
    sick_m = cfg.end_month - rng.integers(0, 3, len(sick))

    # unemployment: recent leavers of working age claim within the three months after the contract
    recent = np.flatnonzero((last >= cfg.end_month - 4) & (last < cfg.end_month) & ~open_ & ~is_dup)
    recent = recent[(ctx.arrays["person_age"][recent] < 55) & (death_m[recent] > cfg.end_month)]
    jobless = recent[rng.random(len(recent)) < 0.5]
    ui_m = np.minimum(last[jobless] + 1 + rng.integers(0, 2, len(jobless)), cfg.end_month)
    funeral_m = np.minimum(death_m[died_pensioners] + rng.integers(0, 2, len(died_pensioners)), cfg.end_month)
    kinds = np.r_[
        np.full(len(asks), "one_time"),
        np.full(len(retirees), "pension"),
        np.full(len(mothers), "maternity"),
        np.full(len(sick), "sickness"),
        np.full(len(died_pensioners), "funeral"),
        np.full(len(jobless), "unemployment"),
    ].astype("<U12")
    who = np.r_[asks, retirees, mothers, sick, died_pensioners, jobless]
    recv = np.r_[recv_m, ret_m, birth_m, sick_m, funeral_m, ui_m]
    n = len(who)
    day_in = rng.integers(0, 26, n)
    received = first_day(recv) + day_in.astype("timedelta64[D]")
    event = received.copy()
    event[kinds == "pension"] = first_day(recv[kinds == "pension"])
    event[kinds == "maternity"] = received[kinds == "maternity"] - np.timedelta64(20, "D")
    event[kinds == "sickness"] = received[kinds == "sickness"] - np.timedelta64(10, "D")
    ui = kinds == "unemployment"
    event[ui] = first_day(last[who[ui]] + 1) - np.timedelta64(1, "D")  # the contract's last day
    funeral = kinds == "funeral"
    event[funeral] = np.minimum(
        ctx.arrays["person_death"][who[funeral]].astype("datetime64[D]"), received[funeral]
    )
    ref_day = np.datetime64(cfg.reference_date, "D")
    in_flight = received > ref_day - np.timedelta64(42, "D")
    decided = np.minimum(received + rng.integers(3, 15, n).astype("timedelta64[D]"), ref_day)

    spells = (
        pa.table(
            {
                "person_id": parts["person_id"],
                "scheme": parts["scheme"],
                "valid_from": parts["valid_from"],
                "valid_to": parts["valid_to"],
                "employer_id": parts["employer_id"],
                "amount": pc.coalesce(parts["salary"], parts["income"]),
            }
        )
        .filter(pc.is_in(parts["scheme"], pa.array(["si", "ui", "vsi"])))
        .cast(SPELLS_SCHEMA)
    )
    balances = ctx.tables.get("ledger_balances")
    if balances is not None:
        open_months = balances.filter(pc.greater(balances["open_amount"], 0)).select(
            ["employer_id", "period"]
        )
        open_months = open_months.cast(OPEN_SCHEMA)
    else:
        open_months = OPEN_SCHEMA.empty_table()
    case_ids = np.arange(1, n + 1, dtype=np.int64)
    cases = pa.table(
        {
            "case_id": case_ids,
            "person_id": (who + 1).astype(np.int64),
            "event_date": pa.array(event, pa.date32()),
        }
    )
    hist = summarise(cases, spells, open_months, params, cfg.reference_date).to_pylist()
    regions = _employer_regions(ctx)
    rows = []
    births = birth[who]
    deadline_days = params.integer_by_key("processing_deadline_working_days", cfg.reference_date)
    due = due_dates(received.astype("datetime64[D]"), np.array([deadline_days[k] for k in kinds]), params)
    outcome_draw = rng.random(n)
    for i in range(n):
        h = hist[i]
        kind = kinds[i]
        facts: dict[str, object] = {}
        if kind == "one_time":
            facts = {"ground": "dd"}
        elif kind == "maternity":
            facts = {"children": 1}
        elif kind == "sickness":
            facts = {"days": int(rng.integers(2, 8))}
        if h.get("last_employer_id") is not None and kind == "unemployment":
            facts["region"] = regions.get(int(h["last_employer_id"]), 1)
        ev = event[i].astype(date)
        dec = decided[i].astype(date)
        died = death_m[who[i]] < 10**7
        applicant = Applicant(
            int(who[i]) + 1,
            "female" if female[who[i]] else "male",
            births[i].astype(date),
            ctx.arrays["person_death"][who[i]].astype("datetime64[D]").astype(date) if died else None,
            is_pensioner=kind == "funeral",
        )
        draft = evaluate(params, kind, applicant, h, facts, ev, dec)
        if kind == "pension" and draft.problems and draft.problems[0].code == "too_few_years":
            # fewer than 15 years at retirement age: the lump sum (Art. 70.1(a)) is asked instead
            kind, facts = "one_time", {"ground": "a"}
            kinds[i] = kind
            draft = evaluate(params, kind, applicant, h, facts, ev, dec)
        counselling = None
        if in_flight[i]:
            status = "received" if outcome_draw[i] < 0.5 else "drafted"
            decided_on = None
        elif not draft.eligible:
            status, decided_on = "rejected", dec
        elif kind == "one_time" and outcome_draw[i] < 0.33:
            status, decided_on, counselling = "rejected", dec, "stayed"
        else:
            status, decided_on = ("paid" if kind != "pension" else "approved"), dec
            counselling = "withdrew" if kind == "one_time" else None
        drafted = status != "received"
        second = needs_second_approval(params, draft, dec) if draft.eligible else False
        rows.append(
            {
                "id": int(case_ids[i]),
                "reference": f"HS{cfg.province}-{int(case_ids[i]):08d}",
                "person_id": int(who[i]) + 1,
                "kind": kind,
                "status": status,
                "received_on": received[i].astype(date),
                "due_on": due[i].astype(date),
                "decided_on": decided_on,
                "amount": draft.amount if (drafted and draft.eligible) else None,
                "monthly_amount": draft.monthly_amount if (drafted and draft.eligible) else None,
                "counselling_outcome": counselling,
                "counselled_on": dec if counselling else None,
                "event_date": ev,
                "ground": facts.get("ground"),
                "facts": json.dumps(facts),
                "documents": json.dumps(["application"]),
                "explanation": json.dumps(draft.to_json(), ensure_ascii=False, default=str)
                if drafted
                else None,
                "needs_second": bool(second),
                "first_approved_by": "synth"
                if (second and decided_on and status in ("approved", "paid"))
                else None,
                "approved_by": "synth" if status in ("approved", "paid") else None,
                "note": "stayed in the system after counselling" if counselling == "stayed" else None,
                "version": 1,
                "created_by": "synth",
                "created_at": STAMP,
                "updated_at": STAMP,
            }
        )
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("reference", pa.string()),
            ("person_id", pa.int64()),
            ("kind", pa.string()),
            ("status", pa.string()),
            ("received_on", pa.date32()),
            ("due_on", pa.date32()),
            ("decided_on", pa.date32()),
            ("amount", pa.int64()),
            ("monthly_amount", pa.int64()),
            ("counselling_outcome", pa.string()),
            ("counselled_on", pa.date32()),
            ("event_date", pa.date32()),
            ("ground", pa.string()),
            ("facts", pa.string()),
            ("documents", pa.string()),
            ("explanation", pa.string()),
            ("needs_second", pa.bool_()),
            ("first_approved_by", pa.string()),
            ("approved_by", pa.string()),
            ("note", pa.string()),
            ("version", pa.int32()),
            ("created_by", pa.string()),
            ("created_at", pa.timestamp("us", tz="UTC")),
            ("updated_at", pa.timestamp("us", tz="UTC")),
        ]
    )
    ctx.tables["benefit_cases"] = pa.Table.from_pylist(rows, schema)


def _employer_regions(ctx: SynthContext) -> dict[int, int]:
    regions = ctx.tables["employer_regions"]
    ids = regions["employer_id"].to_numpy()
    reg = regions["region"].to_numpy()
    return dict(zip(ids.tolist(), reg.tolist(), strict=True))


EXTENSION = Extension(
    name="benefits",
    tables=(
        "beneficiaries",
        "payment_channels",
        "payroll_runs",
        "benefit_payments",
        "overpayments",
        "benefit_cases",
    ),
    step=generate_benefits,
)
