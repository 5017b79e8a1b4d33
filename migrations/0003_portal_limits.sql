-- Registration and password-reset emails are limited per address and window: count them by recipient
-- (addresses match in any letter case, as contacts' do).
CREATE INDEX outbox_by_recipient ON outbox(to_address COLLATE NOCASE, kind, created_at);
