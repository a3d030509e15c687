package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"procura/audit"
	"procura/db"
	"procura/mandate"
	"procura/problem"
	"procura/templates"
)

var errReceiptNotReady = problem.New(problem.Conflict,
	"Cet acte vient d'être enregistré : son reçu sera disponible dans quelques secondes. Réessayez.")

// handleActReceipt sends the usager the receipt of an act done on their
// behalf: the entry, its inclusion proof and the signed checkpoint, as one
// JSON file they can check here or with any RFC 6962 verifier.
func (s *Server) handleActReceipt(w http.ResponseWriter, r *http.Request) {
	u, ok := s.loadUsager(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.serveError(w, r, errNotFound)
		return
	}
	rec, err := s.journal.Receipt(r.Context(), id)
	switch {
	case errors.Is(err, audit.ErrNotIntegrated), errors.Is(err, audit.ErrNoCheckpoint):
		s.serveError(w, r, errReceiptNotReady)
		return
	case errors.Is(err, db.ErrNotFound):
		s.serveError(w, r, errNotFound)
		return
	case err != nil:
		s.serveError(w, r, err)
		return
	}
	if rec.Entry.UsagerID != u.ID {
		s.serveError(w, r, errNotFound) // another usager's act: as if it did not exist
		return
	}
	s.sendReceipt(w, r, rec)
}

// sendReceipt sends an act's receipt as a JSON file to download.
func (s *Server) sendReceipt(w http.ResponseWriter, r *http.Request, rec audit.Receipt) {
	body, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="recu-acte-%d.json"`, rec.Entry.ID))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(append(body, '\n'))
}

// handleJournalPage is the public page on the journal: what a checkpoint
// is, the key that signs them, the latest one, and a form that checks a
// receipt. The form is a GET: checking changes nothing.
func (s *Server) handleJournalPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	page := &templates.JournalPage{Layout: templates.Layout{Title: "Le journal des actes"}, Origin: s.journalOrigin}
	keys, err := s.journalKeys(ctx)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	page.VerifierKeys = keys
	latest, err := s.journal.LatestCheckpoint(ctx)
	if err != nil && !errors.Is(err, audit.ErrNoCheckpoint) {
		s.serveError(w, r, err)
		return
	}
	page.Checkpoint, page.TreeSize = latest.Note, latest.Size
	if !latest.CreatedAt.IsZero() {
		page.CheckpointAt = mandate.FrenchDateTime(latest.CreatedAt, paris())
	}
	receipt := r.URL.Query().Get("recu")
	if receipt == "" {
		s.render(w, r, http.StatusOK, page)
		return
	}
	page.Receipt, page.Checked = receipt, true
	verifiers, err := audit.VerifierList(keys...)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	rec, cp, err := audit.VerifyReceipt([]byte(receipt), s.journalOrigin, verifiers)
	if err == nil {
		err = s.journal.CheckConsistent(ctx, cp)
	}
	switch {
	case err == nil:
		page.Valid = true
		page.EntryID, page.Action, page.LeafIndex = rec.Entry.ID, rec.Entry.Action, rec.LeafIndex
		page.ReceiptTreeSize = cp.Size
	case errors.Is(err, audit.ErrFork):
		page.Message = "Ce reçu est signé par la clé du journal, mais il ne correspond pas à l'historique que le journal présente aujourd'hui : le journal a été réécrit. Conservez ce reçu et signalez-le."
	case errors.Is(err, audit.ErrNotInTree):
		page.Message = "Ce reçu est signé par la clé du journal, mais l'acte qu'il décrit n'est pas celui qui a été enregistré : le reçu a été modifié."
	case errors.Is(err, audit.ErrBadCheckpoint):
		page.Message = "Ce reçu n'est pas signé par la clé de ce journal."
	case errors.Is(err, audit.ErrBadReceipt):
		page.Message = "Ce texte n'est pas un reçu lisible : collez le fichier de reçu complet, sans le modifier."
	default:
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, page)
}
