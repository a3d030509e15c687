-- The journal sequencer finds new entries through the BRIN index on xid
-- (0009). A BRIN index knows only the page ranges it has summarized; every
-- range inserted since the last VACUUM is unsummarized and read whole by
-- each of the sequencer's queries. Autovacuum's insert threshold on a big
-- journal is millions of rows, so the sequencer read millions of rows per
-- batch (10.6 s per batch at 10 M entries, BENCHMARKS.md). autosummarize
-- asks autovacuum to summarize each range as soon as it is full; the ranges
-- left unsummarized are summarized now, once.
ALTER INDEX audit_entries_sequence SET (autosummarize = on);
SELECT brin_summarize_new_values('audit_entries_sequence');
