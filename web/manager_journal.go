package web

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"procura/audit"
	"procura/mandate"
	"procura/oversight"
	"procura/problem"
	"procura/templates"
)

// handleManagerJournal shows a page of the organisation's journal; a
// malformed filter shows the page with why, never an error page.
func (s *Server) handleManagerJournal(w http.ResponseWriter, r *http.Request) {
	form, mc, ok := s.managerForm(w, r)
	if !ok {
		return
	}
	f := oversight.FilterFromValues(form)
	result, err := s.oversight.Journal(r.Context(), mc.m, f)
	status, refusal := http.StatusOK, ""
	if err != nil {
		if problem.CodeOf(err) != problem.Invalid {
			s.serveError(w, r, err)
			return
		}
		status, refusal = http.StatusBadRequest, problem.MessageOf(err)
	}
	s.render(w, r, status, journalPage(s.nav(mc, "journal"), result, refusal))
}

// handleManagerJournalExport streams the filtered journal as CSV. The
// export is recorded before the first byte is sent; a malformed filter
// shows the journal's page with why.
func (s *Server) handleManagerJournalExport(w http.ResponseWriter, r *http.Request) {
	form, mc, ok := s.managerForm(w, r)
	if !ok {
		return
	}
	f := oversight.FilterFromValues(form)
	out := &lazyCSV{w: w, name: "journal-" + s.now().In(paris()).Format("2006-01-02") + ".csv"}
	err := s.oversight.Export(r.Context(), mc.m, f, out)
	switch {
	case err == nil:
	case out.started:
		// Headers are sent: the download ends short, and the log says why.
		s.log.ErrorContext(r.Context(), "journal export interrupted", "err", err)
	case problem.CodeOf(err) == problem.Invalid:
		result, jerr := s.oversight.Journal(r.Context(), mc.m, f)
		if jerr != nil && problem.CodeOf(jerr) != problem.Invalid {
			s.serveError(w, r, jerr)
			return
		}
		s.render(w, r, http.StatusBadRequest, journalPage(s.nav(mc, "journal"), result, problem.MessageOf(err)))
	default:
		s.serveError(w, r, err)
	}
}

// handleManagerAct shows one act of the organisation's journal.
func (s *Server) handleManagerAct(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.loadManager(w, r)
	if !ok {
		return
	}
	row, err := s.oversight.Act(r.Context(), mc.m, r.PathValue("id"))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	e := row.Entry
	p := &templates.ManagerActPage{Layout: templates.Layout{Title: "Acte n° " + strconv.FormatInt(row.ID, 10)}, Nav: s.nav(mc, "journal"),
		ID: row.ID, JournalURL: PathManagerJournal}
	add := func(label, value, url string) {
		if value != "" {
			p.Facts = append(p.Facts, templates.Fact{Label: label, Value: value, URL: url})
		}
	}
	add("Quand (heure de Paris)", row.When, "")
	add("Acte", row.What+" ("+string(row.Action)+")", "")
	who := ""
	if row.WhoAccount != "" {
		who = PathManagerAidant(row.WhoAccount)
	}
	add("Par", row.Who, who)
	if row.UsagerID != "" {
		add("Pour", row.ForWhom, withQuery(PathManagerJournal, url.Values{"usager": {row.UsagerID}}))
		add("Pseudonyme de l'usager", row.UsagerID, "")
	}
	add("Démarche", row.Procedure, "")
	add("Service", row.Service, "")
	if row.MandateID != "" {
		add("Mandat", row.MandateID, PathMandate(row.MandateID))
	}
	add("Démarche du mandat (permission)", row.PermissionID, "")
	add("Identifiant de la requête", e.RequestID, "")
	for _, k := range slices.Sorted(maps.Keys(e.Details)) {
		p.Details = append(p.Details, templates.Fact{Label: k, Value: e.Details[k]})
	}
	if err := s.actIntegration(r, p); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, p)
}

// actIntegration fills the act page with the act's receipt and the latest
// checkpoint, verified with the journal's keys as anyone would, or says
// the act is not integrated yet.
func (s *Server) actIntegration(r *http.Request, p *templates.ManagerActPage) error {
	ctx := r.Context()
	rec, err := s.journal.Receipt(ctx, p.ID)
	if errors.Is(err, audit.ErrNotIntegrated) || errors.Is(err, audit.ErrNoCheckpoint) {
		p.Pending = true
		return nil
	}
	if err != nil {
		return err
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	keys, err := s.journalKeys(ctx)
	if err != nil {
		return err
	}
	verifiers, err := audit.VerifierList(keys...)
	if err != nil {
		return err
	}
	if _, _, err := audit.VerifyReceipt(body, s.journalOrigin, verifiers); err != nil {
		s.log.ErrorContext(ctx, "act receipt does not verify", "entry", p.ID, "err", err)
		p.ReceiptError = "Le reçu de cet acte ne se vérifie pas avec la clé du journal : signalez-le à l'opérateur de Procura."
		return nil
	}
	p.LeafIndex, p.TreeSize, p.Checkpoint = rec.LeafIndex, rec.TreeSize, rec.Checkpoint
	p.ReceiptURL = PathManagerActReceipt(strconv.FormatInt(p.ID, 10))
	if cp, err := s.journal.CheckpointAt(ctx, rec.TreeSize); err == nil {
		p.CheckpointAt = mandate.FrenchDateTime(cp.CreatedAt, paris())
	} else if !errors.Is(err, audit.ErrNoCheckpoint) {
		return err
	}
	return nil
}

// handleManagerActReceipt sends the inclusion receipt of an act of the
// organisation, the same file the usager space offers.
func (s *Server) handleManagerActReceipt(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.loadManager(w, r)
	if !ok {
		return
	}
	row, err := s.oversight.Act(r.Context(), mc.m, r.PathValue("id"))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	rec, err := s.journal.Receipt(r.Context(), row.ID)
	if errors.Is(err, audit.ErrNotIntegrated) || errors.Is(err, audit.ErrNoCheckpoint) {
		s.serveError(w, r, errReceiptNotReady)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.sendReceipt(w, r, rec)
}

// lazyCSV sends the CSV headers with the first byte of the export, so that
// a refusal before it can still be answered with a page.
type lazyCSV struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (l *lazyCSV) Write(b []byte) (int, error) {
	if !l.started {
		l.started = true
		h := l.w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+l.name+`"`)
		h.Set("Cache-Control", "no-store")
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(b)
}

// journalPage is the page of a journal's result.
func journalPage(nav templates.ManagerNav, res oversight.Page, refusal string) *templates.ManagerJournalPage {
	f := res.Filter
	filter := f.Values()
	p := &templates.ManagerJournalPage{Layout: templates.Layout{Title: "Journal des actes"}, Nav: nav, Refusal: refusal,
		UsagerName: f.UsagerName, Usager: f.Usager, From: f.From, To: f.To, Filtered: len(filter) > 0,
		ExportURL: withQuery(PathManagerJournalExport, filter), StatisticsURL: PathManagerStatistics}
	options := func(opts []oversight.Option, selected string) []templates.StatusOption {
		out := make([]templates.StatusOption, len(opts))
		for i, o := range opts {
			out[i] = templates.StatusOption{Value: o.Value, Label: o.Label, Selected: o.Value == selected}
		}
		return out
	}
	if f.Usager != "" {
		p.UsagerLabel = res.UsagerName
		if p.UsagerLabel == "" {
			p.UsagerLabel = "usager inconnu de votre organisation"
		}
		without := f.Values()
		without.Del("usager")
		p.WithoutUsagerURL = withQuery(PathManagerJournal, without)
	}
	p.Aidants, p.Services = options(res.Choices.Aidants, f.Aidant), options(res.Choices.Services, f.Service)
	p.Procedures, p.Actions = options(res.Choices.Procedures, f.Procedure), options(res.Choices.Actions, f.Action)
	for _, row := range res.Rows {
		jr := templates.JournalRow{ID: row.ID, When: row.When, What: row.What, Who: row.Who, ForWhom: row.ForWhom,
			Procedure: row.Procedure, Service: row.Service, Reason: row.Reason}
		if row.WhoAccount != "" {
			jr.WhoURL = PathManagerAidant(row.WhoAccount)
		}
		if row.UsagerID != "" {
			jr.ForWhomURL = withQuery(PathManagerJournal, url.Values{"usager": {row.UsagerID}})
		}
		if row.MandateID != "" {
			jr.MandateURL = PathMandate(row.MandateID)
		}
		p.Rows = append(p.Rows, jr)
	}
	if res.Next > 0 {
		next := f.Values()
		next.Set("avant", strconv.FormatInt(res.Next, 10))
		p.NextURL = withQuery(PathManagerJournal, next)
	}
	if f.Before != "" {
		p.FirstURL = withQuery(PathManagerJournal, filter)
	}
	return p
}

func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}
