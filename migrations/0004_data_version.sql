-- What a portal server keeps in memory (verified sessions with their customers, customers' ticket
-- reads) depends on these tables. Every change to them bumps `data_version.version`, which a server reads
-- once per refresh interval: while it does not move, nothing cached needs re-reading, however many
-- customers are signed in; when it moves, the caches re-read in the background. Triggers catch every
-- writer (other servers, the CLI, the desktop app) without each write having to remember. Bulk writes
-- drop them while writing and bump the version once at the end (storage/bulk.rs).
CREATE TABLE data_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 0);

CREATE TRIGGER tickets_insert_bumps_data_version AFTER INSERT ON tickets
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER tickets_update_bumps_data_version AFTER UPDATE ON tickets
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER tickets_delete_bumps_data_version AFTER DELETE ON tickets
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER ticket_contacts_insert_bumps_data_version AFTER INSERT ON ticket_contacts
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER ticket_contacts_update_bumps_data_version AFTER UPDATE ON ticket_contacts
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER ticket_contacts_delete_bumps_data_version AFTER DELETE ON ticket_contacts
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER ticket_companies_insert_bumps_data_version AFTER INSERT ON ticket_companies
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER ticket_companies_update_bumps_data_version AFTER UPDATE ON ticket_companies
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER ticket_companies_delete_bumps_data_version AFTER DELETE ON ticket_companies
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER contacts_insert_bumps_data_version AFTER INSERT ON contacts
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER contacts_update_bumps_data_version AFTER UPDATE ON contacts
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER contacts_delete_bumps_data_version AFTER DELETE ON contacts
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER companies_insert_bumps_data_version AFTER INSERT ON companies
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER companies_update_bumps_data_version AFTER UPDATE ON companies
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER companies_delete_bumps_data_version AFTER DELETE ON companies
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER list_memberships_insert_bumps_data_version AFTER INSERT ON list_memberships
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER list_memberships_update_bumps_data_version AFTER UPDATE ON list_memberships
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER list_memberships_delete_bumps_data_version AFTER DELETE ON list_memberships
BEGIN UPDATE data_version SET version = version + 1; END;

-- A session's own activity (last_seen_at moving forward) is not a change anyone else must see.
CREATE TRIGGER sessions_delete_bumps_data_version AFTER DELETE ON sessions
BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER sessions_update_bumps_data_version AFTER UPDATE ON sessions
WHEN NEW.last_seen_at < OLD.last_seen_at OR NEW.contact_id IS NOT OLD.contact_id
    OR NEW.csrf_token IS NOT OLD.csrf_token
BEGIN UPDATE data_version SET version = version + 1; END;
