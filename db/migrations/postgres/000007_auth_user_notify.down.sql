DROP TRIGGER IF EXISTS djsessions_auth_user_changed ON auth_user;
DROP FUNCTION IF EXISTS djsessions_notify_auth_user();
