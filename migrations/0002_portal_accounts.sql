-- Self-registration: the password a visitor chose waits with the confirmation link (hashed, like every
-- password) until the link sent to that address is opened, so nobody can claim someone else's email.
ALTER TABLE account_tokens ADD COLUMN password_hash TEXT;
