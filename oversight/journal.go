package oversight

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"procura/account"
	"procura/audit"
	"procura/mandate"
	"procura/procedure"
)

// PageSize is the number of acts on one page of the journal.
const PageSize = 50

// Row is one act as a person reads it.
type Row struct {
	ID     int64
	Time   time.Time
	When   string // in French, Paris time
	Action audit.Action
	What   string
	// Who acted: a name, or what kind of actor it was; WhoAccount is set
	// when it was an account (aidant or manager) of the organisation.
	Who, WhoAccount string
	// ForWhom is the usager's name (UsagerID their pseudonym), if any.
	ForWhom, UsagerID       string
	Procedure, ProcedureID  string
	Service, ServiceID      string
	MandateID, PermissionID string
	// Reason is the refusal's reason of a refused delegated login.
	Reason string
	Entry  audit.Entry
}

// Page is a page of the organisation's journal.
type Page struct {
	Rows []Row
	// Next is the cursor of the next page (Filter.Before), 0 on the last.
	Next int64
	// Filter is the filter the page answers; Choices what it offers.
	Filter  Filter
	Choices Choices
	// UsagerName names the usager of Filter.Usager, when the organisation
	// knows them.
	UsagerName string
}

// Option is a choice offered by the journal's filter.
type Option struct{ Value, Label string }

// Choices are the values the journal's filter offers: the organisation's
// team, the registered services, the procedures, the kinds of act.
type Choices struct {
	Aidants, Services, Procedures, Actions []Option
}

// Journal returns a page of m's organisation's acts selected by f, newest
// first, with the filter's choices. A malformed filter is a
// problem.Invalid with a French message, and the page still has its
// choices so that it can be shown with the message.
func (s *Service) Journal(ctx context.Context, m account.Manager, f Filter) (Page, error) {
	choices, err := s.choices(ctx, m)
	if err != nil {
		return Page{}, err
	}
	page := Page{Filter: f, Choices: choices}
	q, empty, err := s.scoped(ctx, m, f)
	if err != nil || empty {
		return page, err
	}
	q.Limit = PageSize + 1
	entries, err := s.journal.Search(ctx, q)
	if err != nil {
		return Page{}, err
	}
	if len(entries) > PageSize {
		entries = entries[:PageSize]
		page.Next = entries[PageSize-1].ID
	}
	n := s.newNamer(m.OrganisationID)
	if page.Rows, err = n.rows(ctx, entries); err != nil {
		return Page{}, err
	}
	if f.Usager != "" {
		named, err := s.usagers.Names(ctx, []string{f.Usager}, "")
		if err != nil {
			return Page{}, err
		}
		if len(named) == 1 {
			page.UsagerName = named[0].GivenName + " " + named[0].FamilyName
		}
	}
	return page, nil
}

// choices returns what m's journal filter offers.
func (s *Service) choices(ctx context.Context, m account.Manager) (Choices, error) {
	team, err := s.team.Team(ctx, m, account.TeamFilter{})
	if err != nil {
		return Choices{}, err
	}
	var c Choices
	for _, t := range team {
		c.Aidants = append(c.Aidants, Option{t.ID, t.Name()})
	}
	services, _, err := s.serviceNames(ctx, "")
	if err != nil {
		return Choices{}, err
	}
	for id, name := range services {
		c.Services = append(c.Services, Option{id, name})
	}
	slices.SortFunc(c.Services, func(a, b Option) int { return strings.Compare(a.Label, b.Label) })
	for _, p := range procedure.All() {
		c.Procedures = append(c.Procedures, Option{p.ID, p.Label})
	}
	for _, l := range actionLabels {
		c.Actions = append(c.Actions, Option{string(l.action), l.label})
	}
	return c, nil
}

// serviceNames returns the registered services' names by client id, and
// whether id is among them.
func (s *Service) serviceNames(ctx context.Context, id string) (map[string]string, bool, error) {
	clients, err := s.services.ListClients(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("oversight: services: %w", err)
	}
	names := make(map[string]string, len(clients))
	for _, c := range clients {
		names[c.ID] = c.Name
	}
	_, ok := names[id]
	return names, ok, nil
}

func mandateListing(name string) mandate.Listing { return mandate.Listing{Search: name, Limit: 200} }

// namer turns entries into rows: it asks the packages that own names for
// those of a batch of entries at once, and keeps the accounts' and the
// services' (a few hundred at most) for the next batches.
type namer struct {
	s            *Service
	organisation string
	accounts     map[string]string
	services     map[string]string
}

func (s *Service) newNamer(organisationID string) *namer {
	return &namer{s: s, organisation: organisationID, accounts: map[string]string{}}
}

// rows names a batch of entries.
func (n *namer) rows(ctx context.Context, entries []audit.Entry) ([]Row, error) {
	if n.services == nil {
		var err error
		if n.services, _, err = n.s.serviceNames(ctx, ""); err != nil {
			return nil, err
		}
	}
	var usagerIDs []string
	for _, e := range entries {
		if e.UsagerID != "" && !slices.Contains(usagerIDs, e.UsagerID) {
			usagerIDs = append(usagerIDs, e.UsagerID)
		}
	}
	usagers := map[string]string{}
	if len(usagerIDs) > 0 {
		named, err := n.s.usagers.Names(ctx, usagerIDs, "")
		if err != nil {
			return nil, err
		}
		for _, u := range named {
			usagers[u.ID] = u.GivenName + " " + u.FamilyName
		}
	}
	rows := make([]Row, 0, len(entries))
	for _, e := range entries {
		r := Row{ID: e.ID, Time: e.Time, When: mandate.FrenchDateTime(e.Time, n.s.paris), Action: e.Action, What: ActionLabel(e.Action),
			UsagerID: e.UsagerID, ProcedureID: e.Procedure, ServiceID: e.ClientID, MandateID: e.MandateID, PermissionID: e.PermissionID,
			Reason: e.Details["reason"], Entry: e}
		var err error
		if r.Who, r.WhoAccount, err = n.actor(ctx, e); err != nil {
			return nil, err
		}
		if e.UsagerID != "" {
			r.ForWhom = usagers[e.UsagerID]
			if r.ForWhom == "" {
				r.ForWhom = "Usager dont l'identité a été effacée"
			}
		}
		if p, ok := procedure.ByID(e.Procedure); ok {
			r.Procedure = p.Label
		}
		if e.ClientID != "" {
			r.Service = n.services[e.ClientID]
			if r.Service == "" {
				r.Service = e.ClientID
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// actor names who acted.
func (n *namer) actor(ctx context.Context, e audit.Entry) (name, accountID string, err error) {
	switch e.ActorKind {
	case audit.ActorAidant, audit.ActorManager:
		if e.ActorID == "" {
			return "Compte inconnu", "", nil
		}
		name, ok := n.accounts[e.ActorID]
		if !ok {
			a, err := n.s.team.Account(ctx, e.ActorID)
			switch {
			case errors.Is(err, account.ErrAccountNotFound):
				name = "Compte supprimé"
			case err != nil:
				return "", "", err
			default:
				name = a.Name()
			}
			n.accounts[e.ActorID] = name
		}
		return name, e.ActorID, nil
	case audit.ActorService:
		if s := n.services[e.ActorID]; s != "" {
			return "Le service " + s, "", nil
		}
		return "Le service " + e.ActorID, "", nil
	}
	if l, ok := actorLabels[e.ActorKind]; ok {
		return l, "", nil
	}
	return string(e.ActorKind), "", nil
}
