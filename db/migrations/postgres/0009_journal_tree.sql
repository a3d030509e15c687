-- The journal as a Merkle tree (package audit, DESIGN.md §6): each entry is
-- integrated once by the sequencer as a leaf of an RFC 6962 tree, and each
-- integration batch ends with a signed checkpoint (C2SP tlog-checkpoint).

-- The transaction that wrote each entry. The sequencer integrates only
-- entries whose transaction id is below the oldest transaction still running
-- (pg_snapshot_xmin): those are final, committed or never visible. The
-- default costs no extra statement in the act's transaction. Existing rows
-- get this migration's transaction id, so they are integrated first. The
-- 64-bit xid8 is kept as a BIGINT (below 2^63 for millennia) so that a BRIN
-- index serves the sequencer: rows are appended roughly in xid order, and a
-- BRIN index costs the hot path almost nothing where a B-tree would be a
-- second index to update on every INSERT.
ALTER TABLE audit_entries ADD COLUMN xid BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX audit_entries_sequence ON audit_entries USING brin (xid);

-- One row per leaf, in tree order. leaf_hash is RFC 6962 HASH(0x00 || the
-- entry's canonical encoding); it is derived data: `procura audit verify`
-- recomputes it from audit_entries.
CREATE TABLE audit_leaves (
    leaf_index BIGINT PRIMARY KEY CHECK (leaf_index >= 0),
    entry_id   BIGINT NOT NULL UNIQUE,
    leaf_hash  BYTEA NOT NULL CHECK (length(leaf_hash) = 32)
);

-- The hashes of the tree's perfect subtrees above the leaves (level >= 1),
-- from which inclusion and consistency proofs and the tlog-tiles are served.
CREATE TABLE audit_tree_nodes (
    level      SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 63),
    node_index BIGINT NOT NULL CHECK (node_index >= 0),
    hash       BYTEA NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, node_index)
);

-- Every signed checkpoint, in the order the sequencer wrote them. last_xid
-- and last_entry_id are the position (xid, id) of the last entry integrated:
-- the sequencer continues after it.
CREATE TABLE audit_checkpoints (
    id            BIGSERIAL PRIMARY KEY,
    tree_size     BIGINT NOT NULL CHECK (tree_size >= 0),
    root_hash     BYTEA NOT NULL CHECK (length(root_hash) = 32),
    last_xid      BIGINT NOT NULL,
    last_entry_id BIGINT NOT NULL,
    note          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_checkpoints_size ON audit_checkpoints (tree_size, id);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_leaves_no_update_delete BEFORE UPDATE OR DELETE ON audit_leaves
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_leaves_no_truncate BEFORE TRUNCATE ON audit_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_tree_nodes_no_update_delete BEFORE UPDATE OR DELETE ON audit_tree_nodes
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_tree_nodes_no_truncate BEFORE TRUNCATE ON audit_tree_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- The checkpoint signing key: keyring purpose 'journal', Ed25519 only (a
-- C2SP signed note's signature type 0x01).
ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_check2;
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_purpose_alg CHECK (
    (purpose = 'oidc' AND alg IN ('ES256', 'RS256'))
    OR (purpose = 'mandate' AND alg IN ('ES256', 'EdDSA'))
    OR (purpose = 'journal' AND alg = 'EdDSA'));
