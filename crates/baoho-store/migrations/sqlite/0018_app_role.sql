-- PostgreSQL only: the owner and application roles (0018_app_role.sql there). SQLite has no
-- roles: the file's permissions are the only boundary. Kept so both backends have the same
-- migration numbers.
SELECT 1;
