package audit

// Acts of managers and operators reading the journal (issue 11): an export
// takes the organisation's acts out of Procura, so it is itself an act;
// Details holds the filter (ids and dates, never a name typed to search).
const (
	ActionJournalExported Action = "audit.journal_exported"
)
