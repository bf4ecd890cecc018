-- 0007_directory.sql - directory (LDAP / Active Directory) accounts: where an account's password
-- is checked, and the e-mail address the directory gives. Directory accounts have no local
-- password ('!' in password_hash matches none).
ALTER TABLE users ADD COLUMN auth_source TEXT NOT NULL DEFAULT 'local'
    CHECK (auth_source IN ('local', 'ldap'));
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
