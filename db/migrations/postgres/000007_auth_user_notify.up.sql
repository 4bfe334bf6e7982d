-- Every change to a user (a password changed, an account deactivated or
-- deleted, here or by a Django app sharing the table) is announced on the
-- channel djsessions_auth_user with the user's id, at commit, so that the
-- API processes drop the copy of that user they keep for the session check.
CREATE OR REPLACE FUNCTION djsessions_notify_auth_user() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('djsessions_auth_user', COALESCE(NEW.id, OLD.id)::text);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS djsessions_auth_user_changed ON auth_user;
CREATE TRIGGER djsessions_auth_user_changed
    AFTER UPDATE OR DELETE ON auth_user
    FOR EACH ROW EXECUTE FUNCTION djsessions_notify_auth_user();
