package templates

// AlertView is one alert on the manager's dashboard.
type AlertView struct {
	ID          int64
	Label, Text string
	Raised      string
	// JournalURL shows the acts the alert is about, when it is about acts.
	JournalURL string
	// AcknowledgeURL is the form's action while the alert is open;
	// Acknowledged says when and by whom once taken into account.
	AcknowledgeURL, Acknowledged string
}

// AlertThresholdsForm is the alerts' thresholds on the settings page: the
// values as typed (strings, so that a refused value is shown back).
type AlertThresholdsForm struct {
	Action                        string
	VolumeFactor, VolumeFloor     string
	NightStart, NightEnd          string
	Sunday                        bool
	UsagerAidants, Refusals       string
	HabilitationDays, MandateDays string
	Error, Notice                 string
	// Changed says who changed them last and when; empty for the defaults.
	Changed string
}
