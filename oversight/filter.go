package oversight

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/problem"
	"procura/procedure"
)

// Filter is the journal's filter as typed in the page's URL: every field
// is text, parsed here so that a bad value is a safe French message.
type Filter struct {
	// Aidant is an account id; Usager a usager's pseudonym; UsagerName a
	// part of a usager's name, resolved to the organisation's usagers.
	Aidant, Usager, UsagerName string
	// Procedure is a procedure id; Service a client id; Action an act's code.
	Procedure, Service, Action string
	// From and To are days (YYYY-MM-DD), Paris time, both included.
	From, To string
	// Before is the last id of the previous page.
	Before string
}

// FilterFromValues reads a filter from URL parameters (the page's form
// and the export link share them).
func FilterFromValues(v url.Values) Filter {
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	return Filter{Aidant: get("aidant"), Usager: get("usager"), UsagerName: get("nom"), Procedure: get("demarche"),
		Service: get("service"), Action: get("acte"), From: get("du"), To: get("au"), Before: get("avant")}
}

// Values is the filter as URL parameters, without Before (the export and
// the next page's link start from it).
func (f Filter) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"aidant": f.Aidant, "usager": f.Usager, "nom": f.UsagerName, "demarche": f.Procedure,
		"service": f.Service, "acte": f.Action, "du": f.From, "au": f.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// Refusals of a filter.
var (
	ErrBadAidant             = problem.New(problem.Invalid, "L'aidant choisi n'est pas reconnu : choisissez-le dans la liste.")
	ErrBadUsager             = problem.New(problem.Invalid, "L'usager indiqué n'est pas reconnu : cherchez-le par son nom.")
	ErrBadProcedure          = problem.New(problem.Invalid, "La démarche choisie n'existe pas : choisissez-la dans la liste.")
	ErrBadService            = problem.New(problem.Invalid, "Le service choisi n'est pas enregistré : choisissez-le dans la liste.")
	ErrBadAction             = problem.New(problem.Invalid, "Le type d'acte choisi n'existe pas : choisissez-le dans la liste.")
	ErrBadDate               = problem.New(problem.Invalid, "Une date n'est pas valable : écrivez-la sous la forme JJ/MM/AAAA (par exemple 02/03/2026).")
	ErrBadRange              = problem.New(problem.Invalid, "La date de fin précède la date de début.")
	ErrBadCursor             = problem.New(problem.Invalid, "Le lien de page n'est pas valable : reprenez depuis la première page.")
	ErrNameTooLong           = problem.New(problem.Invalid, "Le nom cherché est trop long (100 caractères au plus).")
	ErrNameNeedsOrganisation = problem.New(problem.Invalid, "La recherche par nom d'usager se fait dans une organisation.")
)

// query checks the filter's form (no database) and returns its query,
// without organisation and usager names resolved.
func (s *Service) query(f Filter) (audit.Query, error) {
	var q audit.Query
	if f.Aidant != "" {
		if !db.IsUUID(f.Aidant) {
			return q, ErrBadAidant
		}
		q.ActorID = f.Aidant
	}
	if f.Usager != "" {
		if len(f.Usager) > 128 || strings.ContainsFunc(f.Usager, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
			return q, ErrBadUsager
		}
		q.UsagerIDs = []string{f.Usager}
	}
	if len(f.UsagerName) > 100 {
		return q, ErrNameTooLong
	}
	if f.Procedure != "" {
		if _, ok := procedure.ByID(f.Procedure); !ok {
			return q, ErrBadProcedure
		}
		q.Procedure = f.Procedure
	}
	if f.Action != "" {
		if !knownAction(audit.Action(f.Action)) {
			return q, ErrBadAction
		}
		q.Action = audit.Action(f.Action)
	}
	if len(f.Service) > 200 {
		return q, ErrBadService
	}
	q.ClientID = f.Service
	var err error
	if q.From, err = s.day(f.From); err != nil {
		return q, err
	}
	if q.To, err = s.day(f.To); err != nil {
		return q, err
	}
	if !q.To.IsZero() {
		q.To = q.To.AddDate(0, 0, 1) // the last day is included
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, ErrBadRange
	}
	if f.Before != "" {
		id, err := strconv.ParseInt(f.Before, 10, 64)
		if err != nil || id <= 0 {
			return q, ErrBadCursor
		}
		q.BeforeID = id
	}
	return q, nil
}

// day parses a day as the date input sends it (YYYY-MM-DD) or as French
// people write it (DD/MM/YYYY): midnight, Paris time.
func (s *Service) day(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02", "02/01/2006"} {
		if t, err := time.ParseInLocation(layout, v, s.paris); err == nil && t.Year() >= 2000 && t.Year() <= 2200 {
			return t, nil
		}
	}
	return time.Time{}, ErrBadDate
}

// scoped resolves q for m's organisation: the usager name search becomes
// the pseudonyms of the organisation's usagers it finds; an aidant or a
// usager that the organisation's journal does not know empties the
// result (empty=true), and when they exist elsewhere the attempt is
// recorded as a cross-organisation one.
func (s *Service) scoped(ctx context.Context, m account.Manager, f Filter) (q audit.Query, empty bool, err error) {
	if err := s.team.CheckManager(ctx, m); err != nil {
		return q, false, err
	}
	if q, err = s.query(f); err != nil {
		return q, false, err
	}
	q.OrganisationID = m.OrganisationID
	if q.ClientID != "" {
		if _, ok, err := s.serviceNames(ctx, q.ClientID); err != nil {
			return q, false, err
		} else if !ok {
			return q, false, ErrBadService
		}
	}
	if q.ActorID != "" {
		known, err := s.knownHere(ctx, m, audit.Query{ActorID: q.ActorID}, "journal_aidant", q.ActorID, func() (bool, error) {
			_, err := s.team.Account(ctx, q.ActorID)
			if errors.Is(err, account.ErrAccountNotFound) {
				return false, nil
			}
			return err == nil, err
		})
		if err != nil || !known {
			return q, true, err
		}
	}
	if len(q.UsagerIDs) == 1 {
		id := q.UsagerIDs[0]
		known, err := s.knownHere(ctx, m, audit.Query{UsagerIDs: []string{id}}, "journal_usager", id, func() (bool, error) {
			return s.usagers.Exists(ctx, id)
		})
		if err != nil || !known {
			return q, true, err
		}
	}
	if f.UsagerName != "" {
		found, err := s.orgUsers.UsagersOf(ctx, m.OrganisationID, mandateListing(f.UsagerName))
		if err != nil {
			return q, false, err
		}
		ids := make([]string, 0, len(found))
		for _, u := range found {
			if q.UsagerIDs == nil || u.UsagerID == q.UsagerIDs[0] {
				ids = append(ids, u.UsagerID)
			}
		}
		if len(ids) == 0 {
			return q, true, nil
		}
		q.UsagerIDs = ids
	}
	return q, false, nil
}

// knownHere says whether the organisation's journal has an entry matching
// probe (an aidant who acted there, a usager acted for there; a team
// member who never acted counts too). Otherwise, when exists says the id
// is real, the attempt is recorded as a cross-organisation one.
func (s *Service) knownHere(ctx context.Context, m account.Manager, probe audit.Query, kind, id string, exists func() (bool, error)) (bool, error) {
	probe.OrganisationID, probe.Limit = m.OrganisationID, 1
	some, err := s.journal.Search(ctx, probe)
	if err != nil {
		return false, err
	}
	if len(some) > 0 {
		return true, nil
	}
	if kind == "journal_aidant" {
		team, err := s.team.Team(ctx, m, account.TeamFilter{})
		if err != nil {
			return false, err
		}
		for _, t := range team {
			if t.ID == id {
				return true, nil
			}
		}
	}
	real, err := exists()
	if err != nil {
		return false, fmt.Errorf("oversight: %s: %w", kind, err)
	}
	if real {
		return false, s.team.RecordCrossOrganisation(ctx, m, kind, id)
	}
	return false, nil
}
