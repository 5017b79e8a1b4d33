-- The workspace: portal settings with their history, the CRM data the portal shows, and the portal's own
-- state. Ids are the bundle's string ids; rows keep their bundle order through rowid.

CREATE TABLE settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    document TEXT NOT NULL
);

CREATE TABLE settings_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    changed_at INTEGER NOT NULL,
    changed_by TEXT NOT NULL,
    summary TEXT NOT NULL,
    before_document TEXT NOT NULL,
    after_document TEXT NOT NULL,
    undoes INTEGER REFERENCES settings_history(id)
);

CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    domain TEXT
);

CREATE TABLE lists (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    company_id TEXT REFERENCES companies(id)
);
CREATE UNIQUE INDEX contacts_by_email ON contacts(email COLLATE NOCASE);
CREATE INDEX contacts_by_company ON contacts(company_id);

CREATE TABLE list_memberships (
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    list_id TEXT NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (contact_id, list_id)
) WITHOUT ROWID;
CREATE INDEX list_memberships_by_list ON list_memberships(list_id);

CREATE TABLE pipelines (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL
);

CREATE TABLE stages (
    pipeline_id TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    label TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('OPEN', 'CLOSED')),
    position INTEGER NOT NULL,
    PRIMARY KEY (pipeline_id, id)
);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    pipeline_id TEXT NOT NULL,
    stage_id TEXT NOT NULL,
    priority TEXT,
    category TEXT,
    source TEXT,
    created_at INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    properties TEXT NOT NULL DEFAULT '{}',
    FOREIGN KEY (pipeline_id, stage_id) REFERENCES stages(pipeline_id, id)
);

CREATE TABLE ticket_contacts (
    ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX ticket_contacts_by_contact ON ticket_contacts(contact_id, ticket_id);

CREATE TABLE ticket_companies (
    ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, company_id)
) WITHOUT ROWID;
CREATE INDEX ticket_companies_by_company ON ticket_companies(company_id, ticket_id);

CREATE TABLE inboxes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('conversations', 'help_desk'))
);

CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL CHECK (type IN ('EMAIL', 'CHAT', 'FB_MESSENGER', 'FORM')),
    address TEXT,
    inbox_id TEXT REFERENCES inboxes(id)
);

CREATE TABLE threads (
    id TEXT PRIMARY KEY,
    ticket_id TEXT REFERENCES tickets(id) ON DELETE SET NULL,
    channel_id TEXT NOT NULL REFERENCES channels(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX threads_by_ticket ON threads(ticket_id);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('MESSAGE', 'COMMENT')),
    direction TEXT NOT NULL CHECK (direction IN ('INCOMING', 'OUTGOING')),
    sender TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_by_thread ON messages(thread_id, position);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX attachments_by_message ON attachments(message_id);

CREATE TABLE forms (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    inbox_id TEXT REFERENCES inboxes(id),
    pipeline_id TEXT NOT NULL REFERENCES pipelines(id)
);

CREATE TABLE form_fields (
    form_id TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    ticket_property TEXT NOT NULL,
    required INTEGER NOT NULL,
    PRIMARY KEY (form_id, position)
);

CREATE TABLE kb_articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    published INTEGER NOT NULL
);

CREATE TABLE menus (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE menu_items (
    menu_id TEXT NOT NULL REFERENCES menus(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (menu_id, position)
);

-- The portal's own state.

CREATE TABLE portal_logins (
    contact_id TEXT PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_contact ON sessions(contact_id);

-- Single-use links (registration invitations and password resets); only their hash is kept.
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX account_tokens_by_contact ON account_tokens(contact_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    contact_id TEXT REFERENCES contacts(id) ON DELETE SET NULL,
    ticket_id TEXT REFERENCES tickets(id) ON DELETE SET NULL
);

-- Timeline entries for replies and form submissions made through the portal.
CREATE TABLE engagements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    message_id TEXT REFERENCES messages(id) ON DELETE SET NULL,
    summary TEXT NOT NULL
);
CREATE INDEX engagements_by_ticket ON engagements(ticket_id);
CREATE INDEX engagements_by_contact ON engagements(contact_id);

-- Names of the custom ticket properties in use, so that filters can be validated without a table scan.
CREATE TABLE ticket_property_names (
    name TEXT PRIMARY KEY
);
