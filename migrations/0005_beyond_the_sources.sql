-- Beyond the sources (portal-rules.md section 10): contacts associated with companies besides their
-- primary one, their language and custom properties, and contacts copied (CC'd) on tickets. Every new
-- column and table is empty for an existing workspace, which therefore means what it meant before.
ALTER TABLE contacts ADD COLUMN language TEXT;
ALTER TABLE contacts ADD COLUMN properties TEXT NOT NULL DEFAULT '{}';

CREATE TABLE contact_companies (
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (contact_id, company_id)
) WITHOUT ROWID;
CREATE INDEX contact_companies_by_company ON contact_companies(company_id, contact_id);

CREATE TABLE ticket_cc (
    ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX ticket_cc_by_contact ON ticket_cc(contact_id, ticket_id);

-- Names of custom contact properties that occur (company view rules are validated against them).
CREATE TABLE contact_property_names (
    name TEXT PRIMARY KEY
) WITHOUT ROWID;

-- Customers' pages read these too (migrations/0004_data_version.sql).
CREATE TRIGGER contact_companies_insert_bumps_data_version AFTER INSERT ON contact_companies
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER contact_companies_update_bumps_data_version AFTER UPDATE ON contact_companies
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER contact_companies_delete_bumps_data_version AFTER DELETE ON contact_companies
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER ticket_cc_insert_bumps_data_version AFTER INSERT ON ticket_cc
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER ticket_cc_update_bumps_data_version AFTER UPDATE ON ticket_cc
BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER ticket_cc_delete_bumps_data_version AFTER DELETE ON ticket_cc
BEGIN UPDATE data_version SET version = version + 1; END;
