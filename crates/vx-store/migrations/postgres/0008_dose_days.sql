-- Issue 6: each person's first dose day (dose 1 or 2, the earlier) and second dose day, kept
-- on the person by the vaccination import, so that the vaccination shares of a province are
-- counted from two index-ordered scans (no join, no sort) instead of joining 1.3 million
-- people to their doses on every classification.
ALTER TABLE people ADD COLUMN first_dose_on DATE, ADD COLUMN second_dose_on DATE;
UPDATE people p SET first_dose_on = v.f, second_dose_on = v.s
FROM (SELECT person_id, MIN(day) FILTER (WHERE dose IN (1, 2)) AS f, MIN(day) FILTER (WHERE dose = 2) AS s
      FROM vaccinations GROUP BY person_id) v
WHERE p.id = v.person_id;
CREATE INDEX people_unit_first_dose ON people (unit_id, active, first_dose_on, birth_date, birth_year);
CREATE INDEX people_unit_second_dose ON people (unit_id, active, second_dose_on, birth_date, birth_year);
-- People whose birthday of 18, 50 or 65 falls inside a window, found by birth.
CREATE INDEX people_birth ON people (birth_date, birth_year);
