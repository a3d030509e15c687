// Package oversight is the manager's audit of their organisation's acts
// (DESIGN.md §2, Manager journey 3): the journal filtered and paged, its
// CSV export, its statistics. It reads the journal through audit's queries,
// always scoped to the manager's organisation, and the names of people and
// services from the packages that own them (account, usager, authz): the
// journal itself holds only ids.
//
// A filter naming an aidant or a usager that the organisation's journal
// does not know returns nothing; when that aidant or usager exists
// elsewhere, the attempt is recorded as a cross-organisation one.
package oversight

import (
	"context"
	"time"

	"procura/account"
	"procura/audit"
	"procura/authz"
	"procura/db"
	"procura/mandate"
	"procura/usager"
)

// Team is what oversight needs of the directory.
type Team interface {
	CheckManager(ctx context.Context, m account.Manager) error
	Team(ctx context.Context, m account.Manager, f account.TeamFilter) ([]account.TeamMember, error)
	Account(ctx context.Context, id string) (account.Account, error)
	RecordCrossOrganisation(ctx context.Context, m account.Manager, kind, id string) error
}

// Usagers is what oversight needs of the usager registry.
type Usagers interface {
	Exists(ctx context.Context, id string) (bool, error)
	Names(ctx context.Context, ids []string, search string) ([]usager.Named, error)
}

// OrganisationUsagers finds an organisation's usagers by name (mandate's
// registry knows who gave the organisation a mandate).
type OrganisationUsagers interface {
	UsagersOf(ctx context.Context, organisationID string, l mandate.Listing) ([]mandate.UsagerMandates, error)
}

// Services lists the registered services (authz's store).
type Services interface {
	ListClients(ctx context.Context) ([]*authz.Client, error)
}

var (
	_ Team                = (*account.Directory)(nil)
	_ Usagers             = (*usager.Registry)(nil)
	_ OrganisationUsagers = (*mandate.Registry)(nil)
	_ Services            = (*authz.Store)(nil)
)

// Service answers the manager space's journal, export and statistics.
type Service struct {
	db       *db.DB
	journal  *audit.Journal
	team     Team
	usagers  Usagers
	orgUsers OrganisationUsagers
	services Services
	now      func() time.Time
	paris    *time.Location
}

// New returns the oversight service; paris is the time zone dates are
// shown and filtered in (mandate.Paris).
func New(d *db.DB, j *audit.Journal, team Team, usagers Usagers, orgUsers OrganisationUsagers, services Services,
	paris *time.Location, now func() time.Time) *Service {
	return &Service{db: d, journal: j, team: team, usagers: usagers, orgUsers: orgUsers, services: services, now: now, paris: paris}
}
