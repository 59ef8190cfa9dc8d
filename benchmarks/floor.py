"""The floor of the report benchmark: the annual report's figures written as plain SQL.

``report_floor`` computes every figure of ``reporting.compute.compute_report`` with three
hand-written, set-based statements (people, housing stock, money and support) over the tables,
the definitions of shared/docs/annual-report.md reproduced by hand. The benchmark times both and
prints their ratio: what the report's querysets cost above what PostgreSQL needs for the same
numbers. ``tests/benchmarks/test_floor.py`` checks that both give the same figures.

Run inside the organisation's transaction (``organisation_transaction``), like the report.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from django.db import connection

from iml.codes import (
    DESTINATION_CATEGORY,
    DestinationCategory,
    Employment,
    ExitDestination,
    ExitSupport,
    InteractionType,
    Parc,
    PriorSituation,
    ProtectionStatus,
    Sex,
    SupportDomain,
    Typology,
    UnitReturnReason,
    WithdrawalReason,
)
from reporting.compute import (
    DAYS_PER_MONTH,
    funding_ceiling,
    money,
    percent,
    rate,
    round_half_away,
)
from reporting.definitions import (
    EXIT_STAY_BUCKETS,
    PRESENT_STAY_BUCKETS,
    SINISTRALITE,
    TYPOLOGIES,
    UNKNOWN,
    age_bracket_labels,
)
from reporting.quality import balance_checks

# Completed years (months) from the earlier date to the later one: a year (month) completes
# when the month and day (the day) come again.
YEARS = """((EXTRACT(YEAR FROM {later}) - EXTRACT(YEAR FROM {earlier}))::int
    - (EXTRACT(MONTH FROM {later}) * 100 + EXTRACT(DAY FROM {later})
       < EXTRACT(MONTH FROM {earlier}) * 100 + EXTRACT(DAY FROM {earlier}))::int)"""
MONTHS = """(((EXTRACT(YEAR FROM {later}) - EXTRACT(YEAR FROM {earlier})) * 12
      + EXTRACT(MONTH FROM {later}) - EXTRACT(MONTH FROM {earlier}))::int
    - (EXTRACT(DAY FROM {later}) < EXTRACT(DAY FROM {earlier}))::int)"""

# Every statement returns rows (path, value): the figure's keys in the JSON form and a number.
PEOPLE_SQL = f"""
WITH h AS (
    SELECT id, orientation_date, entry_date, exit_date, withdrawal_date, withdrawal_reason,
           prior_situation, orienting_structure, reinforced_support, exit_destination,
           bail_glissant, exit_support
    FROM households_household
    WHERE organisation_id = %(organisation)s AND dispositif_id = %(dispositif)s
),
-- Persons of households that entered; own dates kept within the household's stay.
p AS (
    SELECT p.id, p.household_id, p.role, p.sex, p.birth_date, p.nationality,
           p.protection_status, h.entry_date, h.exit_date,
           GREATEST(p.joined_date, h.entry_date) AS joined,
           LEAST(p.left_date, h.exit_date) AS left_on
    FROM households_person p
    JOIN h ON h.id = p.household_id
    WHERE p.organisation_id = %(organisation)s AND h.entry_date IS NOT NULL
),
-- The three groups and their reference dates: households, then persons.
gh AS (
    SELECT 'present_at_end' AS grp, h.*, %(end)s::date AS ref FROM h
    WHERE h.entry_date <= %(end)s AND (h.exit_date IS NULL OR h.exit_date > %(end)s)
    UNION ALL
    SELECT 'entries', h.*, h.entry_date FROM h
    WHERE h.entry_date BETWEEN %(start)s AND %(end)s
    UNION ALL
    SELECT 'exits', h.*, h.exit_date FROM h
    WHERE h.exit_date BETWEEN %(start)s AND %(end)s
),
gp AS (
    SELECT g.*, {YEARS.format(later="g.ref", earlier="g.birth_date")} AS age
    FROM (
        SELECT 'present_at_end' AS grp, p.*, %(end)s::date AS ref FROM p
        WHERE p.joined <= %(end)s AND (p.left_on IS NULL OR p.left_on > %(end)s)
        UNION ALL
        SELECT 'entries', p.*, p.entry_date FROM p
        WHERE p.entry_date BETWEEN %(start)s AND %(end)s AND p.joined <= p.entry_date
          AND (p.left_on IS NULL OR p.left_on > p.entry_date)
        UNION ALL
        SELECT 'exits', p.*, p.exit_date FROM p
        WHERE p.exit_date BETWEEN %(start)s AND %(end)s AND p.joined <= p.exit_date
          AND p.left_on = p.exit_date
    ) AS g
),
composition AS (
    SELECT grp, household_id,
           count(*) FILTER (WHERE role <> 'enfant') AS adults,
           count(*) FILTER (WHERE role = 'enfant') AS children,
           max(sex) FILTER (WHERE role <> 'enfant') AS sex
    FROM gp
    GROUP BY grp, household_id
),
ghx AS (
    SELECT gh.grp, gh.id, gh.reinforced_support, gh.prior_situation, gh.orienting_structure,
           gh.exit_destination, gh.bail_glissant, gh.exit_support,
           COALESCE(c.children, 0) AS children,
           CASE WHEN COALESCE(c.adults, 0) = 0 THEN 'inconnu'
                WHEN c.children = 0 AND c.adults = 1 THEN
                    CASE c.sex WHEN 'f' THEN 'femme_seule' WHEN 'm' THEN 'homme_seul'
                               ELSE 'personne_seule' END
                WHEN c.children = 0 AND c.adults = 2 THEN 'couple_sans_enfant'
                WHEN c.children = 0 THEN 'groupe_adultes'
                WHEN c.adults = 1 THEN
                    CASE c.sex WHEN 'f' THEN 'femme_avec_enfants'
                               WHEN 'm' THEN 'homme_avec_enfants'
                               ELSE 'personne_avec_enfants' END
                ELSE 'couple_avec_enfants' END AS typology,
           COALESCE(r.combination, 'inconnu') AS resources,
           {MONTHS.format(later="gh.ref", earlier="gh.entry_date")} AS stay_months,
           gh.ref - gh.entry_date AS stay_days
    FROM gh
    LEFT JOIN composition c ON c.grp = gh.grp AND c.household_id = gh.id
    -- The latest record on or before the reference date, else the earliest; same date: the
    -- one recorded last.
    LEFT JOIN LATERAL (
        SELECT ARRAY_TO_STRING(ARRAY(SELECT DISTINCT code COLLATE "C"
                                     FROM UNNEST(rr.resources) AS resource(code)
                                     ORDER BY 1), '+') AS combination
        FROM households_resourcerecord rr
        WHERE rr.household_id = gh.id AND rr.organisation_id = %(organisation)s
        ORDER BY rr.date > gh.ref, CASE WHEN rr.date <= gh.ref THEN rr.date END DESC,
                 rr.date, rr.created_at DESC, rr.id DESC
        LIMIT 1
    ) AS r ON true
),
-- Persons accompanied, with the employment of the adults: the latest record by the end.
accompanied AS (
    SELECT p.id, p.role, p.sex, p.nationality, e.employment
    FROM p
    LEFT JOIN LATERAL (
        SELECT er.employment
        FROM households_employmentrecord er
        WHERE er.person_id = p.id AND er.organisation_id = %(organisation)s
          AND er.date <= %(end)s AND p.role <> 'enfant'
        ORDER BY er.date DESC, er.created_at DESC, er.id DESC
        LIMIT 1
    ) AS e ON true
    WHERE p.joined <= %(end)s AND (p.left_on IS NULL OR p.left_on >= %(start)s)
)
SELECT v.path, v.n
FROM (
    SELECT
        count(*) FILTER (WHERE entry_date <= %(day_before)s
                         AND (exit_date IS NULL OR exit_date > %(day_before)s)) AS at_start,
        count(*) FILTER (WHERE entry_date BETWEEN %(start)s AND %(end)s) AS entered,
        count(*) FILTER (WHERE exit_date BETWEEN %(start)s AND %(end)s) AS exited,
        count(*) FILTER (WHERE entry_date <= %(end)s
                         AND (exit_date IS NULL OR exit_date > %(end)s)) AS at_end,
        count(*) FILTER (WHERE entry_date <= %(end)s
                         AND (exit_date IS NULL OR exit_date >= %(start)s)) AS accompanied,
        count(*) FILTER (WHERE orientation_date BETWEEN %(start)s AND %(end)s) AS received,
        count(*) FILTER (WHERE orientation_date BETWEEN %(start)s AND %(end)s
                         AND entry_date BETWEEN %(start)s AND %(end)s) AS admitted,
        count(*) FILTER (WHERE orientation_date <= %(end)s
                         AND (entry_date IS NULL OR entry_date > %(end)s)
                         AND (withdrawal_date IS NULL OR withdrawal_date > %(end)s)) AS pending,
        count(*) FILTER (WHERE entry_date BETWEEN %(start)s AND %(end)s
                         AND orienting_structure = '') AS no_structure,
        count(*) FILTER (WHERE exit_date BETWEEN %(start)s AND %(end)s
                         AND exit_destination = '') AS no_destination,
        count(*) FILTER (WHERE withdrawal_date BETWEEN %(start)s AND %(end)s
                         AND withdrawal_reason = '') AS no_reason,
        count(*) FILTER (WHERE (entry_date BETWEEN %(start)s AND %(end)s
                                OR withdrawal_date BETWEEN %(start)s AND %(end)s)
                         AND orientation_date IS NULL) AS no_orientation
    FROM h
) AS t
CROSS JOIN LATERAL (VALUES
    (ARRAY['households', 'present_at_start'], t.at_start),
    (ARRAY['households', 'entered'], t.entered),
    (ARRAY['households', 'exited'], t.exited),
    (ARRAY['households', 'present_at_end'], t.at_end),
    (ARRAY['households', 'accompanied'], t.accompanied),
    (ARRAY['orientations', 'received'], t.received),
    (ARRAY['orientations', 'admitted'], t.admitted),
    (ARRAY['orientations', 'pending_at_end'], t.pending),
    (ARRAY['gaps', 'orienting_structure'], t.no_structure),
    (ARRAY['gaps', 'exit_destination'], t.no_destination),
    (ARRAY['gaps', 'withdrawal_reason'], t.no_reason),
    (ARRAY['gaps', 'orientation_date'], t.no_orientation)
) AS v(path, n)
UNION ALL
SELECT ARRAY['orientations', 'withdrawn', COALESCE(NULLIF(withdrawal_reason, ''), 'inconnu')],
       count(*)
FROM h WHERE withdrawal_date BETWEEN %(start)s AND %(end)s
GROUP BY 1
UNION ALL
SELECT v.path, v.n
FROM (
    SELECT
        count(*) FILTER (WHERE joined <= %(day_before)s
                         AND (left_on IS NULL OR left_on > %(day_before)s)) AS at_start,
        count(*) FILTER (WHERE joined BETWEEN %(start)s AND %(end)s) AS entered,
        count(*) FILTER (WHERE left_on BETWEEN %(start)s AND %(end)s) AS exited,
        count(*) FILTER (WHERE joined <= %(end)s
                         AND (left_on IS NULL OR left_on > %(end)s)) AS at_end,
        count(*) FILTER (WHERE joined <= %(end)s
                         AND (left_on IS NULL OR left_on >= %(start)s)) AS accompanied
    FROM p
) AS t
CROSS JOIN LATERAL (VALUES
    (ARRAY['persons', 'present_at_start'], t.at_start),
    (ARRAY['persons', 'entered'], t.entered),
    (ARRAY['persons', 'exited'], t.exited),
    (ARRAY['persons', 'present_at_end'], t.at_end),
    (ARRAY['persons', 'accompanied'], t.accompanied)
) AS v(path, n)
UNION ALL
SELECT ARRAY[t.grp] || v.key, v.n
FROM (
    SELECT grp, count(*) AS households,
           count(*) FILTER (WHERE reinforced_support) AS reinforced,
           sum(stay_days) AS stay_days,
           count(*) FILTER (WHERE stay_months < 6) AS lt6,
           count(*) FILTER (WHERE stay_months BETWEEN 6 AND 12) AS m6_12,
           count(*) FILTER (WHERE stay_months > 12) AS gt12,
           count(*) FILTER (WHERE stay_months BETWEEN 13 AND 18) AS m13_18,
           count(*) FILTER (WHERE stay_months > 18) AS gt18
    FROM ghx GROUP BY grp
) AS t
CROSS JOIN LATERAL (VALUES
    (ARRAY['households'], t.households),
    (ARRAY['reinforced'], t.reinforced),
    (ARRAY['stay_length', 'days'], t.stay_days),
    (ARRAY['stay_length', 'lt6'], t.lt6),
    (ARRAY['stay_length', 'm6_12'], t.m6_12),
    (ARRAY['stay_length', 'gt12'], t.gt12),
    (ARRAY['stay_length', 'm13_18'], t.m13_18),
    (ARRAY['stay_length', 'gt18'], t.gt18)
) AS v(key, n)
UNION ALL
SELECT ARRAY[t.grp, 'typology', t.typology, v.key], v.n
FROM (
    SELECT grp, typology, count(*) AS households, sum(children) AS children,
           count(*) FILTER (WHERE reinforced_support) AS reinforced
    FROM ghx GROUP BY grp, typology
) AS t
CROSS JOIN LATERAL (VALUES
    ('households', t.households), ('children', t.children), ('reinforced', t.reinforced)
) AS v(key, n)
UNION ALL
SELECT ARRAY[grp, 'resources', resources], count(*) FROM ghx GROUP BY grp, resources
UNION ALL
SELECT ARRAY[grp, 'prior_situation', COALESCE(NULLIF(prior_situation, ''), 'inconnu')::text],
       count(*)
FROM ghx GROUP BY 1
UNION ALL
SELECT ARRAY['entries', 'orienting_structures',
             COALESCE(NULLIF(orienting_structure, ''), 'inconnu')::text], count(*)
FROM ghx WHERE grp = 'entries' GROUP BY 1
UNION ALL
SELECT ARRAY['exits', 'destinations', t.destination, v.key], v.n
FROM (
    SELECT COALESCE(NULLIF(exit_destination, ''), 'inconnu')::text AS destination,
           count(*) AS households, count(*) FILTER (WHERE bail_glissant) AS bail_glissant,
           count(*) FILTER (WHERE reinforced_support) AS reinforced
    FROM ghx WHERE grp = 'exits' GROUP BY 1
) AS t
CROSS JOIN LATERAL (VALUES
    ('households', t.households), ('bail_glissant', t.bail_glissant),
    ('reinforced', t.reinforced)
) AS v(key, n)
UNION ALL
SELECT ARRAY['exits', 'exit_support', support.code::text], count(DISTINCT ghx.id)
FROM ghx CROSS JOIN LATERAL UNNEST(ghx.exit_support) AS support(code)
WHERE ghx.grp = 'exits'
GROUP BY support.code
UNION ALL
SELECT v.path, v.n
FROM (
    SELECT grp, count(*) AS persons,
           count(*) FILTER (WHERE role <> 'enfant') AS adults,
           count(*) FILTER (WHERE role = 'enfant') AS children,
           count(*) FILTER (WHERE role = 'enfant' AND age >= 18) AS of_age
    FROM gp GROUP BY grp
) AS t
CROSS JOIN LATERAL (VALUES
    (ARRAY[t.grp, 'persons'], t.persons),
    (ARRAY[t.grp, 'adults'], t.adults),
    (ARRAY[t.grp, 'children'], t.children),
    (ARRAY[t.grp, 'children_of_age'], t.of_age)
) AS v(path, n)
UNION ALL
SELECT ARRAY[gp.grp, 'age_brackets', b.label], count(*)
FROM gp
JOIN UNNEST(%(labels)s::text[], %(lows)s::int[], %(highs)s::int[]) AS b(label, low, high)
  ON gp.age >= b.low AND (b.high IS NULL OR gp.age <= b.high)
GROUP BY gp.grp, b.label
UNION ALL
SELECT ARRAY[grp, 'protection_status', COALESCE(NULLIF(protection_status, ''), 'inconnu')::text],
       count(*)
FROM gp GROUP BY 1
UNION ALL
SELECT ARRAY['nationalities', COALESCE(NULLIF(nationality, ''), 'inconnu')::text], count(*)
FROM accompanied GROUP BY 1
UNION ALL
SELECT ARRAY['sex', sex::text], count(*) FROM accompanied GROUP BY 1
UNION ALL
SELECT ARRAY['support', 'employment', COALESCE(employment, 'inconnu')::text], count(*)
FROM accompanied WHERE role <> 'enfant' GROUP BY 1
UNION ALL
-- Quality gaps: one per (record, field), whatever the number of groups a record is in.
SELECT v.path, v.n
FROM (
    SELECT
        (SELECT count(DISTINCT id) FROM ghx WHERE typology = 'inconnu') AS composition,
        (SELECT count(DISTINCT id) FROM ghx WHERE resources = 'inconnu') AS resources,
        (SELECT count(DISTINCT id) FROM ghx WHERE prior_situation = '') AS prior_situation,
        (SELECT count(DISTINCT id) FROM gp WHERE protection_status = '') AS protection,
        (SELECT count(*) FROM accompanied WHERE nationality = '') AS nationality,
        (SELECT count(*) FROM accompanied
         WHERE role <> 'enfant' AND employment IS NULL) AS employment
) AS t
CROSS JOIN LATERAL (VALUES
    (ARRAY['gaps', 'composition'], t.composition),
    (ARRAY['gaps', 'resources'], t.resources),
    (ARRAY['gaps', 'prior_situation'], t.prior_situation),
    (ARRAY['gaps', 'protection_status'], t.protection),
    (ARRAY['gaps', 'nationality'], t.nationality),
    (ARRAY['gaps', 'employment'], t.employment)
) AS v(path, n)
"""

HOUSING_SQL = """
WITH u AS (
    SELECT id, places, typology, parc, sector, captation_date, return_date, return_reason
    FROM housing_housingunit
    WHERE organisation_id = %(organisation)s AND dispositif_id = %(dispositif)s
),
at_end AS (
    SELECT u.*, EXISTS (
        SELECT 1 FROM tenancy_subleasecontract c
        WHERE c.unit_id = u.id AND c.organisation_id = %(organisation)s
          AND c.start_date <= %(end)s
          AND (c.actual_end_date IS NULL OR c.actual_end_date > %(end)s)
    ) AS occupied
    FROM u
    WHERE u.captation_date <= %(end)s AND (u.return_date IS NULL OR u.return_date > %(end)s)
),
-- Place-days without a row per day: each unit's days in stock within the period as [s, e),
-- the contracts clipped to them, then a sweep over the days where coverage changes.
stock AS (
    SELECT id, places, GREATEST(captation_date, %(start)s::date) AS s,
           LEAST(COALESCE(return_date, %(after_end)s::date), %(after_end)s::date) AS e
    FROM u
),
covers AS (
    SELECT st.id, st.places,
           GREATEST(c.start_date, st.s) AS s,
           LEAST(COALESCE(c.actual_end_date, st.e), st.e) AS e,
           (c.room_id IS NULL)::int AS whole, COALESCE(r.places, 0) AS room_places
    FROM stock st
    JOIN tenancy_subleasecontract c
      ON c.unit_id = st.id AND c.organisation_id = %(organisation)s
    LEFT JOIN housing_room r ON r.id = c.room_id
    WHERE st.s < st.e
),
steps AS (
    SELECT covers.id, covers.places, edge.day,
           sum(edge.sign * covers.whole) AS whole, sum(edge.sign * covers.room_places) AS rooms
    FROM covers
    CROSS JOIN LATERAL (VALUES (covers.s, 1), (covers.e, -1)) AS edge(day, sign)
    WHERE covers.s < covers.e
    GROUP BY covers.id, covers.places, edge.day
),
levels AS (
    SELECT places, day, lead(day) OVER w AS next_day,
           sum(whole) OVER w AS whole, sum(rooms) OVER w AS rooms
    FROM steps
    WINDOW w AS (PARTITION BY id ORDER BY day)
)
SELECT v.path, v.n
FROM (
    SELECT count(*) AS units, COALESCE(sum(places), 0) AS places,
           count(*) FILTER (WHERE occupied) AS occupied,
           count(*) FILTER (WHERE sector = '') AS no_sector,
           (SELECT count(*) FROM housing_room r JOIN at_end ON at_end.id = r.unit_id
            WHERE r.organisation_id = %(organisation)s) AS rooms
    FROM at_end
) AS t
CROSS JOIN LATERAL (VALUES
    (ARRAY['housing', 'units_at_end'], t.units),
    (ARRAY['housing', 'places_at_end'], t.places),
    (ARRAY['housing', 'occupied_units_at_end'], t.occupied),
    (ARRAY['housing', 'rooms_at_end'], t.rooms),
    (ARRAY['gaps', 'sector'], t.no_sector)
) AS v(path, n)
UNION ALL
SELECT ARRAY['housing', 'units_by_typology_at_end', typology::text], count(*)
FROM at_end GROUP BY typology
UNION ALL
SELECT ARRAY['housing', 'by_parc_at_end', parc::text], count(*) FROM at_end GROUP BY parc
UNION ALL
SELECT ARRAY['housing', 'by_sector_at_end', COALESCE(NULLIF(sector, ''), 'inconnu')::text],
       count(*)
FROM at_end GROUP BY 1
UNION ALL
SELECT v.path, v.n
FROM (
    SELECT count(*) FILTER (WHERE captation_date BETWEEN %(start)s AND %(end)s) AS captured,
           count(*) FILTER (WHERE return_date BETWEEN %(start)s AND %(end)s) AS returned,
           count(*) FILTER (WHERE return_date BETWEEN %(start)s AND %(end)s
                            AND return_reason = '') AS no_reason
    FROM u
) AS t
CROSS JOIN LATERAL (VALUES
    (ARRAY['housing', 'captured'], t.captured),
    (ARRAY['housing', 'returned'], t.returned),
    (ARRAY['gaps', 'return_reason'], t.no_reason)
) AS v(path, n)
UNION ALL
SELECT ARRAY['housing', 'returned_by_reason',
             COALESCE(NULLIF(return_reason, ''), 'inconnu')::text], count(*)
FROM u WHERE return_date BETWEEN %(start)s AND %(end)s GROUP BY 1
UNION ALL
SELECT v.path, v.n
FROM (
    SELECT COALESCE(sum(e - s), 0) AS unit_days, COALESCE(sum(places * (e - s)), 0) AS available
    FROM stock WHERE s < e
) AS t
CROSS JOIN LATERAL (VALUES
    (ARRAY['stock', 'unit_days'], t.unit_days),
    (ARRAY['stock', 'available'], t.available)
) AS v(path, n)
UNION ALL
-- Occupied: every place on a day a whole-unit contract covers the unit, else its covered
-- rooms' places (at most the unit's).
SELECT ARRAY['stock', 'occupied'],
       COALESCE(sum((next_day - day)
                    * CASE WHEN whole > 0 THEN places ELSE LEAST(places, rooms) END), 0)
FROM levels WHERE next_day IS NOT NULL
"""

MONEY_SQL = """
WITH h AS (
    SELECT id, exit_date,
           COALESCE(entry_date <= %(end)s
                    AND (exit_date IS NULL OR exit_date > %(end)s), false) AS present_at_end,
           COALESCE(exit_date BETWEEN %(start)s AND %(end)s, false) AS exited
    FROM households_household
    WHERE organisation_id = %(organisation)s AND dispositif_id = %(dispositif)s
),
-- The ledger of the dispositif's households (all their contracts); an annulation carries the
-- kind of the entry it reverses.
e AS (
    SELECT e.id, e.date, e.kind, e.debit, e.credit, reversed.kind AS reversed_kind,
           h.id AS household_id, h.exit_date, h.present_at_end OR h.exited AS wanted
    FROM tenancy_ledgerentry e
    JOIN tenancy_subleasecontract c ON c.id = e.contract_id
    JOIN h ON h.id = c.household_id
    LEFT JOIN tenancy_ledgerentry reversed ON reversed.id = e.reverses_id
    WHERE e.organisation_id = %(organisation)s
),
-- Balance at the end, rent debt at the exit (damages and their reversals left out) and
-- damage not reversed, whatever its date.
balances AS (
    SELECT household_id,
           sum(debit - credit) FILTER (WHERE date <= %(end)s) AS balance,
           sum(debit - credit) FILTER (
               WHERE date <= exit_date AND kind <> 'degradation'
                 AND (kind <> 'annulation' OR reversed_kind IS DISTINCT FROM 'degradation')
           ) AS rent_debt,
           bool_or(kind = 'degradation' AND NOT EXISTS (
               SELECT 1 FROM tenancy_ledgerentry r WHERE r.reverses_id = e.id
           )) AS damage
    FROM e WHERE wanted
    GROUP BY household_id
),
i AS (
    SELECT i.id, i.household_id, i.kind, i.domains
    FROM support_interaction i
    JOIN h ON h.id = i.household_id
    WHERE i.organisation_id = %(organisation)s AND i.date BETWEEN %(start)s AND %(end)s
)
SELECT ARRAY['exits', 'sinistralite',
             CASE WHEN b.rent_debt > 0 AND b.damage THEN 'multiple'
                  WHEN b.rent_debt > 0 THEN 'impaye'
                  WHEN b.damage THEN 'degradation'
                  ELSE 'aucun' END],
       count(*)
FROM h LEFT JOIN balances b ON b.household_id = h.id
WHERE h.exited
GROUP BY 1
UNION ALL
SELECT v.path, v.n
FROM (
    SELECT count(*) FILTER (WHERE COALESCE(b.balance, 0) <= 0) AS up_to_date,
           count(*) FILTER (WHERE b.balance > 0) AS in_debt,
           COALESCE(sum(b.balance) FILTER (WHERE b.balance > 0), 0) AS debt
    FROM h LEFT JOIN balances b ON b.household_id = h.id
    WHERE h.present_at_end
) AS t
CROSS JOIN LATERAL (VALUES
    (ARRAY['rent', 'households_up_to_date_at_end'], t.up_to_date),
    (ARRAY['rent', 'households_in_debt_at_end'], t.in_debt),
    (ARRAY['rent', 'debt_at_end'], t.debt)
) AS v(path, n)
UNION ALL
-- Each kind's amount, less the annulations of entries of that kind (on their own dates).
SELECT ARRAY['rent', COALESCE(reversed_kind, kind)::text],
       sum(CASE WHEN kind = 'annulation' THEN -1 ELSE 1 END * (debit + credit))
FROM e WHERE date BETWEEN %(start)s AND %(end)s
GROUP BY 1
UNION ALL
SELECT v.path, v.n
FROM (
    SELECT
        (SELECT count(*) FROM tenancy_repaymentplan rp
         JOIN tenancy_subleasecontract c ON c.id = rp.contract_id
         JOIN h ON h.id = c.household_id
         WHERE rp.organisation_id = %(organisation)s
           AND rp.signed_on BETWEEN %(start)s AND %(end)s) AS plans,
        (SELECT count(*) FROM support_supportcontract sc
         JOIN h ON h.id = sc.household_id
         WHERE sc.organisation_id = %(organisation)s
           AND sc.signed_on BETWEEN %(start)s AND %(end)s) AS contracts,
        (SELECT count(*) FROM support_supportamendment sa
         JOIN support_supportcontract sc ON sc.id = sa.contract_id
         JOIN h ON h.id = sc.household_id
         WHERE sa.organisation_id = %(organisation)s
           AND sa.signed_on BETWEEN %(start)s AND %(end)s) AS amendments,
        (SELECT count(DISTINCT household_id) FROM i) AS with_interaction,
        (SELECT count(DISTINCT wp.person_id) FROM support_workshopparticipant wp
         JOIN support_workshop w ON w.id = wp.workshop_id
         JOIN households_person p ON p.id = wp.person_id
         JOIN h ON h.id = p.household_id
         WHERE wp.organisation_id = %(organisation)s
           AND w.date BETWEEN %(start)s AND %(end)s) AS participants
) AS t
CROSS JOIN LATERAL (VALUES
    (ARRAY['rent', 'repayment_plans_opened'], t.plans),
    (ARRAY['support', 'contracts_signed'], t.contracts),
    (ARRAY['support', 'amendments_signed'], t.amendments),
    (ARRAY['support', 'households_with_interaction'], t.with_interaction),
    (ARRAY['support', 'workshop_participants'], t.participants)
) AS v(path, n)
UNION ALL
SELECT ARRAY['support', 'interactions_by_type', kind::text], count(*) FROM i GROUP BY kind
UNION ALL
SELECT ARRAY['support', 'interactions_by_domain', domain.code::text], count(DISTINCT i.id)
FROM i CROSS JOIN LATERAL UNNEST(i.domains) AS domain(code)
GROUP BY domain.code
"""

STATEMENTS = (PEOPLE_SQL, HOUSING_SQL, MONEY_SQL)
COUNTS = ("present_at_start", "entered", "exited", "present_at_end", "accompanied")
CELLS = ("households", "children", "reinforced")
DESTINATION_CELLS = ("households", "bail_glissant", "reinforced")
# Text, not figures: left out of the floor and of ``flatten``.
SKIPPED = ("period", "dispositif")


def report_floor(dispositif, start: datetime.date, end: datetime.date) -> dict:
    """The figures of ``compute_report(dispositif, start, end)`` from plain SQL, in the same
    nested form but for the period and the dispositif's code (text, not figures)."""
    if end < start:
        raise ValueError("La fin de la période précède son début.")
    brackets = age_bracket_labels(dispositif)
    params = {
        "organisation": dispositif.organisation_id,
        "dispositif": dispositif.pk,
        "start": start,
        "end": end,
        "day_before": start - datetime.timedelta(days=1),
        "after_end": end + datetime.timedelta(days=1),
        "labels": [label for label, _low, _high in brackets],
        "lows": [low for _label, low, _high in brackets],
        "highs": [high for _label, _low, high in brackets],
    }
    found: dict[tuple[str, ...], Decimal] = {}
    with connection.cursor() as cursor:
        for sql in STATEMENTS:
            cursor.execute(sql, params)
            found.update((tuple(path), value) for path, value in cursor.fetchall())
    return _layout(found, dispositif, brackets, start, end)


# --- Layout: the JSON form's keys around the numbers ------------------------------------------


def _layout(found: dict, dispositif, brackets, start: datetime.date, end: datetime.date) -> dict:
    """The JSON form around ``found`` ({path: number} from the statements): fixed code lists
    filled with zeros, money and rates rounded by the report's own helpers."""
    under: dict[tuple[str, ...], dict[str, Decimal]] = defaultdict(dict)
    for path, value in found.items():
        under[path[:-1]][path[-1]] = value

    def count(*path: str) -> int:
        return int(found.get(path, 0))

    def fixed(codes, *path: str, unknown: bool = True) -> dict:
        rows = under.get(path, {})
        keys = (*codes, UNKNOWN) if unknown else tuple(codes)
        return {code: int(rows.get(code, 0)) for code in keys}

    def open_ended(*path: str) -> dict:
        rows = under.get(path, {})
        result = {key: int(rows[key]) for key in sorted(rows) if key != UNKNOWN and rows[key] > 0}
        result[UNKNOWN] = int(rows.get(UNKNOWN, 0))
        return result

    def group(name: str, buckets: tuple[str, ...]) -> dict:
        figures = {
            key: count(name, key)
            for key in ("households", "persons", "adults", "children", "children_of_age")
        }
        figures["reinforced"] = count(name, "reinforced")
        figures["typology"] = {
            code: {cell: count(name, "typology", code, cell) for cell in CELLS}
            for code in (*TYPOLOGIES, UNKNOWN)
        }
        figures["protection_status"] = fixed(ProtectionStatus.values, name, "protection_status")
        figures["age_brackets"] = {
            label: count(name, "age_brackets", label) for label, _low, _high in brackets
        }
        figures["resources"] = open_ended(name, "resources")
        figures["prior_situation"] = fixed(PriorSituation.values, name, "prior_situation")
        if buckets:
            stay: dict = {bucket: count(name, "stay_length", bucket) for bucket in buckets}
            households = figures["households"]
            total_days = found.get((name, "stay_length", "days"), 0)
            stay["average_months"] = (
                rate(Fraction(total_days) / DAYS_PER_MONTH / households) if households else None
            )
            figures["stay_length"] = stay
        return figures

    entries = group("entries", ())
    entries["orienting_structures"] = open_ended("entries", "orienting_structures")
    exits = group("exits", EXIT_STAY_BUCKETS)
    exits["destinations"] = {
        code: {cell: count("exits", "destinations", code, cell) for cell in DESTINATION_CELLS}
        for code in (*ExitDestination.values, UNKNOWN)
    }
    categories = dict.fromkeys((*DestinationCategory.values, UNKNOWN), 0)
    for code, cell in exits["destinations"].items():
        categories[DESTINATION_CATEGORY.get(code, UNKNOWN)] += cell["households"]
    exits["destination_categories"] = categories
    exits["exit_support"] = fixed(ExitSupport.values, "exits", "exit_support", unknown=False)
    exits["sinistralite"] = fixed(SINISTRALITE, "exits", "sinistralite", unknown=False)

    units = count("housing", "units_at_end")
    occupied = count("housing", "occupied_units_at_end")
    housing = {
        "units_at_end": units,
        "places_at_end": count("housing", "places_at_end"),
        "units_by_typology_at_end": fixed(
            Typology.values, "housing", "units_by_typology_at_end", unknown=False
        ),
        "rooms_at_end": count("housing", "rooms_at_end"),
        "captured": count("housing", "captured"),
        "returned": count("housing", "returned"),
        "returned_by_reason": fixed(UnitReturnReason.values, "housing", "returned_by_reason"),
        "vacant_units_at_end": units - occupied,
        "occupied_units_at_end": occupied,
        "occupancy_rate": percent(count("stock", "occupied"), count("stock", "available")),
        "by_parc_at_end": fixed(Parc.values, "housing", "by_parc_at_end", unknown=False),
        "by_sector_at_end": open_ended("housing", "by_sector_at_end"),
    }

    support = {
        "contracts_signed": count("support", "contracts_signed"),
        "amendments_signed": count("support", "amendments_signed"),
        "interactions_by_type": fixed(
            InteractionType.values, "support", "interactions_by_type", unknown=False
        ),
        "interactions_by_domain": fixed(
            SupportDomain.values, "support", "interactions_by_domain", unknown=False
        ),
        "households_with_interaction": count("support", "households_with_interaction"),
        "workshop_participants": count("support", "workshop_participants"),
        "employment": fixed(Employment.values, "support", "employment"),
    }

    called, paid = (found.get(("rent", kind), 0) for kind in ("appel", "paiement"))
    caf, aids = (found.get(("rent", kind), 0) for kind in ("apl", "aide"))
    rent = {
        "called": money(called),
        "paid_by_household": money(paid),
        "paid_by_caf": money(caf),
        "paid_by_aids": money(aids),
        "collection_rate": percent(paid + caf + aids, called),
        "households_up_to_date_at_end": count("rent", "households_up_to_date_at_end"),
        "households_in_debt_at_end": count("rent", "households_in_debt_at_end"),
        "debt_at_end": money(found.get(("rent", "debt_at_end"), 0)),
        "repayment_plans_opened": count("rent", "repayment_plans_opened"),
    }

    average = round_half_away(Fraction(count("stock", "unit_days"), (end - start).days + 1), 1)
    ceiling = funding_ceiling(dispositif)
    figures = {
        "households": {key: count("households", key) for key in COUNTS},
        "persons": {key: count("persons", key) for key in COUNTS},
        "present_at_end": group("present_at_end", PRESENT_STAY_BUCKETS),
        "entries": entries,
        "exits": exits,
        "orientations": {
            "received": count("orientations", "received"),
            "admitted": count("orientations", "admitted"),
            "withdrawn": fixed(WithdrawalReason.values, "orientations", "withdrawn"),
            "pending_at_end": count("orientations", "pending_at_end"),
        },
        "housing": housing,
        "nationalities": open_ended("nationalities"),
        "sex": fixed(Sex.values, "sex", unknown=False),
        "support": support,
        "rent": rent,
        "funding": {
            "average_units": float(average),
            "ceiling_per_unit": money(ceiling),
            "theoretical": money(average * ceiling),
        },
    }
    figures["quality"] = {
        "gaps": sum(int(value) for value in under.get(("gaps",), {}).values()),
        "checks": balance_checks(figures),
    }
    return figures


def flatten(figures: dict) -> dict:
    """``{"path.to.figure": value}`` of a report's figures (``compute_report``'s or
    ``report_floor``'s): numbers only, money as ``Decimal``; the period and the dispositif's
    code left out."""
    flat: dict = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}", item)
        else:
            flat[prefix] = Decimal(value) if isinstance(value, str) else value

    for key, value in figures.items():
        if key not in SKIPPED:
            walk(key, value)
    return flat
