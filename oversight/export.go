package oversight

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"procura/account"
	"procura/audit"
)

// CSVColumns are the export's columns, in order (documented in the
// README, "Export du journal").
var CSVColumns = []string{
	"identifiant", "date_heure_paris", "acte", "acte_libelle", "auteur_type", "auteur_id", "auteur_nom",
	"usager_id", "usager_nom", "demarche", "demarche_libelle", "service_id", "service_nom",
	"mandat_id", "permission_id", "organisation_id", "requete_id", "details",
}

// exportBatch is how many entries are named at once: the export's memory
// is this batch, whatever the number of entries.
const exportBatch = 500

// Export writes to w, as CSV (UTF-8 with a byte order mark so that
// spreadsheet software reads the accents right, ";" separated as French
// spreadsheets expect), every act of m's organisation selected by f,
// newest first. The export is an act: it is recorded, with the filter,
// before the first row is written; the rows are then written as they are
// read.
func (s *Service) Export(ctx context.Context, m account.Manager, f Filter, w io.Writer) error {
	q, empty, err := s.scoped(ctx, m, f)
	if err != nil {
		return err
	}
	f.Before, q.BeforeID = "", 0 // an export starts from the newest act
	details := map[string]string{}
	for k, v := range f.Values() {
		if k != "nom" { // a name typed to search is personal data
			details[k] = v[0]
		}
	}
	if f.UsagerName != "" {
		details["usagers_trouves"] = strconv.Itoa(len(q.UsagerIDs))
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		return s.journal.Record(ctx, audit.Entry{Action: audit.ActionJournalExported, ActorKind: audit.ActorManager, ActorID: m.AccountID,
			OrganisationID: m.OrganisationID, Details: details})
	})
	if err != nil {
		return err
	}
	if empty {
		q.UsagerIDs = []string{}
	}
	return s.WriteCSV(ctx, q, w)
}

// WriteCSV writes the entries q selects as the export's CSV (all of
// them, or the first q.Limit when positive).
func (s *Service) WriteCSV(ctx context.Context, q audit.Query, w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	return s.eachRow(ctx, q, func(r Row) error {
		return cw.Write(s.csvRecord(r))
	}, cw.Flush, cw.Error)
}

// eachRow calls fn with each entry q selects, named, by batches of
// exportBatch; flush runs after each batch and check reports a writer's
// error.
func (s *Service) eachRow(ctx context.Context, q audit.Query, fn func(Row) error, flush func(), check func() error) error {
	n := s.newNamer(q.OrganisationID)
	batch := make([]audit.Entry, 0, exportBatch)
	emit := func() error {
		rows, err := n.rows(ctx, batch)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		batch = batch[:0]
		flush()
		return check()
	}
	err := s.journal.Each(ctx, q, func(e audit.Entry) error {
		batch = append(batch, e)
		if len(batch) == exportBatch {
			return emit()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return emit()
}

func (s *Service) csvRecord(r Row) []string {
	details := ""
	if len(r.Entry.Details) > 0 {
		b, err := json.Marshal(r.Entry.Details)
		if err == nil {
			details = string(b)
		}
	}
	return []string{
		strconv.FormatInt(r.ID, 10), r.Time.In(s.paris).Format("2006-01-02 15:04:05"), string(r.Action), r.What,
		string(r.Entry.ActorKind), r.Entry.ActorID, inert(r.Who), r.UsagerID, inert(r.ForWhom), r.ProcedureID, r.Procedure,
		r.ServiceID, inert(r.Service), r.MandateID, r.PermissionID, r.Entry.OrganisationID, r.Entry.RequestID, details,
	}
}

// inert keeps a spreadsheet from reading a name typed by someone as a
// formula (OWASP "CSV injection"): a leading =, +, -, @, tab or carriage
// return is preceded by an apostrophe, which spreadsheets do not show.
// Only the names get it: ids and codes are Procura's own.
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// JSONRow is one act as `procura audit list --format json` writes it.
type JSONRow struct {
	ID             int64             `json:"id"`
	Time           string            `json:"time"`
	Action         string            `json:"action"`
	ActorKind      string            `json:"actor_kind"`
	ActorID        string            `json:"actor_id,omitempty"`
	OrganisationID string            `json:"organisation_id,omitempty"`
	UsagerID       string            `json:"usager_id,omitempty"`
	MandateID      string            `json:"mandate_id,omitempty"`
	PermissionID   string            `json:"permission_id,omitempty"`
	Procedure      string            `json:"procedure,omitempty"`
	ClientID       string            `json:"client_id,omitempty"`
	RequestID      string            `json:"request_id,omitempty"`
	Details        map[string]string `json:"details,omitempty"`
}

// WriteJSON writes the entries q selects (the first q.Limit when
// positive), one JSON object a line, ids only: the operator's reading
// names nobody.
func (s *Service) WriteJSON(ctx context.Context, q audit.Query, w io.Writer) error {
	enc := json.NewEncoder(w)
	return s.journal.Each(ctx, q, func(e audit.Entry) error {
		if err := enc.Encode(JSONRow{ID: e.ID, Time: e.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), Action: string(e.Action),
			ActorKind: string(e.ActorKind), ActorID: e.ActorID, OrganisationID: e.OrganisationID, UsagerID: e.UsagerID,
			MandateID: e.MandateID, PermissionID: e.PermissionID, Procedure: e.Procedure, ClientID: e.ClientID,
			RequestID: e.RequestID, Details: e.Details}); err != nil {
			return fmt.Errorf("oversight: json: %w", err)
		}
		return nil
	})
}

// OperatorQuery is f as the operator's query: across organisations, or
// of one (organisationID); no name search (it needs an organisation's
// usagers) and no cross-organisation rule (the operator sees everything).
func (s *Service) OperatorQuery(f Filter, organisationID string) (audit.Query, error) {
	q, err := s.query(f)
	if err != nil {
		return q, err
	}
	if f.UsagerName != "" {
		return q, ErrNameNeedsOrganisation
	}
	q.OrganisationID, q.AllOrganisations = organisationID, organisationID == ""
	return q, nil
}
