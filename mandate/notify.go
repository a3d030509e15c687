package mandate

import "context"

// Change is what happened to a mandate that its usager asked to be told of
// (Mandate.NotifyUsager).
type Change string

const (
	ChangeCreated Change = "created"
	ChangeRenewed Change = "renewed"
	ChangeRevoked Change = "revoked"
	// ChangePermissionRevoked: one procedure of the mandate was revoked.
	ChangePermissionRevoked Change = "permission_revoked"
	// ChangeSuspended: the usager suspended the mandate ("Ce n'était pas
	// moi", suspend.go).
	ChangeSuspended Change = "suspended"
	// ChangeExpiring: the mandate ends soon (reminder.go).
	ChangeExpiring Change = "expiring"
)

// Notifier tells a usager who opted in of a change to their mandate, in the
// transaction of the change: its error fails the change, so that a
// committed change is always told and a rolled-back one never.
type Notifier interface {
	MandateChanged(ctx context.Context, change Change, m Mandate, procedures []string) error
}

// StructureNotifier tells the managers of a mandate's organisation that its
// usager suspended it, in the transaction of the suspension.
type StructureNotifier interface {
	MandateSuspended(ctx context.Context, m Mandate, procedures []string) error
}

// UsagerAddresses keeps what a usager asks at the signature of a mandate
// told by email: CheckAddress refuses a malformed address
// (NewMandate.NotifyEmail) with a French message; OptIn records, in the
// mandate's transaction, the address if one was given, and resumes the
// messages if the usager had stopped them.
type UsagerAddresses interface {
	CheckAddress(address string) (string, error)
	OptIn(ctx context.Context, m Mandate, address string) error
}

// WithNotifier makes r tell usagers who opted in of their mandates'
// changes through n, and returns r. When n is also a StructureNotifier,
// usagers can suspend their mandates (Suspend). Call it while wiring, before use.
func (r *Registry) WithNotifier(n Notifier) *Registry {
	r.notifier = n
	return r
}

// notify tells n of change when m's usager opted in.
func (r *Registry) notify(ctx context.Context, change Change, m Mandate, procedures []string) error {
	if r.notifier == nil || !m.NotifyUsager {
		return nil
	}
	return r.notifier.MandateChanged(ctx, change, m, procedures)
}
