package oversight

import (
	"context"
	"errors"
	"strconv"

	"procura/account"
	"procura/audit"
	"procura/problem"
)

// ErrActNotFound is an act that is not in the manager's organisation's
// journal, or an id that names none.
var ErrActNotFound = problem.New(problem.NotFound, "Cet acte n'existe pas dans le journal de votre organisation.")

// Act returns one act of m's organisation's journal, named. An act of
// another organisation is not found, and the attempt is recorded as a
// cross-organisation one.
func (s *Service) Act(ctx context.Context, m account.Manager, idText string) (Row, error) {
	if err := s.team.CheckManager(ctx, m); err != nil {
		return Row{}, err
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return Row{}, ErrActNotFound
	}
	e, err := s.journal.Entry(ctx, id)
	if errors.Is(err, audit.ErrEntryNotFound) {
		return Row{}, ErrActNotFound
	}
	if err != nil {
		return Row{}, err
	}
	if e.OrganisationID != m.OrganisationID {
		if err := s.team.RecordCrossOrganisation(ctx, m, "journal_entry", idText); err != nil {
			return Row{}, err
		}
		return Row{}, ErrActNotFound
	}
	rows, err := s.newNamer(m.OrganisationID).rows(ctx, []audit.Entry{e})
	if err != nil {
		return Row{}, err
	}
	return rows[0], nil
}
