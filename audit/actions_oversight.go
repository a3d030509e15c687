package audit

// Acts of managers and operators reading the journal (issue 11): an export
// takes the organisation's acts out of Procura, so it is itself an act;
// Details holds the filter (ids and dates, never a name typed to search).
const (
	ActionJournalExported Action = "audit.journal_exported"
)

// The manager's alerts (issue 11, point 4): the maintenance loop raises an
// alert (the system acts), a manager acknowledges it or changes the
// organisation's thresholds. Details hold the alert's kind, period and id,
// or the thresholds; never a name.
const (
	ActionAlertRaised            Action = "oversight.alert_raised"
	ActionAlertAcknowledged      Action = "oversight.alert_acknowledged"
	ActionAlertThresholdsChanged Action = "oversight.alert_thresholds_changed"
)
