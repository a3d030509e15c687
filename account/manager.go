package account

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"procura/audit"
	"procura/db"
	"procura/problem"
	"procura/usager"
)

// Manager is an account acting as manager (responsable de structure) of
// one organisation. Every act of the manager space takes one, and checks
// it here, in the domain: a manager acts only on their organisation's
// team, whatever a request forges.
type Manager struct {
	AccountID      string
	OrganisationID string
}

func (m Manager) actor() Actor { return Actor{Kind: audit.ActorManager, ID: m.AccountID} }

// Refusals of the manager space.
var (
	ErrNotManager = problem.New(problem.Forbidden,
		"Cette page est réservée aux responsables de structure de votre organisation actuelle.")
	ErrLastManager = problem.New(problem.Conflict,
		"Votre organisation doit garder au moins un responsable de structure actif : désignez d'abord un autre responsable.")
	ErrSelf = problem.New(problem.Conflict,
		"Vous ne pouvez pas faire cette action sur votre propre compte : demandez-le à un autre responsable.")
	ErrNotAidantHere = problem.New(problem.Conflict,
		"Ce compte n'a pas le rôle d'aidant dans votre organisation : donnez-lui d'abord ce rôle.")
)

// CheckManager says whether m.AccountID is an active manager of
// m.OrganisationID; ErrNotManager otherwise.
func (d *Directory) CheckManager(ctx context.Context, m Manager) error {
	if !db.IsUUID(m.AccountID) {
		return ErrNotManager
	}
	if !db.IsUUID(m.OrganisationID) {
		return ErrNotManager
	}
	var n int64
	err := d.db.Conn(ctx).Raw(`SELECT COUNT(*) FROM memberships m JOIN accounts a ON a.id = m.account_id
		WHERE m.account_id = ? AND m.organisation_id = ? AND m.role = 'manager' AND a.active`, m.AccountID, m.OrganisationID).Scan(&n).Error
	if err != nil {
		return fmt.Errorf("account: check manager: %w", err)
	}
	if n == 0 {
		return ErrNotManager
	}
	return nil
}

// TeamMember is an account of an organisation's team, as its managers see
// it.
type TeamMember struct {
	Account
	Roles []Role
	// CardSerial is the serial of the TOTP card linked to the account.
	CardSerial string
}

// Has reports whether the member holds role in the organisation.
func (t TeamMember) Has(role Role) bool { return slices.Contains(t.Roles, role) }

// Status is the member's situation in one word, for lists and filters:
// invited, deactivated, not_habilitated, expiring (habilitation ends
// within 30 days), habilitated; a manager who is not an aidant is
// "manager".
func (t TeamMember) Status(now time.Time) string {
	switch {
	case t.Pending:
		return "invited"
	case !t.Active:
		return "deactivated"
	case !t.Has(RoleAidant):
		return "manager"
	case !t.Habilitated(now):
		return "not_habilitated"
	case t.HabilitatedUntil.Before(now.AddDate(0, 0, 30)):
		return "expiring"
	}
	return "habilitated"
}

// TeamFilter narrows the team list: Query matches a part of the name or of
// the email (case and accents ignored); Status one of TeamMember.Status's words.
type TeamFilter struct {
	Query  string
	Status string
}

// Team lists the members of m's organisation, by family name. A team is
// tens of people: it is read whole and filtered here.
func (d *Directory) Team(ctx context.Context, m Manager, f TeamFilter) ([]TeamMember, error) {
	if err := d.CheckManager(ctx, m); err != nil {
		return nil, err
	}
	all, err := d.team(ctx, m.OrganisationID, "")
	if err != nil {
		return nil, err
	}
	// The same folding as the usagers' search (accents, case, apostrophes).
	q := usager.SearchKey(f.Query)
	now := d.now()
	var out []TeamMember
	for _, t := range all {
		if q != "" && !strings.Contains(usager.SearchKey(t.Name()+" "+t.FamilyName+" "+t.GivenName+" "+t.Email), q) {
			continue
		}
		if f.Status != "" && t.Status(now) != f.Status {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// team reads the members of an organisation (only accountID when not
// empty), with their roles and cards: three queries whatever its size.
func (d *Directory) team(ctx context.Context, organisationID, accountID string) ([]TeamMember, error) {
	conn := d.db.Conn(ctx)
	var ms []membershipRow
	q := conn.Where("organisation_id = ?", organisationID)
	if accountID != "" {
		q = q.Where("account_id = ?", accountID)
	}
	if err := q.Order("role").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("account: team: %w", err)
	}
	if len(ms) == 0 {
		return nil, nil
	}
	roles := map[string][]Role{}
	var ids []string
	for _, m := range ms {
		if _, ok := roles[m.AccountID]; !ok {
			ids = append(ids, m.AccountID)
		}
		roles[m.AccountID] = append(roles[m.AccountID], Role(m.Role))
	}
	var rows []accountRow
	if err := conn.Where("id IN ?", ids).Order("family_name, given_name, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("account: team accounts: %w", err)
	}
	var cards []cardRow
	if err := conn.Select("serial, account_id").Where("account_id IN ?", ids).Find(&cards).Error; err != nil {
		return nil, fmt.Errorf("account: team cards: %w", err)
	}
	out := make([]TeamMember, 0, len(rows))
	for _, r := range rows {
		t := TeamMember{Account: r.account(), Roles: roles[r.ID]}
		for _, c := range cards {
			if c.AccountID != nil && *c.AccountID == r.ID {
				t.CardSerial = c.Serial
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// Member returns one member of m's organisation. An account that is not
// a member (another organisation's, a forged id) is ErrAccountNotFound,
// and when it exists the attempt is recorded as a cross-organisation one.
func (d *Directory) Member(ctx context.Context, m Manager, accountID string) (TeamMember, error) {
	if err := d.CheckManager(ctx, m); err != nil {
		return TeamMember{}, err
	}
	if !db.IsUUID(accountID) {
		return TeamMember{}, ErrAccountNotFound
	}
	ts, err := d.team(ctx, m.OrganisationID, accountID)
	if err != nil {
		return TeamMember{}, err
	}
	if len(ts) == 1 {
		return ts[0], nil
	}
	if _, err := d.Account(ctx, accountID); errors.Is(err, ErrAccountNotFound) {
		return TeamMember{}, ErrAccountNotFound
	} else if err != nil {
		return TeamMember{}, err
	}
	if err := d.RecordCrossOrganisation(ctx, m, "account", accountID); err != nil {
		return TeamMember{}, err
	}
	return TeamMember{}, ErrAccountNotFound
}

// RecordCrossOrganisation records, in its own transaction, that m tried to
// reach something (kind: account, invitation, card) of another
// organisation.
func (d *Directory) RecordCrossOrganisation(ctx context.Context, m Manager, kind, id string) error {
	return d.db.InTx(ctx, func(ctx context.Context) error {
		return d.journal.Record(ctx, audit.Entry{Action: audit.ActionCrossOrganisationRefused, ActorKind: audit.ActorManager,
			ActorID: m.AccountID, OrganisationID: m.OrganisationID, Details: map[string]string{"attempt": "manager_" + kind, kind: id}})
	})
}

// TeamCounts are the dashboard's figures about aidants.
type TeamCounts struct {
	Active, Expiring, NotHabilitated, Deactivated, Invited int
}

// CountTeam counts the aidants of m's organisation by situation.
func (d *Directory) CountTeam(ctx context.Context, m Manager) (TeamCounts, error) {
	ts, err := d.Team(ctx, m, TeamFilter{})
	if err != nil {
		return TeamCounts{}, err
	}
	var c TeamCounts
	now := d.now()
	for _, t := range ts {
		switch t.Status(now) {
		case "invited":
			c.Invited++
		case "deactivated":
			c.Deactivated++
		case "not_habilitated":
			c.NotHabilitated++
		case "expiring":
			c.Expiring++
			c.Active++
		case "habilitated":
			c.Active++
		}
	}
	return c, nil
}

// lockOrganisation serialises the acts that count an organisation's
// managers (the last-manager rule), in ctx's transaction. SQLite has one
// writer at a time already.
func (d *Directory) lockOrganisation(ctx context.Context, organisationID string) error {
	if d.db.Dialect != db.Postgres {
		return nil
	}
	if err := d.db.Conn(ctx).Exec("SELECT id FROM organisations WHERE id = ? FOR UPDATE", organisationID).Error; err != nil {
		return fmt.Errorf("account: lock organisation: %w", err)
	}
	return nil
}

// checkKeepsAManager refuses, in ctx's transaction, an act after which
// the organisation would have no active manager but accountID.
func (d *Directory) checkKeepsAManager(ctx context.Context, organisationID, accountID string) error {
	if err := d.lockOrganisation(ctx, organisationID); err != nil {
		return err
	}
	var n int64
	err := d.db.Conn(ctx).Raw(`SELECT COUNT(*) FROM memberships m JOIN accounts a ON a.id = m.account_id
		WHERE m.organisation_id = ? AND m.role = 'manager' AND a.active AND a.password_hash <> '' AND m.account_id <> ?`,
		organisationID, accountID).Scan(&n).Error
	if err != nil {
		return fmt.Errorf("account: count managers: %w", err)
	}
	if n == 0 {
		return ErrLastManager
	}
	return nil
}
