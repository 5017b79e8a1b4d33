-- Keys a workspace keeps for itself. `secret_fingerprint` keys the fingerprints that stand for secrets
-- in the settings history and in every change shown (HMAC-SHA256, domain::settings::secret_marker), so
-- that a history printed or shown cannot confirm a guessed secret without the workspace file. Made
-- once, at random, when the workspace is created or first opened by this version; copying the file
-- copies it, and a pull that replaces a workspace carries it over with the history.
CREATE TABLE workspace_keys (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
INSERT INTO workspace_keys (name, value) VALUES ('secret_fingerprint', randomblob(32));
