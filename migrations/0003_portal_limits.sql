-- Registration and password-reset emails are limited per address and window: count them by recipient
-- (addresses match in any letter case, as contacts' do).
CREATE INDEX outbox_by_recipient ON outbox(to_address COLLATE NOCASE, kind, created_at);

-- Single sign-on tokens already used, until they expire, so a replayed token is refused. Only the SHA-256
-- of the issuer and token id (or of the whole token when it has no id) is kept.
CREATE TABLE sso_tokens_seen (
    key_hash TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sso_tokens_seen_by_expiry ON sso_tokens_seen(expires_at);
