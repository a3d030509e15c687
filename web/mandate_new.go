package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"procura/account"
	"procura/audit"
	"procura/franceconnect"
	"procura/identity"
	"procura/mandate"
	"procura/problem"
	"procura/procedure"
	"procura/templates"
	"procura/usager"
)

// The creation of a mandate spans three requests and a trip to
// FranceConnect; its draft lives in the aidant's server-side session.
const (
	keyMandateDraft = "mandate_draft"
	purposeMandate  = "mandate"
	draftTTL        = 30 * time.Minute
)

// mandateDraft is what the creation journey has gathered so far.
type mandateDraft struct {
	OrganisationID string    `json:"organisation_id"`
	Procedures     []string  `json:"procedures"`
	DurationDays   int       `json:"duration_days"`
	StartedAt      time.Time `json:"started_at"`
	UsagerID       string    `json:"usager_id,omitempty"`
	IDToken        string    `json:"id_token,omitempty"`
	IDTokenSHA256  string    `json:"id_token_sha256,omitempty"`
	JWKSSHA256     string    `json:"jwks_sha256,omitempty"`
}

// blockKinds names the mandate text's blocks for the recap template.
var blockKinds = map[mandate.TextBlockKind]string{
	mandate.TextTitle: "h1", mandate.TextHeading: "h2", mandate.TextParagraph: "p", mandate.TextListItem: "li",
}

var errNoDraft = problem.New(problem.Invalid, "Aucun mandat n'est en cours de création, ou il a expiré : recommencez depuis « Nouveau mandat ».")

// errManagerNotAidant tells a manager without the aidant role what they
// can do instead, rather than that nobody gave a mandate.
var errManagerNotAidant = problem.New(problem.Forbidden,
	"Vous êtes responsable de structure sans rôle d'aidant dans cette organisation : vous ne pouvez ni créer de mandat "+
		"ni consulter les mandats des usagers. Depuis l'espace responsable, vous pouvez gérer l'équipe et les habilitations "+
		"et consulter le journal des actes ; un responsable peut vous donner le rôle d'aidant.")

// requireAidant loads the caller and checks they are an aidant of their
// current organisation.
func (s *Server) requireAidant(w http.ResponseWriter, r *http.Request) (caller, bool) {
	c, ok := s.loadCaller(w, r)
	if ok && !c.Current.Has(account.RoleAidant) {
		err := account.ErrNotHabilitated
		if c.Current.Has(account.RoleManager) {
			err = errManagerNotAidant
		}
		s.serveError(w, r, err)
		return caller{}, false
	}
	return c, ok
}

// handleMandateNewPage shows the first step: procedures and duration.
func (s *Server) handleMandateNewPage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.requireAidant(w, r)
	if !ok {
		return
	}
	if !c.Account.Habilitated(s.now()) {
		// Said before the form is filled, not after.
		s.serveError(w, r, account.ErrNotHabilitated)
		return
	}
	// The form posted after the session ended (form_saved.go).
	if form, ok := s.savedFormFor(w, r, c.Account.ID, PathMandateNew); ok {
		days, _ := strconv.Atoi(form.Get("duration"))
		s.renderMandateNew(w, r, c, http.StatusOK, form["procedures"], days, "", noticeFormRestored)
		return
	}
	s.renderMandateNew(w, r, c, http.StatusOK, nil, 0, "", "")
}

// noticeFormRestored tops a form shown again with what was typed before
// the session ended.
const noticeFormRestored = "Voici ce que vous aviez choisi avant la fin de votre session. Rien n'a encore été enregistré : vérifiez, puis envoyez le formulaire."

func (s *Server) renderMandateNew(w http.ResponseWriter, r *http.Request, c caller, status int, checked []string, days int, message, notice string) {
	page := &templates.MandateNewPage{Layout: templates.Layout{Title: "Nouveau mandat"}, Organisation: c.Current.Organisation.Name,
		Error: message, Notice: notice}
	for _, id := range c.Current.Organisation.Procedures {
		if p, ok := procedure.ByID(id); ok {
			page.Procedures = append(page.Procedures, templates.ProcedureChoice{
				ProcedureView: templates.ProcedureView{ID: p.ID, Label: p.Label, Warning: p.Warning},
				Description:   p.Description, Examples: p.Examples, Checked: slices.Contains(checked, p.ID)})
		}
	}
	page.Durations = durationChoices(days)
	s.render(w, r, status, page)
}

func durationChoices(days int) []templates.DurationChoice {
	var out []templates.DurationChoice
	for _, d := range mandate.Durations {
		out = append(out, templates.DurationChoice{Days: d.Days, Label: d.Label, Checked: d.Days == days})
	}
	return out
}

// handleMandateNew checks the choice, keeps it as the draft and sends the
// usager to FranceConnect.
func (s *Server) handleMandateNew(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	c, ok := s.requireAidant(w, r)
	if !ok {
		return
	}
	procs := form["procedures"]
	days, _ := strconv.Atoi(form.Get("duration"))
	var problemMsg error
	switch _, okDuration := mandate.DurationByDays(days); {
	case len(procs) == 0:
		problemMsg = mandate.ErrNoProcedure
	case slices.ContainsFunc(procs, func(p string) bool { return !slices.Contains(c.Current.Organisation.Procedures, p) }):
		problemMsg = mandate.ErrProcedure
	case !okDuration:
		problemMsg = mandate.ErrDuration
	case !c.Account.Habilitated(s.now()):
		problemMsg = account.ErrNotHabilitated
	}
	if problemMsg != nil {
		s.renderMandateNew(w, r, c, http.StatusBadRequest, procs, days, problem.MessageOf(problemMsg), "")
		return
	}
	draft := mandateDraft{OrganisationID: c.Current.Organisation.ID, Procedures: procs, DurationDays: days, StartedAt: s.now()}
	if err := s.saveDraft(w, r, draft); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.beginIdentification(w, r, purposeMandate)
}

func (s *Server) saveDraft(w http.ResponseWriter, r *http.Request, d mandateDraft) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	sess, err := s.sessions.Session(r)
	if err != nil {
		return err
	}
	sess.Values[keyMandateDraft] = string(b)
	return s.sessions.Save(r, w, sess)
}

// loadDraft returns the caller's draft for their current organisation, if
// recent.
func (s *Server) loadDraft(r *http.Request, c caller) (mandateDraft, error) {
	sess, err := s.sessions.Session(r)
	if err != nil {
		return mandateDraft{}, err
	}
	var d mandateDraft
	encoded, _ := sess.Values[keyMandateDraft].(string)
	if encoded == "" || json.Unmarshal([]byte(encoded), &d) != nil ||
		d.OrganisationID != c.Current.Organisation.ID || s.now().Sub(d.StartedAt) > draftTTL {
		return mandateDraft{}, errNoDraft
	}
	return d, nil
}

// mandateUsagerIdentified continues the creation after FranceConnect: the
// usager is recorded (by the aidant) and attached to the draft with the
// evidence, then the FranceConnect session is ended and the recap shown.
func (s *Server) mandateUsagerIdentified(w http.ResponseWriter, r *http.Request, id identity.Identity, ev franceconnect.Evidence) {
	c, ok := s.requireAidant(w, r)
	if !ok {
		return
	}
	d, err := s.loadDraft(r, c)
	if err != nil {
		s.identificationFailed(w, r, purposeMandate, err)
		return
	}
	u, err := s.usagers.Identify(r.Context(), audit.ActorAidant, c.Account.ID, id, usager.ContextMandate)
	if err != nil {
		s.identificationFailed(w, r, purposeMandate, err)
		return
	}
	d.UsagerID, d.IDToken, d.IDTokenSHA256 = u.ID, ev.IDToken, ev.IDTokenSHA256
	if len(ev.JWKS) > 0 {
		// The provider's keys that verified the ID token, kept as evidence
		// for as long as the mandate's (idempotent: one row per key set).
		if d.JWKSSHA256, err = s.mandates.ArchiveProviderKeys(r.Context(), []byte(ev.JWKS)); err != nil {
			s.identificationFailed(w, r, purposeMandate, err)
			return
		}
	}
	if err := s.saveDraft(w, r, d); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.endFranceConnectSession(w, r, ev.IDToken, PathMandateRecap)
}

// handleMandateRecapPage shows the recap, the text, the consent and the
// TOTP field.
func (s *Server) handleMandateRecapPage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.requireAidant(w, r)
	if !ok {
		return
	}
	s.renderRecap(w, r, c, http.StatusOK, "", nil)
}

func (s *Server) renderRecap(w http.ResponseWriter, r *http.Request, c caller, status int, message string, form url.Values) {
	d, err := s.loadDraft(r, c)
	if err == nil && d.UsagerID == "" {
		err = errNoDraft
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	u, err := s.usagers.Get(r.Context(), d.UsagerID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	text := mandate.CurrentMandateText()
	duration, _ := mandate.DurationByDays(d.DurationDays)
	page := &templates.MandateRecapPage{
		Layout:     templates.Layout{Title: "Récapitulatif du mandat"},
		UsagerName: u.Name(), UsageName: u.PreferredUsername, Birthdate: bornOn(u.Birthdate), Organisation: c.Current.Organisation.Name,
		SIRET: c.Current.Organisation.SIRET, AidantName: c.Account.Name(), Duration: duration.Label,
		TextVersion: text.Version, Error: message,
		FranceConnectEmail: u.Email, Notify: form.Get("notify") == "1", NotifyEmail: form.Get("notify_email"),
	}
	// As mandate.Registry.Create computes it: whole days of 24 hours.
	now := s.now()
	end := now.Add(time.Duration(d.DurationDays) * 24 * time.Hour)
	page.ExpiresAt, page.EndNote = mandate.FrenchParisDateTime(end, paris()), mandate.DaylightSavingNote(now, end, paris())
	for _, id := range d.Procedures {
		if p, ok := procedure.ByID(id); ok {
			page.Procedures = append(page.Procedures, templates.ProcedureView{ID: p.ID, Label: p.Label, Warning: p.Warning})
		}
	}
	for _, b := range text.Blocks() {
		page.Text = append(page.Text, templates.TextBlock{Kind: blockKinds[b.Kind], Text: b.Text})
	}
	s.render(w, r, status, page)
}

// handleMandateSign signs the mandate: consent, TOTP, and the registry's
// one transaction.
func (s *Server) handleMandateSign(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	c, ok := s.requireAidant(w, r)
	if !ok {
		return
	}
	d, err := s.loadDraft(r, c)
	if err == nil && d.UsagerID == "" {
		err = errNoDraft
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	m, err := s.mandates.Create(r.Context(), mandate.NewMandate{
		OrganisationID: c.Current.Organisation.ID, AidantID: c.Account.ID, UsagerID: d.UsagerID,
		Procedures: d.Procedures, DurationDays: d.DurationDays, FCIDToken: d.IDToken, FCIDTokenSHA256: d.IDTokenSHA256,
		FCJWKSSHA256: d.JWKSSHA256,
		TextVersion:  form.Get("text_version"), Consent: form.Get("consent") == "1", NotifyUsager: form.Get("notify") == "1",
		NotifyEmail: form.Get("notify_email"), TOTPCode: form.Get("code"),
	})
	if err != nil {
		if code := problem.CodeOf(err); code == problem.Invalid || code == problem.Forbidden {
			s.renderRecap(w, r, c, http.StatusBadRequest, problem.MessageOf(err), form)
			return
		}
		s.serveError(w, r, err)
		return
	}
	sess, err := s.sessions.Session(r)
	if err == nil {
		delete(sess.Values, keyMandateDraft)
		err = s.sessions.Save(r, w, sess)
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathMandate(m.ID)+"?cree=1", http.StatusSeeOther)
}
