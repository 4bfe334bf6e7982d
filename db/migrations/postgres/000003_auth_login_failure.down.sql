DROP TABLE IF EXISTS auth_login_failure;
