package oversight

import (
	"context"
	"fmt"
	"io"

	"procura/audit"
)

// Formats of the operator's listing.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// OperatorList writes the entries f selects, of one organisation or of
// all (organisationID empty), newest first, as CSV (the managers' export)
// or JSON lines (ids only); limit > 0 stops after that many. Like a
// manager's export, the listing is an act: recorded, with the filter,
// before the first entry is written, under actor operator / operatorID.
func (s *Service) OperatorList(ctx context.Context, operatorID, organisationID string, f Filter, format string, limit int, w io.Writer) error {
	if format != FormatCSV && format != FormatJSON {
		return fmt.Errorf("oversight: format %q: csv or json", format)
	}
	q, err := s.OperatorQuery(f, organisationID)
	if err != nil {
		return err
	}
	details := map[string]string{"format": format}
	for k, v := range f.Values() {
		details[k] = v[0]
	}
	if f.Before != "" {
		details["avant"] = f.Before
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		return s.journal.Record(ctx, audit.Entry{Action: audit.ActionJournalExported, ActorKind: audit.ActorOperator, ActorID: operatorID,
			OrganisationID: organisationID, Details: details})
	})
	if err != nil {
		return err
	}
	q.Limit = max(limit, 0)
	if format == FormatJSON {
		return s.WriteJSON(ctx, q, w)
	}
	return s.WriteCSV(ctx, q, w)
}
