package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"procura/account"
	"procura/db"
	"procura/db/dbtest"
)

var invitationLink = regexp.MustCompile(`id="invitation-link">[^<]*?(/invitation/[A-Za-z0-9_-]+)<`)

// The invitation journey over HTTP: the manager invites, the person sets
// a password and enrols, the manager records the habilitation, and the
// person may then act as an aidant.
func TestInvitationJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		org, _ := e.orgAndAidant(true)
		manager := e.addAccount(org.ID, account.RoleManager)
		mc := e.signInAidant(manager)
		if _, home := e.follow(mc, PathAidantHome); !strings.Contains(home, `href="/responsable"`) {
			t.Error("the manager's home does not lead to the manager space")
		}
		tok := e.pageToken(mc, PathManagerNewMember)
		// A refused form keeps what was typed.
		resp, body := e.post(mc, PathManagerInvitations, url.Values{"csrf_token": {tok}, "email": {"pas-une-adresse"},
			"given_name": {"Inès"}, "family_name": {"Nouvelle"}, "role": {"aidant"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "L&#39;adresse électronique n&#39;est pas valide") ||
			!strings.Contains(body, `value="Nouvelle"`) {
			t.Fatalf("bad email = %d", resp.StatusCode)
		}
		resp, body = e.post(mc, PathManagerInvitations, url.Values{"csrf_token": {tok}, "email": {"ines@example.fr"},
			"given_name": {"Inès"}, "family_name": {"Nouvelle"}, "role": {"aidant"}})
		m := invitationLink.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(body, "Le lien est envoyé par courriel à") {
			t.Fatalf("invitation = %d %s", resp.StatusCode, body)
		}
		link := m[1]
		// The link is also sent by email, in the invitation's transaction;
		// the refused form sent nothing.
		if sent := e.mailTo("ines@example.fr", "invitation"); len(sent) != 1 || !strings.Contains(sent[0].Message.Text, link) ||
			!strings.Contains(sent[0].Message.Subject, org.Name) || len(e.mailTo("pas-une-adresse", "invitation")) != 0 {
			t.Fatalf("invitation messages: %+v", sent)
		}

		p := e.newClient()
		resp, body = e.do(p, http.MethodGet, link, nil, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Bienvenue Inès") {
			t.Fatalf("invitation page = %d", resp.StatusCode)
		}
		ptok := csrfInput.FindStringSubmatch(body)[1]
		resp, body = e.post(p, link, url.Values{"csrf_token": {ptok}, "password": {"correct horse battery"}, "confirm": {"correct horse"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "pas identiques") {
			t.Fatalf("mismatch = %d", resp.StatusCode)
		}
		resp, _ = e.post(p, link, url.Values{"csrf_token": {ptok}, "password": {"correct horse battery"}, "confirm": {"correct horse battery"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != PathEnrol {
			t.Fatalf("accept = %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = e.do(p, http.MethodGet, PathEnrol, nil, nil)
		secret := secretPattern.FindStringSubmatch(body)[1]
		resp, _ = e.post(p, PathEnrol, url.Values{"csrf_token": {csrfInput.FindStringSubmatch(body)[1]}, "code": {e.totp(secret)}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("enrolment = %d", resp.StatusCode)
		}
		if _, home := e.follow(p, PathAidantHome); !strings.Contains(home, "pas habilité comme aidant") {
			t.Error("the new aidant is told nothing about their habilitation")
		}
		// The link is used up.
		if resp, body := e.do(e.newClient(), http.MethodGet, link, nil, nil); resp.StatusCode != http.StatusGone || !strings.Contains(body, "déjà été utilisé") {
			t.Errorf("used link = %d", resp.StatusCode)
		}

		// The manager finds them and records their habilitation.
		_, list := e.follow(mc, PathManagerAidants+"?q=nouv")
		id := regexp.MustCompile(`href="/responsable/aidants/([0-9a-f-]{36})"`).FindStringSubmatch(list)
		if id == nil || !strings.Contains(list, "ines@example.fr") {
			t.Fatalf("team list: %s", list)
		}
		resp, body = e.post(mc, PathManagerHabilitation(id[1]), url.Values{"csrf_token": {tok}, "trained_on": {"31/02/2026"}, "months": {"12"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `value="31/02/2026"`) {
			t.Errorf("bad date = %d", resp.StatusCode)
		}
		resp, _ = e.post(mc, PathManagerHabilitation(id[1]), url.Values{"csrf_token": {tok}, "trained_on": {"2026-03-01"}, "months": {"12"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("habilitation = %d", resp.StatusCode)
		}
		if _, home := e.follow(p, PathAidantHome); !strings.Contains(home, "Nouveau mandat") {
			t.Error("the habilitated aidant cannot create mandates")
		}

		// An expired link says so.
		_, body = e.post(mc, PathManagerInvitations, url.Values{"csrf_token": {tok}, "email": {"tard@example.fr"},
			"given_name": {"Léa"}, "family_name": {"Tard"}, "role": {"aidant"}})
		late := invitationLink.FindStringSubmatch(body)
		if late == nil {
			t.Fatal("no second invitation link")
		}
		e.clock.Advance(account.InvitationTTL + time.Minute)
		if resp, body := e.do(e.newClient(), http.MethodGet, late[1], nil, nil); resp.StatusCode != http.StatusGone || !strings.Contains(body, "a expiré") {
			t.Errorf("expired link = %d", resp.StatusCode)
		}
		if resp, _ := e.do(e.newClient(), http.MethodGet, "/invitation/nimporte-quoi-mais-assez-long", nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown link = %d", resp.StatusCode)
		}
	})
}

// A manager's deactivation ends the aidant's live session at once.
func TestDeactivationEndsLiveSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		org, aidant := e.orgAndAidant(true)
		manager := e.addAccount(org.ID, account.RoleManager)
		ac := e.signInAidant(aidant)
		if e.whoami(ac) != aidant.Account.ID {
			t.Fatal("aidant not signed in")
		}
		mc := e.signInAidant(manager)
		tok := e.pageToken(mc, PathManagerAidant(aidant.Account.ID))
		resp, _ := e.post(mc, PathManagerDeactivate(aidant.Account.ID), url.Values{"csrf_token": {tok}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("deactivate = %d", resp.StatusCode)
		}
		if who := e.whoami(ac); who != "anonymous" {
			t.Errorf("the deactivated aidant's session lives on (%s)", who)
		}
		if resp, _ := e.do(ac, http.MethodGet, PathAidantHome, nil, nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("home after deactivation = %d, want a redirect to sign-in", resp.StatusCode)
		}
		// The manager cannot deactivate themselves, nor leave the
		// organisation without a manager.
		resp, body := e.post(mc, PathManagerRemove(manager.Account.ID), url.Values{"csrf_token": {tok}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "au moins un responsable") {
			t.Errorf("last manager leaves = %d", resp.StatusCode)
		}
	})
}

// Settings: a narrowed list keeps the form, and a manager who is not an
// aidant is told they cannot act for usagers.
func TestManagerSettingsPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		org, _ := e.orgAndAidant(true)
		manager := e.addAccount(org.ID, account.RoleManager)
		mc := e.signInAidant(manager)
		resp, body := e.follow(mc, PathManagerSettings)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, org.SIRET) || !strings.Contains(body, "sans rôle d&#39;aidant") {
			t.Fatalf("settings = %d", resp.StatusCode)
		}
		tok := csrfInput.FindStringSubmatch(body)[1]
		resp, body = e.post(mc, PathManagerSettings, url.Values{"csrf_token": {tok}, "name": {"Nouveau nom"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "au moins une démarche") || !strings.Contains(body, `value="Nouveau nom"`) {
			t.Errorf("no procedure = %d", resp.StatusCode)
		}
		resp, _ = e.post(mc, PathManagerSettings, url.Values{"csrf_token": {tok}, "name": {"Nouveau nom"}, "procedure": {"papiers", "social"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save = %d", resp.StatusCode)
		}
		if _, body := e.follow(mc, PathManager); !strings.Contains(body, "Nouveau nom") {
			t.Error("dashboard does not show the new name")
		}
	})
}

// A card imported by the operator, linked by the manager once the aidant
// typed a code from it, signs the aidant in; its codes are single-use.
func TestCardLinkAndSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		const seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
		serial := "W-" + strings.ReplaceAll(time.Now().Format("150405.000000000"), ".", "")
		if _, err := e.srv.directory.ImportCards(context.Background(), account.Operator, []account.CardImport{{Serial: serial, Seed: seed}}); err != nil {
			t.Fatal(err)
		}
		org, aidant := e.orgAndAidant(false)
		manager := e.addAccount(org.ID, account.RoleManager)
		mc := e.signInAidant(manager)
		tok := e.pageToken(mc, PathManagerAidant(aidant.Account.ID))
		resp, body := e.post(mc, PathManagerCardLink(aidant.Account.ID), url.Values{"csrf_token": {tok}, "serial": {serial}, "code": {"000000"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `value="`+serial+`"`) {
			t.Fatalf("wrong card code = %d", resp.StatusCode)
		}
		resp, _ = e.post(mc, PathManagerCardLink(aidant.Account.ID), url.Values{"csrf_token": {tok}, "serial": {serial}, "code": {e.totp(seed)}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("link = %d", resp.StatusCode)
		}
		if _, page := e.follow(mc, PathManagerAidant(aidant.Account.ID)); !strings.Contains(page, serial) {
			t.Error("the member page does not show the card")
		}
		e.clock.Advance(30 * time.Second)
		code := e.totp(seed)
		c := e.newClient()
		form := url.Values{"csrf_token": {e.pageToken(c, PathSignIn)}, "email": {aidant.Account.Email}, "password": {"correct horse battery"}, "code": {code}}
		if resp, _ := e.post(c, PathSignIn, form); resp.StatusCode != http.StatusSeeOther || e.whoami(c) != aidant.Account.ID {
			t.Fatalf("sign-in with the card = %d", resp.StatusCode)
		}
		c2 := e.newClient()
		form.Set("csrf_token", e.pageToken(c2, PathSignIn))
		if resp, _ := e.post(c2, PathSignIn, form); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("card code replayed = %d, want 401", resp.StatusCode)
		}
	})
}

// An invited person without a smartphone enrols a TOTP card instead of
// an app, then signs in with the card's codes.
func TestInvitationWithCard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		const seed = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"
		serial := "E-" + strings.ReplaceAll(time.Now().Format("150405.000000000"), ".", "")
		if _, err := e.srv.directory.ImportCards(context.Background(), account.Operator, []account.CardImport{{Serial: serial, Seed: seed}}); err != nil {
			t.Fatal(err)
		}
		org, _ := e.orgAndAidant(true)
		manager := e.addAccount(org.ID, account.RoleManager)
		issued, err := e.srv.directory.Invite(context.Background(), account.Manager{AccountID: manager.Account.ID, OrganisationID: org.ID},
			account.NewInvitation{Email: "carte@example.fr", GivenName: "Paul", FamilyName: "Carte", Roles: []account.Role{account.RoleAidant}})
		if err != nil {
			t.Fatal(err)
		}
		p := e.newClient()
		ptok := e.pageToken(p, PathInvitation(issued.Token))
		resp, _ := e.post(p, PathInvitation(issued.Token), url.Values{"csrf_token": {ptok}, "password": {"correct horse battery"}, "confirm": {"correct horse battery"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("accept = %d", resp.StatusCode)
		}
		tok := e.pageToken(p, PathEnrol)
		resp, body := e.post(p, PathEnrolCard, url.Values{"csrf_token": {tok}, "serial": {serial}, "code": {"000000"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `value="`+serial+`"`) || !strings.Contains(body, "ne correspond pas") {
			t.Fatalf("wrong card code = %d", resp.StatusCode)
		}
		resp, _ = e.post(p, PathEnrolCard, url.Values{"csrf_token": {tok}, "serial": {serial}, "code": {e.totp(seed)}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("card enrolment = %d", resp.StatusCode)
		}
		if e.whoami(p) != issued.Account.ID {
			t.Error("not signed in after the card enrolment")
		}
		e.clock.Advance(30 * time.Second)
		c := e.newClient()
		form := url.Values{"csrf_token": {e.pageToken(c, PathSignIn)}, "email": {"carte@example.fr"}, "password": {"correct horse battery"}, "code": {e.totp(seed)}}
		if resp, _ := e.post(c, PathSignIn, form); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("sign-in with the card = %d", resp.StatusCode)
		}
	})
}

// A manager who is not an aidant is told why where they try to act for a
// usager.
func TestManagerNotAidantIsToldWhy(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	org, _ := e.orgAndAidant(true)
	mc := e.signInAidant(e.addAccount(org.ID, account.RoleManager))
	resp, body := e.follow(mc, PathMandateNew)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "sans rôle d&#39;aidant") {
		t.Errorf("new mandate as a manager = %d", resp.StatusCode)
	}
	if _, home := e.follow(mc, PathAidantHome); !strings.Contains(home, "sans rôle d&#39;aidant") && !strings.Contains(home, "sans rôle d'aidant") {
		t.Error("the home does not say why")
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-03-01", "01/03/2026", "31/02/2026", "", "2026-13-01", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDate(s)
		if err == nil && d.IsZero() {
			t.Errorf("parseDate(%q) = zero time, no error", s)
		}
		if _, err := parseMonths(s); err != nil && err != errMonths {
			t.Errorf("parseMonths(%q): %v", s, err)
		}
	})
}
