package web

import (
	"net/http"

	"procura/audit"
	"procura/authz"
)

// routes is the route table: every URL the server answers is listed here,
// its path from paths.go.
//
// Two groups:
//   - pages: what people use in a browser. Every unsafe request (POST…) to
//     them must carry the session's CSRF token and come from our origin.
//   - exempt groups, mounted on root beside pages: endpoints that other
//     programs call and that authenticate otherwise (OIDC token,
//     revocation and introspection endpoints use client credentials).
//
// A request for an unknown path or a known path with the wrong method gets
// the French 404 or 405 page, before any CSRF check or handler runs.
func (s *Server) routes() http.Handler {
	s.pages = http.NewServeMux()
	s.pages.HandleFunc("GET /{$}", s.handleHome)
	s.pages.HandleFunc("GET "+PathStatic, s.handleStatic)
	s.pages.HandleFunc("GET "+PathHealthz, s.handleHealthz)
	s.pages.HandleFunc("GET "+PathReadyz, s.handleReadyz)
	s.pages.HandleFunc("POST "+PathSignOut, s.handleSignOut)

	// Aidants and managers: sign-in, TOTP enrolment, home, organisation switch.
	s.pages.HandleFunc("GET "+PathSignIn, s.handleSignInPage)
	s.pages.HandleFunc("POST "+PathSignIn, s.handleSignIn)
	s.pages.HandleFunc("GET "+PathPasswordForgotten, s.handlePasswordForgottenPage)
	s.pages.HandleFunc("POST "+PathPasswordForgotten, s.handlePasswordForgotten)
	s.pages.HandleFunc("GET "+PathPasswordReset, s.handlePasswordResetPage)
	s.pages.HandleFunc("POST "+PathPasswordReset, s.handlePasswordReset)
	s.pages.HandleFunc("GET "+PathEnrol, s.handleEnrolPage)
	s.pages.HandleFunc("POST "+PathEnrol, s.handleEnrol)
	s.pages.HandleFunc("POST "+PathEnrolCard, s.handleEnrolCard)
	s.pages.HandleFunc("GET "+PathAidantHome, s.handleAidantHome)
	s.pages.HandleFunc("POST "+PathSwitchOrganisation, s.handleSwitchOrganisation)

	// The manager space (manager.go's table), and the invitation link an
	// invited person opens.
	for _, rt := range s.managerRoutes() {
		s.pages.HandleFunc(rt.pattern, rt.handler)
	}
	s.pages.HandleFunc("GET "+PathInvitation("{token}"), s.handleInvitationPage)
	s.pages.HandleFunc("POST "+PathInvitation("{token}"), s.handleInvitationAccept)

	// Mandates: creation (procedures and duration → FranceConnect →
	// recap and signature), list, detail, renewal, revocation,
	// attestations; the public verification of a signature.
	s.pages.HandleFunc("GET "+PathMandateNew, s.handleMandateNewPage)
	s.pages.HandleFunc("POST "+PathMandateNew, s.handleMandateNew)
	s.pages.HandleFunc("GET "+PathMandateRecap, s.handleMandateRecapPage)
	s.pages.HandleFunc("POST "+PathMandateRecap, s.handleMandateSign)
	s.pages.HandleFunc("GET "+PathUsagers, s.handleUsagers)
	s.pages.HandleFunc("GET "+PathMandate("{id}"), s.handleMandate)
	s.pages.HandleFunc("GET "+PathMandateRevoke("{id}"), s.handleRevokeConfirm)
	s.pages.HandleFunc("POST "+PathMandateRevoke("{id}"), s.handleRevoke)
	s.pages.HandleFunc("POST "+PathMandateRenew("{id}"), s.handleRenew)
	s.pages.HandleFunc("GET "+PathMandateAttestation("{id}"), s.handleMandateAttestation)
	s.pages.HandleFunc("GET "+PathRevocationAttestation("{id}"), s.handleRevocationAttestation)
	s.pages.HandleFunc("GET "+PathVerify, s.handleVerify)
	s.pages.HandleFunc("GET "+PathVerifyMandate("{id}"), s.handleVerifyStored)
	s.pages.HandleFunc("GET "+MandateKeysPath, s.handleMandateKeys)

	// Usagers: identification with FranceConnect, their space.
	s.pages.HandleFunc("GET "+PathUsagerLanding, s.handleUsagerLanding)
	s.pages.HandleFunc("POST "+PathUsagerSignIn, s.handleUsagerSignIn)
	s.pages.HandleFunc("GET "+PathUsagerSpace, s.handleUsagerSpace)
	s.pages.HandleFunc("POST "+PathUsagerSignOut, s.handleUsagerSignOut)
	s.pages.HandleFunc("GET "+PathUsagerMandateRevoke("{id}"), s.handleUsagerRevokeConfirm)
	s.pages.HandleFunc("POST "+PathUsagerMandateRevoke("{id}"), s.handleUsagerRevoke)
	s.pages.HandleFunc("GET "+PathUsagerMandateAttestation("{id}"), s.handleUsagerMandateAttestation)
	s.pages.HandleFunc("GET "+PathUsagerRevocationAttestation("{id}"), s.handleUsagerRevocationAttestation)
	s.pages.HandleFunc("GET "+PathActReceipt("{id}"), s.handleActReceipt)
	s.pages.HandleFunc("GET "+PathNotMe, s.handleNotMePage)
	s.pages.HandleFunc("POST "+PathNotMe, s.handleNotMeIdentify)
	s.pages.HandleFunc("GET "+PathNotMeConfirm, s.handleNotMeConfirmPage)
	s.pages.HandleFunc("POST "+PathNotMeConfirm, s.handleNotMeConfirm)
	s.pages.HandleFunc("GET "+PathUnsubscribe, s.handleUnsubscribePage)
	s.pages.HandleFunc("POST "+PathUsagerStopEmails, s.handleUsagerStopEmail)

	// The journal, public: what its checkpoints are, and a receipt check.
	s.pages.HandleFunc("GET "+PathJournal, s.handleJournalPage)

	// The legal notice, the personal-data page, the accessibility statement.
	s.pages.HandleFunc("GET "+PathLegalNotice, s.handleLegalNotice)
	s.pages.HandleFunc("GET "+PathPersonalData, s.handlePersonalData)
	s.pages.HandleFunc("GET "+PathAccessibility, s.handleAccessibility)
	s.pages.HandleFunc("GET "+PathFranceConnectCallback, s.handleFranceConnectCallback)
	s.pages.HandleFunc("GET "+PathFranceConnectLogout, s.handleFranceConnectLogoutReturn)

	// The delegated login's pages: the choice of usager and procedure, and
	// the confirmation of a sign-out a service asked for.
	s.pages.HandleFunc("GET "+PathChoice, s.handleChoicePage)
	s.pages.HandleFunc("POST "+PathChoice, s.handleChoice)
	s.pages.HandleFunc("POST "+PathOIDCLogoutConfirm, s.handleOIDCLogoutConfirm)

	s.root = http.NewServeMux()
	s.root.Handle("/", s.routed(s.pages, true))

	// The OpenID Provider's endpoints, exempt from CSRF: services call
	// them (token, revocation, introspection authenticate the client) or
	// send the browser there (authorization and logout requests may be
	// POSTed by a service's page).
	oidc := http.NewServeMux()
	s.provider.Register(oidc)
	oidc.HandleFunc("GET "+authz.PathAuthorize, s.handleAuthorize)
	oidc.HandleFunc("POST "+authz.PathAuthorize, s.handleAuthorize)
	oidc.HandleFunc("GET "+authz.PathLogout, s.handleOIDCLogout)
	oidc.HandleFunc("POST "+authz.PathLogout, s.handleOIDCLogout)
	// The journal in the C2SP tlog-tiles layout: read-only, public,
	// cacheable, for independent verifiers (audit.TilesHandler).
	tiles := http.StripPrefix("/journal", audit.TilesHandler(s.journal))
	s.root.Handle("/journal/checkpoint", tiles)
	s.root.Handle("/journal/tile/", tiles)

	// Stopping a usager's messages by the link of a message: a mail
	// client's one-click POST has no session (RFC 8058); the link's token
	// is the credential (usager_email.go).
	unsubscribe := http.NewServeMux()
	unsubscribe.HandleFunc("POST "+PathUnsubscribe, s.handleUnsubscribe)
	s.root.Handle("POST "+PathUnsubscribe, s.routed(unsubscribe, false))

	exempt := s.routed(oidc, false)
	for _, path := range []string{authz.PathDiscovery, authz.PathJWKS, authz.PathAuthorize, authz.PathToken,
		authz.PathUserinfo, authz.PathRevoke, authz.PathIntrospect, authz.PathLogout} {
		s.root.Handle(path, exempt)
	}

	return s.root
}

// routed serves mux, answering unknown routes with the 404 or 405 page and,
// when csrf is set, checking the CSRF token of unsafe requests before the
// route's handler runs.
func (s *Server) routed(mux *http.ServeMux, csrf bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if route, ok := r.Context().Value(routeKey{}).(*routeOf); ok {
			route.pattern = pattern
		}
		if pattern == "" {
			// ServeMux's own 404 or 405 handler: keep its status and Allow
			// header, show our page.
			rec := &statusOnly{header: http.Header{}}
			h.ServeHTTP(rec, r)
			if rec.status == http.StatusMethodNotAllowed {
				w.Header().Set("Allow", rec.header.Get("Allow"))
				s.serveError(w, r, errMethodNotAllowed)
				return
			}
			s.serveError(w, r, errNotFound)
			return
		}
		if csrf {
			if err := s.checkCSRF(r); err != nil {
				if !s.postAfterSessionEnd(w, r, err) {
					s.serveError(w, r, err)
				}
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// statusOnly records the status and headers a handler writes, and drops
// its body.
type statusOnly struct {
	header http.Header
	status int
}

func (w *statusOnly) Header() http.Header { return w.header }

func (w *statusOnly) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *statusOnly) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}
