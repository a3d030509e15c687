// Package mandate holds mandates and permissions and their rules: creation
// over a FranceConnect identification confirmed by the aidant's TOTP,
// Procura's signature, renewal, revocation (with the tokens issued under
// them), expiry, and the check that a permission is usable now.
package mandate

import (
	"time"
)

// Durations a mandate may be given for, in days (DESIGN.md §4).
var Durations = []Duration{
	{Days: 1, Label: "1 jour"},
	{Days: 31, Label: "1 mois (31 jours)"},
	{Days: 182, Label: "6 mois (182 jours)"},
	{Days: 365, Label: "1 an (365 jours)"},
}

// Duration is one of the durations offered.
type Duration struct {
	Days  int
	Label string
}

// DurationByDays returns the duration of that many days.
func DurationByDays(days int) (Duration, bool) {
	for _, d := range Durations {
		if d.Days == days {
			return d, true
		}
	}
	return Duration{}, false
}

// Status is where a mandate or permission stands.
type Status string

const (
	StatusActive   Status = "active"
	StatusExpired  Status = "expired"
	StatusRevoked  Status = "revoked"
	StatusReplaced Status = "replaced"
)

// Label is the status in French.
func (s Status) Label() string {
	switch s {
	case StatusActive:
		return "actif"
	case StatusExpired:
		return "expiré"
	case StatusRevoked:
		return "révoqué"
	case StatusReplaced:
		return "remplacé"
	}
	return string(s)
}

// Why a permission ended.
const (
	EndRevoked  = "revoked"
	EndReplaced = "replaced"
	EndExpired  = "expired"
)

// Mandate is a usager's agreement with an organisation, over procedures,
// for a duration.
type Mandate struct {
	ID              string
	OrganisationID  string
	UsagerID        string
	AidantID        string
	DurationDays    int
	SignedAt        time.Time
	ExpiresAt       time.Time
	TextVersion     string
	TextSHA256      string
	FCIDTokenSHA256 string
	FCJWKSSHA256    string // the archived FranceConnect key set (evidence.go); "" before the archive
	TOTPConfirmedAt time.Time
	Renews          string
	NotifyUsager    bool
	Signature       string
	RevokedAt       *time.Time
	RevokedByKind   string
	RevokedByID     string
	// RevokedReason is RevokedNotMe when the usager suspended the mandate
	// from the "Ce n'était pas moi" link of a message, "" otherwise.
	RevokedReason    string
	ExpiryRecordedAt *time.Time
	Permissions      []Permission
}

// RevokedNotMe is the reason of a mandate suspended by its usager from the
// "Ce n'était pas moi" link (suspend.go).
const RevokedNotMe = "not_me"

// Suspended reports whether the usager suspended the mandate: it is then
// revoked, like any revoked mandate, and says why.
func (m Mandate) Suspended() bool { return m.RevokedAt != nil && m.RevokedReason == RevokedNotMe }

// Permission is one procedure of a mandate, revocable on its own.
type Permission struct {
	ID             string
	MandateID      string
	OrganisationID string
	UsagerID       string
	Procedure      string
	ExpiresAt      time.Time
	EndedAt        *time.Time
	EndReason      string
	// EndedByKind and EndedByID name who revoked it (audit actor kind and id).
	EndedByKind string
	EndedByID   string
}

// Usable reports whether the permission can be used at now: not ended
// (revoked or replaced) and not expired. It is unusable from its expiry
// instant on, whether or not the expiry job has recorded it yet.
func (p Permission) Usable(now time.Time) bool {
	return p.EndedAt == nil && now.Before(p.ExpiresAt)
}

// Status of the permission at now.
func (p Permission) Status(now time.Time) Status {
	switch {
	case p.EndReason == EndRevoked:
		return StatusRevoked
	case p.EndReason == EndReplaced:
		return StatusReplaced
	case p.EndReason == EndExpired || !now.Before(p.ExpiresAt):
		return StatusExpired
	}
	return StatusActive
}

// Status of the mandate at now: revoked when revoked as a whole, expired
// from its expiry instant, active while a permission is usable; when every
// permission ended early, revoked if any was revoked, else replaced.
func (m Mandate) Status(now time.Time) Status {
	switch {
	case m.RevokedAt != nil:
		return StatusRevoked
	case !now.Before(m.ExpiresAt):
		return StatusExpired
	}
	replaced := false
	for _, p := range m.Permissions {
		switch p.Status(now) {
		case StatusActive:
			return StatusActive
		case StatusReplaced:
			replaced = true
		}
	}
	if replaced {
		return StatusReplaced
	}
	return StatusRevoked
}

// Procedures lists the procedure ids of the mandate's permissions.
func (m Mandate) Procedures() []string {
	ids := make([]string, len(m.Permissions))
	for i, p := range m.Permissions {
		ids[i] = p.Procedure
	}
	return ids
}
