-- The application role's grant (0018) treats `audit_subject` (0020) like `audit`: read and
-- append only. Before, it got UPDATE and DELETE there like any table; its append-only triggers
-- refused both, but the grant itself now says what the role may do. Run
-- `baoho db grant --app-role NAME` again after this migration (as after every migration).
CREATE OR REPLACE FUNCTION baoho_grant_app_role(app_role text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r pg_roles%ROWTYPE;
BEGIN
    IF app_role !~ '^[a-z_][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'not a plain role name: %', app_role USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO r FROM pg_roles WHERE rolname = app_role;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % does not exist (CREATE ROLE % LOGIN PASSWORD ...)', app_role, app_role
            USING ERRCODE = 'undefined_object';
    END IF;
    IF app_role = current_user OR pg_has_role(app_role, current_user, 'MEMBER') THEN
        RAISE EXCEPTION 'the application role must not be (or include) the owner %', current_user
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR r.rolcreatedb THEN
        RAISE EXCEPTION 'the application role % must not be a superuser or create roles or databases', app_role
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), app_role);
    -- No DDL: no CREATE in the schema (PostgreSQL before 15 granted it to everyone).
    EXECUTE 'REVOKE CREATE ON SCHEMA public FROM PUBLIC';
    EXECUTE format('REVOKE CREATE ON SCHEMA public FROM %I', app_role);
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app_role);
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', app_role);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', app_role);
    -- The trail: read and append only.
    EXECUTE format('REVOKE ALL ON audit FROM %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT ON audit TO %I', app_role);
    -- Its index of the persons each row names (0020): read and append only as well; the insert
    -- into `audit` fills it through a trigger that runs as this role.
    EXECUTE format('REVOKE ALL ON audit_subject FROM %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT ON audit_subject TO %I', app_role);
    -- The schema version: read only (`serve --no-migrate` checks it).
    EXECUTE format('REVOKE ALL ON _sqlx_migrations FROM %I', app_role);
    EXECUTE format('GRANT SELECT ON _sqlx_migrations TO %I', app_role);
END;
$$;

REVOKE ALL ON FUNCTION baoho_grant_app_role(text) FROM PUBLIC;
REVOKE TRIGGER, REFERENCES ON audit_subject FROM PUBLIC;
