package authz

import (
	"context"
	"procura/identity"
	"time"

	"procura/audit"
	"procura/problem"
	"procura/procedure"
)

// Delegation is one delegated login: an aidant signs in to a service as a
// usager, under one permission (DESIGN.md §1). Grant receives it from the
// web layer; it is stored with the code and every token issued from it, and
// handed back to the PermissionChecker at each later step.
type Delegation struct {
	AidantID string
	// UsagerID is the usager's pseudonym, never shown to a service as is.
	UsagerID          string
	OrganisationID    string
	OrganisationSIRET string
	PermissionID      string
	MandateID         string
	// Procedure is the procedure id chosen for this login.
	Procedure string
	// ProcedureLabel is the procedure's FranceConnect rep_scope value,
	// sent in the rep_scope claim. Grant fills it from the catalogue.
	ProcedureLabel string
	// AuthTime is when the aidant last authenticated (password and TOTP).
	AuthTime time.Time
	// ACR is the authentication context class; "" means eidas1, the only
	// one Procura asserts.
	ACR string
	// AMR lists the authentication methods (RFC 8176), e.g. pwd, otp, mfa.
	AMR []string
	// SessionID optionally names the aidant's web session (never the
	// cookie value): sent as the sid claim, and given back by ParseLogout
	// so that the web layer knows which session a logout ends.
	SessionID string
	// NotifyUsager says the usager asked, when signing the mandate, to be
	// told by email of each login in their name (ResolvePermission fills it).
	NotifyUsager bool
}

// LoginNotice is a delegated login a usager asked to be told of.
type LoginNotice struct {
	UsagerID, OrganisationID, Service, Procedure string
	At                                           time.Time
}

// LoginNotifier records, in the transaction carried by ctx, that a usager
// is to be told of a delegated login; its error fails the login, so that a
// committed login is always told and a rolled-back one never.
type LoginNotifier interface {
	NotifyLogin(ctx context.Context, n LoginNotice) error
}

// PermissionChecker says whether the permission of a delegation is still
// usable (DESIGN.md §4): not revoked nor expired, the aidant active,
// habilitated, with a valid TOTP, in the permission's organisation, and the
// service registered for the procedure. Grant, the token endpoint (code
// and refresh) and UserInfo call it inside their transaction.
//
// A refusal is a *problem.Error with a code other than problem.Internal; its
// safe message is recorded as the refusal's reason (so it must hold no
// personal data). Any other error is a failure: the step fails with a
// server error and nothing is recorded.
type PermissionChecker interface {
	CheckPermission(ctx context.Context, d Delegation) error
	// ResolvePermission returns the delegation that permissionID
	// authorises for the aidant in their organisation (usager, mandate,
	// procedure and its rep_scope label, SIRET), if usable now by the
	// same rules; a refusal as CheckPermission's. One read, at the
	// aidant's choice.
	ResolvePermission(ctx context.Context, aidantID, organisationID, permissionID string) (Delegation, error)
	// Offer lists what the aidant may choose among procedures (ids),
	// usagers filtered by search. It writes nothing.
	Offer(ctx context.Context, aidantID, organisationID string, procedures []string, search string) (Offer, error)
}

// UsagerClaims gives the identity of a usager for UserInfo. An unknown
// usager (purged) is a problem.NotFound error.
type UsagerClaims interface {
	UsagerIdentity(ctx context.Context, usagerID string) (Identity, error)
}

// Identity is what a service may learn of a usager, by scope: the
// identité pivot as FranceConnect gives it, email and nom d'usage.
type Identity = identity.Claims

// delegationOf rebuilds the delegation a stored session was issued for.
func delegationOf(s *Session) Delegation {
	d := Delegation{
		AidantID: s.AidantID, UsagerID: s.UsagerID, OrganisationID: s.OrganisationID,
		OrganisationSIRET: s.OrganisationSIRET, PermissionID: s.PermissionID, MandateID: s.MandateID,
		Procedure: s.Procedure, AuthTime: s.AuthTime,
	}
	if s.DefaultSession != nil {
		c := s.IDTokenClaims()
		d.ACR, d.AMR = c.AuthenticationContextClassReference, c.AuthenticationMethodsReferences
		d.SessionID, _ = c.Extra[ClaimSessionID].(string)
	}
	if proc, ok := procedure.ByID(s.Procedure); ok {
		d.ProcedureLabel = proc.RepScope
	}
	return d
}

// errProcedureNotServed refuses a delegation whose procedure the service
// is not registered for.
var errProcedureNotServed = problem.New(problem.Forbidden, "Le service n'est pas enregistré pour cette démarche.")

// checkPermission says whether d may be used now with client: the client
// serves its procedure (checked here: the PermissionChecker does not know
// the client) and the PermissionChecker accepts it.
func (p *Provider) checkPermission(ctx context.Context, client *Client, d Delegation) error {
	if !client.ServesProcedure(d.Procedure) {
		return errProcedureNotServed
	}
	return p.permissions.CheckPermission(ctx, d)
}

// refusal reports whether err from the PermissionChecker refuses the step
// (true) or is a failure to answer (false).
func refusal(err error) bool {
	return err != nil && problem.CodeOf(err) != problem.Internal
}

// Audit actors: the aidant at the authorization, the service afterwards.
func aidantActor(d Delegation) (audit.ActorKind, string) { return audit.ActorAidant, d.AidantID }
func serviceActor(clientID string) (audit.ActorKind, string) {
	return audit.ActorService, clientID
}

// recordDelegation writes an audit entry about d in ctx's transaction.
// details must hold no personal data; the aidant is named in them when the
// service is the actor.
func (p *Provider) recordDelegation(ctx context.Context, action audit.Action, kind audit.ActorKind, actorID string,
	d Delegation, clientID string, details map[string]string) error {
	if kind != audit.ActorAidant && d.AidantID != "" {
		if details == nil {
			details = map[string]string{}
		}
		details["aidant_id"] = d.AidantID
	}
	return p.journal.Record(ctx, audit.Entry{
		Action: action, ActorKind: kind, ActorID: actorID,
		OrganisationID: d.OrganisationID, UsagerID: d.UsagerID, MandateID: d.MandateID,
		PermissionID: d.PermissionID, Procedure: d.Procedure, ClientID: clientID, Details: details,
	})
}

// recordRefusal records that a step of d was refused by the
// PermissionChecker, with its reason.
func (p *Provider) recordRefusal(ctx context.Context, kind audit.ActorKind, actorID string, d Delegation,
	clientID, step string, reason error) error {
	return p.recordDelegation(ctx, audit.ActionDelegatedLoginRefused, kind, actorID, d, clientID,
		map[string]string{"step": step, "reason": problem.MessageOf(reason)})
}
