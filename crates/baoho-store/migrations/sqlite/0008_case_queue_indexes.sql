-- The work queue and the case lists (`Cases::list`) count and page a mission's cases by place:
-- the mission's own cases, then the rest of its jurisdiction's countries, each in deadline
-- order. These indexes serve both in deadline order and cover the list filters (status,
-- restricted), so counting 25k cases of a mission reads the index only. Measured with
-- `baoho bench cases` (docs/benchmarks.md): work-queue page p99 1,004 ms -> see there.
DROP INDEX case_mission;
CREATE INDEX case_mission ON case_file (mission_code, due_at, status, restricted);
CREATE INDEX case_country ON case_file (country, due_at, status, restricted, mission_code);
