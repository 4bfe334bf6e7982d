-- SQLite has no notifications: the API does not cache users on SQLite.
SELECT 1;
