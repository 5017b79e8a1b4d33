-- Visibility snapshots (portal-rules.md 10.6): for every contact and view, whether they may sign in, the
-- visible tickets and each one's shown thread, as one compressed record (app/snapshots.rs encodes it:
-- ticket ids once, each distinct visible set once, contacts pointing at their sets). Named snapshots are
-- kept; automatic ones (taken before a settings save, an undo, an import or a pull) are kept to the newest
-- few. The table is not among the bulk writer's tables, so importing over a workspace keeps its snapshots.
CREATE TABLE visibility_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL for an automatic snapshot.
    name TEXT UNIQUE,
    -- Why it was taken: 'named', 'settings', 'undo', 'import', 'pull'.
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    -- The settings history entry an automatic snapshot was taken before (its visibility "before").
    settings_entry INTEGER,
    contacts INTEGER NOT NULL,
    tickets INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX visibility_snapshots_by_entry ON visibility_snapshots(settings_entry);
