-- PostgreSQL only: the application role's grant on `audit_subject` (0022 there). SQLite has no
-- roles. Kept so both backends have the same migration numbers.
SELECT 1;
