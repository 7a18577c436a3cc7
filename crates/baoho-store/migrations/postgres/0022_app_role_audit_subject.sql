-- The application role's grant (0018) treats `audit_subject` (0020) like `audit`: read and
-- append only. Before, it got UPDATE and DELETE there like any other table (its append-only
-- triggers refused both, but the grant itself now says what the role may do). The 0018 grant
-- is kept as it is, renamed, and the function of that name runs it and then this rule. Run
-- `baoho db grant --app-role NAME` again after this migration, as after every migration.
ALTER FUNCTION baoho_grant_app_role(text) RENAME TO baoho_grant_app_role_0018;
REVOKE ALL ON FUNCTION baoho_grant_app_role_0018(text) FROM PUBLIC;

CREATE FUNCTION baoho_grant_app_role(app_role text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Checks the name and the role's attributes, and grants everything else.
    PERFORM baoho_grant_app_role_0018(app_role);
    -- The index of the persons each audit row names: read and append only; the insert into
    -- `audit` fills it through a trigger that runs as this role.
    EXECUTE format('REVOKE ALL ON audit_subject FROM %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT ON audit_subject TO %I', app_role);
END;
$$;

REVOKE ALL ON FUNCTION baoho_grant_app_role(text) FROM PUBLIC;
REVOKE TRIGGER, REFERENCES ON audit_subject FROM PUBLIC;
