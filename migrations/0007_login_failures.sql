-- Failed password sign-ins per account (the address typed, lower-cased), kept in the workspace rather
-- than in one server's memory: a lock survives a restart, holds for every server on the workspace, and
-- an administrator can lift it (Customers → Unlock). An attempt is counted before its password is
-- checked, inside a write transaction, and the row is deleted when a password is right. `locked_until`
-- is set when the count reaches the limit: until then (milliseconds since the epoch) the account is
-- refused without a check.
CREATE TABLE login_failures (
    account TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    locked_until INTEGER
);
CREATE INDEX login_failures_by_start ON login_failures(first_at);
