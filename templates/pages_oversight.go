package templates

// JournalRow is one act in the manager's journal, as a person reads it.
type JournalRow struct {
	ID int64
	// When is the date and time in French, Paris time.
	When, What string
	// Who acted; WhoURL is their page in the team, when they are an account.
	Who, WhoURL string
	// ForWhom is the usager; ForWhomURL filters the journal on them.
	ForWhom, ForWhomURL string
	Procedure, Service  string
	// MandateURL is the mandate's page, when the act concerns one.
	MandateURL string
	Reason     string
}

// ManagerJournalPage is the organisation's journal, filtered and paged.
type ManagerJournalPage struct {
	Layout
	Nav ManagerNav
	// Refusal explains a malformed filter (the page is then empty).
	Refusal                      string
	UsagerName, Usager, From, To string
	// UsagerLabel names the usager of Usager; WithoutUsagerURL is the same
	// filter without them.
	UsagerLabel, WithoutUsagerURL               string
	Aidants, Services, Procedures, Actions      []StatusOption
	Rows                                        []JournalRow
	NextURL, FirstURL, ExportURL, StatisticsURL string
	Filtered                                    bool
}

func (*ManagerJournalPage) Template() string { return "manager_journal.html" }

// Fact is one line of an act's detail page.
type Fact struct{ Label, Value, URL string }

// ManagerActPage shows one act of the organisation's journal.
type ManagerActPage struct {
	Layout
	Nav ManagerNav
	ID  int64
	// Facts are the act's fields in French; Details its entry's details.
	Facts, Details []Fact
	JournalURL     string
	// The act's place in the verifiable journal: Pending until the
	// sequencer integrates it; then its receipt and the latest checkpoint,
	// verified with the journal's key (ReceiptError if it does not verify).
	Pending                  bool
	ReceiptURL, ReceiptError string
	LeafIndex, TreeSize      uint64
	Checkpoint, CheckpointAt string
}

func (*ManagerActPage) Template() string { return "manager_act.html" }
