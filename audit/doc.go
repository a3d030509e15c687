// Package audit is Procura's journal: every act (state change, sign-in,
// delegated login) is one entry, written in the same transaction as the act
// it records. Entries name people only by pseudonymous ids, never by name or
// email, so that personal data may be purged while the journal stays whole.
//
// The journal is evidence, the way Certificate Transparency logs are
// (DESIGN.md §6):
//
//   - Record writes one entry with ONE INSERT in the act's transaction, and
//     refuses to write outside a transaction: the act and its entry commit
//     together, or neither does. The database refuses UPDATE, DELETE and
//     TRUNCATE on the journal's tables (triggers; the application role has
//     only INSERT and SELECT on them: README, "Database roles").
//   - A Sequencer integrates committed entries, in batches, as leaves of an
//     RFC 6962 Merkle tree (leaf.go: the leaf is the hash of the entry's
//     canonical encoding) and signs a C2SP tlog-checkpoint after each batch
//     (checkpoint.go), with the keyring's "journal" key.
//   - Inclusion proofs (receipts, receipt.go) and consistency proofs are
//     served from the stored tree; Verify recomputes every leaf and root from
//     the entries and checks every stored checkpoint (verify.go).
//
// # Sequencing across out-of-order commits
//
// Entry ids come from a sequence when the INSERT runs, but transactions
// commit in another order: entry 7 may become visible before entry 6, or
// after the sequencer has already integrated entry 8. Integrating "every id
// above the last one integrated" would skip entry 6 forever; integrating
// "every entry not yet integrated" needs an anti-join over the whole journal
// at every batch, and still cannot tell which order the tree should have.
//
// On PostgreSQL every entry carries the id of the transaction that wrote it
// (column xid, DEFAULT pg_current_xact_id(): no extra statement on the
// act's path; a BRIN index, nearly free to maintain, finds the new ones). A batch takes a snapshot and, among the
// transactions it saw running, the oldest that still runs in this database
// (pg_locks and pg_stat_activity; the snapshot's xmax when there is none):
// every transaction below that horizon that could write this journal has
// ended, so the entries it wrote are visible now or never will be (rolled
// back). Transactions of other databases of the cluster cannot write this
// journal and hold nothing back. The sequencer integrates, in (xid, id) order, the entries after
// its last position (stored with each checkpoint) and below that horizon. An
// entry of a transaction still running has xid >= xmin and waits for a later
// batch; an entry integrated has a position at or below the stored one and
// is never selected again. So no entry is skipped nor integrated twice,
// without a grace period to guess. The tree's order is thus (xid, id), close
// to the order acts began, not exactly the order of ids; a receipt names
// both the entry id and its leaf index. The price: a transaction that has
// written (it holds a transaction id) and stays open in Procura's database
// holds integration back until it ends (entries are safe meanwhile, only
// their checkpoint waits), so keep such transactions short; read-only
// transactions (reports, pg_dump) hold nothing back. `procura audit verify` counts the entries
// still waiting.
//
// On SQLite one transaction writes at a time, so ids are given in commit
// order, and the sequencer takes the ids above the last one integrated.
//
// One sequencer integrates at a time: on PostgreSQL it holds an advisory
// lock for the length of a batch's transaction (instances that do not get
// it skip their turn); on SQLite a single process writes. A batch is one
// transaction (leaves, tree nodes, checkpoint), so a sequencer killed in the
// middle leaves nothing behind and the next batch starts again from the
// latest checkpoint.
package audit

// Tables are the journal's tables: the application may only SELECT and
// INSERT on them (db.GrantAppRole, `procura admin db-roles`).
func Tables() []string {
	return []string{"audit_entries", "audit_leaves", "audit_tree_nodes", "audit_checkpoints"}
}
