-- The journal as a Merkle tree. Same tables as the PostgreSQL migration, in
-- SQLite's types; see there for the contract. SQLite has one writer at a
-- time, so entry ids are given in commit order and the sequencer continues
-- after the last entry id integrated: no transaction id is needed.

CREATE TABLE audit_leaves (
    leaf_index INTEGER PRIMARY KEY CHECK (leaf_index >= 0),
    entry_id   INTEGER NOT NULL UNIQUE,
    leaf_hash  BLOB NOT NULL CHECK (length(leaf_hash) = 32)
);

CREATE TABLE audit_tree_nodes (
    level      INTEGER NOT NULL CHECK (level BETWEEN 1 AND 63),
    node_index INTEGER NOT NULL CHECK (node_index >= 0),
    hash       BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, node_index)
);

CREATE TABLE audit_checkpoints (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tree_size     INTEGER NOT NULL CHECK (tree_size >= 0),
    root_hash     BLOB NOT NULL CHECK (length(root_hash) = 32),
    last_xid      INTEGER NOT NULL,
    last_entry_id INTEGER NOT NULL,
    note          TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX audit_checkpoints_size ON audit_checkpoints (tree_size, id);

CREATE TRIGGER audit_leaves_no_update BEFORE UPDATE ON audit_leaves
BEGIN SELECT RAISE(ABORT, 'audit_leaves is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_leaves_no_delete BEFORE DELETE ON audit_leaves
BEGIN SELECT RAISE(ABORT, 'audit_leaves is append-only: DELETE refused'); END;
CREATE TRIGGER audit_tree_nodes_no_update BEFORE UPDATE ON audit_tree_nodes
BEGIN SELECT RAISE(ABORT, 'audit_tree_nodes is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_tree_nodes_no_delete BEFORE DELETE ON audit_tree_nodes
BEGIN SELECT RAISE(ABORT, 'audit_tree_nodes is append-only: DELETE refused'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: DELETE refused'); END;

-- The checkpoint signing key: keyring purpose 'journal', Ed25519 only.
-- SQLite cannot change a CHECK constraint: the table is rebuilt.
CREATE TABLE signing_keys_new (
    kid          TEXT PRIMARY KEY CHECK (length(kid) = 43 AND kid NOT GLOB '*[^A-Za-z0-9_-]*'),
    purpose      TEXT NOT NULL,
    alg          TEXT NOT NULL,
    generation   INTEGER NOT NULL CHECK (generation >= 1),
    private_key  BLOB NOT NULL CHECK (length(private_key) > 28),
    public_jwk   TEXT NOT NULL CHECK (json_valid(public_jwk) AND json_extract(public_jwk, '$.d') IS NULL),
    created_at   TIMESTAMP NOT NULL,
    activated_at TIMESTAMP NOT NULL,
    retired_at   TIMESTAMP,
    CHECK ((purpose = 'oidc' AND alg IN ('ES256', 'RS256'))
        OR (purpose = 'mandate' AND alg IN ('ES256', 'EdDSA'))
        OR (purpose = 'journal' AND alg = 'EdDSA')),
    UNIQUE (purpose, alg, generation)
);
INSERT INTO signing_keys_new SELECT kid, purpose, alg, generation, private_key, public_jwk, created_at, activated_at, retired_at
    FROM signing_keys;
DROP TABLE signing_keys;
ALTER TABLE signing_keys_new RENAME TO signing_keys;
