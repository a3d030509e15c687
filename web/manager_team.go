package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"procura/account"
	"procura/problem"
	"procura/templates"
)

// teamStatuses are the situations a team list filters on, in French.
var teamStatuses = []struct{ value, label string }{
	{"", "Toutes"},
	{"habilitated", "Habilité"},
	{"expiring", "Habilitation finissant sous 30 jours"},
	{"not_habilitated", "Non habilité"},
	{"manager", "Responsable (non aidant)"},
	{"deactivated", "Désactivé"},
	{"invited", "Invitation en attente"},
}

func statusLabel(status string) string {
	for _, st := range teamStatuses {
		if st.value == status {
			return st.label
		}
	}
	return status
}

func rolesLabel(roles []account.Role) string {
	var out []string
	for _, r := range roles {
		out = append(out, roleLabels[r])
	}
	return strings.Join(out, ", ")
}

func frenchDate(t *time.Time) string {
	if t == nil {
		return ""
	}
	return frenchDay(*t)
}

// handleManagerAidants lists the team, filtered, and the open invitations.
func (s *Server) handleManagerAidants(w http.ResponseWriter, r *http.Request) {
	form, mc, ok := s.managerForm(w, r)
	if !ok {
		return
	}
	f := account.TeamFilter{Query: form.Get("q"), Status: form.Get("statut")}
	members, err := s.directory.Team(r.Context(), mc.m, f)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	invitations, err := s.directory.Invitations(r.Context(), mc.m)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	now := s.now()
	page := &templates.ManagerAidantsPage{Layout: templates.Layout{Title: "Équipe"}, Nav: s.nav(mc, "aidants"), Query: f.Query,
		Notice: managerNotices[form.Get("fait")]}
	for _, st := range teamStatuses {
		page.Statuses = append(page.Statuses, templates.StatusOption{Value: st.value, Label: st.label, Selected: st.value == f.Status})
	}
	for _, t := range members {
		page.Members = append(page.Members, templates.TeamRow{ID: t.ID, Name: t.Name(), Email: t.Email, Roles: rolesLabel(t.Roles),
			Status: t.Status(now), StatusLabel: statusLabel(t.Status(now)), Until: frenchDate(t.HabilitatedUntil)})
	}
	for _, inv := range invitations {
		page.Invitations = append(page.Invitations, templates.InvitationRow{ID: inv.ID, Name: inv.Account.Name(), Email: inv.Account.Email,
			ExpiresAt: frenchMoment(inv.ExpiresAt), Expired: inv.Expired(now)})
	}
	s.render(w, r, http.StatusOK, page)
}

// managerNotices are the confirmations shown after an act (?fait=…).
var managerNotices = map[string]string{
	"habilitation":  "L'habilitation est enregistrée.",
	"prolongee":     "L'habilitation est prolongée.",
	"terminee":      "L'habilitation a pris fin.",
	"desactive":     "Le compte est désactivé ; ses sessions ont pris fin.",
	"reactive":      "Le compte est réactivé.",
	"role":          "Les rôles sont modifiés.",
	"retire":        "La personne ne fait plus partie de votre organisation.",
	"totp":          "Le code à usage unique est réinitialisé : la personne configurera une application à sa prochaine connexion.",
	"carte":         "La carte TOTP est associée.",
	"carte_retiree": "La carte TOTP est retirée.",
	"ajoute":        "Le compte est ajouté à votre organisation.",
	"annulee":       "L'invitation est annulée.",
}

// handleManagerAidant shows one member of the team.
func (s *Server) handleManagerAidant(w http.ResponseWriter, r *http.Request) {
	form, mc, ok := s.managerForm(w, r)
	if !ok {
		return
	}
	s.renderMember(w, r, mc, r.PathValue("id"), http.StatusOK, nil, url.Values{}, managerNotices[form.Get("fait")])
}

// renderMember shows the member page, with the refusal of a form and what
// was typed in it when refused is set.
func (s *Server) renderMember(w http.ResponseWriter, r *http.Request, mc managerCaller, id string, status int, refused error,
	typed url.Values, notice string) {
	t, err := s.directory.Member(r.Context(), mc.m, id)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	now := s.now()
	page := &templates.ManagerAidantPage{
		Layout: templates.Layout{Title: t.Name()}, Nav: s.nav(mc, "aidants"),
		ID: t.ID, Name: t.Name(), Email: t.Email, Roles: rolesLabel(t.Roles), IsAidant: t.Has(account.RoleAidant),
		IsManager: t.Has(account.RoleManager), Self: t.ID == mc.Account.ID, Active: t.Active, Pending: t.Pending,
		Habilitated: t.Habilitated(now), HabilitatedUntil: frenchDate(t.HabilitatedUntil), TrainedOn: frenchDate(t.TrainedOn),
		Status: t.Status(now), StatusLabel: statusLabel(t.Status(now)), HasTOTP: t.HasTOTP, CardSerial: t.CardSerial, Notice: notice,
		TrainedOnInput: typed.Get("trained_on"), MonthsInput: typed.Get("months"), SerialInput: typed.Get("serial"),
	}
	if page.MonthsInput == "" {
		page.MonthsInput = strconv.Itoa(account.DefaultHabilitationMonths)
	}
	if refused != nil {
		page.Error = problem.MessageOf(refused)
	}
	s.render(w, r, status, page)
}

// memberAct is the handler of an act on one member: parse the form, call
// the domain, then show the member again (or the team, once removed). A
// refusal the manager can fix shows the member page with its message and
// what was typed; anything else (another organisation's id: 404) the
// error page.
func (s *Server) memberAct(act func(ctx context.Context, d *account.Directory, m account.Manager, id string, form url.Values) error,
	done string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		form, err := parseForm(r, s.settings.MaxBodyBytes)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		mc, ok := s.loadManager(w, r)
		if !ok {
			return
		}
		id := r.PathValue("id")
		if err := act(r.Context(), s.directory, mc.m, id, form); err != nil {
			switch problem.CodeOf(err) {
			case problem.Invalid:
				s.renderMember(w, r, mc, id, http.StatusBadRequest, err, form, "")
			case problem.Conflict:
				s.renderMember(w, r, mc, id, http.StatusConflict, err, form, "")
			default:
				s.serveError(w, r, err)
			}
			return
		}
		if id == mc.Account.ID && (done == "retire" || done == "role") {
			// The manager may have left the manager space.
			http.Redirect(w, r, PathAidantHome, http.StatusSeeOther)
			return
		}
		if done == "retire" {
			http.Redirect(w, r, PathManagerAidants+"?fait="+done, http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, PathManagerAidant(id)+"?fait="+done, http.StatusSeeOther)
	}
}

var errTrainingDate = problem.New(problem.Invalid, "Saisissez la date de formation au format JJ/MM/AAAA.")
var errMonths = problem.New(problem.Invalid, "Saisissez une durée de validité en mois, entre 1 et 36.")

// parseDate reads a date typed in a date field (YYYY-MM-DD) or by hand
// (DD/MM/YYYY), at midnight Paris time.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02/01/2006"} {
		if t, err := time.ParseInLocation(layout, s, paris()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errTrainingDate
}

func parseMonths(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, errMonths
	}
	return n, nil
}

func recordHabilitation(ctx context.Context, d *account.Directory, m account.Manager, id string, form url.Values) error {
	trained, err := parseDate(form.Get("trained_on"))
	if err != nil {
		return err
	}
	months, err := parseMonths(form.Get("months"))
	if err != nil {
		return err
	}
	return d.RecordHabilitation(ctx, m, id, trained, months)
}

func extendHabilitation(ctx context.Context, d *account.Directory, m account.Manager, id string, form url.Values) error {
	months, err := parseMonths(form.Get("months"))
	if err != nil {
		return err
	}
	return d.ExtendHabilitation(ctx, m, id, months)
}

func endHabilitation(ctx context.Context, d *account.Directory, m account.Manager, id string, _ url.Values) error {
	return d.EndHabilitation(ctx, m, id)
}

func deactivateMember(ctx context.Context, d *account.Directory, m account.Manager, id string, _ url.Values) error {
	return d.DeactivateMember(ctx, m, id)
}

func reactivateMember(ctx context.Context, d *account.Directory, m account.Manager, id string, _ url.Values) error {
	return d.ReactivateMember(ctx, m, id)
}

func setRole(ctx context.Context, d *account.Directory, m account.Manager, id string, form url.Values) error {
	return d.SetRole(ctx, m, id, account.Role(form.Get("role")), form.Get("on") == "1")
}

func removeMember(ctx context.Context, d *account.Directory, m account.Manager, id string, _ url.Values) error {
	return d.RemoveMember(ctx, m, id)
}

func resetTOTP(ctx context.Context, d *account.Directory, m account.Manager, id string, _ url.Values) error {
	return d.ResetTOTP(ctx, m, id)
}

func linkCard(ctx context.Context, d *account.Directory, m account.Manager, id string, form url.Values) error {
	return d.LinkCard(ctx, m, id, form.Get("serial"), strings.TrimSpace(form.Get("code")))
}

func unlinkCard(ctx context.Context, d *account.Directory, m account.Manager, id string, _ url.Values) error {
	return d.UnlinkCard(ctx, m, id)
}
