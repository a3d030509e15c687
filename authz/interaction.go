package authz

import (
	"context"
	"errors"
	"time"

	"procura/audit"
	"procura/problem"
)

// The delegated login's interaction (DESIGN.md §2, aidant journey 4): a
// service's request waits while the aidant signs in (if needed), then the
// aidant chooses the usager and the procedure. The web layer keeps the
// pending request (PendingAuthorize) between its pages and calls:
//   - Choices, to show what the aidant may choose (reads only: a page view
//     never writes the journal);
//   - Choose, with the permission chosen: one transaction resolves and
//     checks the permission, stores the code and records the act; the web
//     layer then forgets the pending request and sends the browser to the
//     URL returned;
//   - Cancel, when the aidant gives up or has nobody to act for: the
//     refusal is recorded once and the service told access_denied.

// Aidant is the signed-in aidant at the interaction, as the web session
// knows them.
type Aidant struct {
	ID             string
	OrganisationID string
	// AuthTime is when they last authenticated (password and TOTP).
	AuthTime time.Time
	// AMR lists the methods of that authentication (RFC 8176).
	AMR []string
	// SessionID optionally names their web session (the sid claim).
	SessionID string
}

// Offer is what an aidant may choose for a service's request: the usagers
// of their organisation with a usable permission for a requested
// procedure. Refusal says why the aidant may not act at all (not
// habilitated, no TOTP…), with a safe French message; Usagers is then
// empty.
type Offer struct {
	AidantName       string
	OrganisationName string
	Refusal          error
	Usagers          []OfferedUsager
}

// OfferedUsager is a usager the aidant may act for, with the permissions
// (procedures) they may act under, in catalogue order.
type OfferedUsager struct {
	UsagerID    string
	GivenName   string
	FamilyName  string
	Birthdate   string
	Permissions []OfferedPermission
}

// OfferedPermission is one choice: a permission and its procedure id.
type OfferedPermission struct {
	ID        string
	Procedure string
}

// Choice is what Choices returns: the service's name and the offer.
type Choice struct {
	Service string
	Offer
}

// Choices returns what the aidant may choose for the pending request;
// search filters usagers by name. It writes nothing. Errors: those of
// ResumeAuthorize (a *problem.Error to show), ErrAuthenticationRequired
// (sign the aidant in again, keep the request), or a failure.
func (p *Provider) Choices(ctx context.Context, pending PendingAuthorize, a Aidant, search string) (Choice, error) {
	ar, err := p.resume(ctx, pending)
	if err != nil {
		return Choice{}, err
	}
	if ar.NeedsAuthentication(a.AuthTime) {
		return Choice{}, ErrAuthenticationRequired
	}
	offer, err := p.permissions.Offer(ctx, a.ID, a.OrganisationID, ar.RequestedProcedures, search)
	if err != nil {
		return Choice{}, err
	}
	return Choice{Service: ar.Client.Name, Offer: offer}, nil
}

// Choose issues the code of a delegated login under permissionID and
// returns where to send the browser: the service, with the code or with an
// OAuth error it must get. In one transaction it resolves the permission
// in the aidant's organisation and checks it usable (ResolvePermission),
// checks the service was asked and serves its procedure, stores the code
// and records delegated_login.authorised. The web layer then forgets the
// pending request.
//
// Errors, with nothing sent: ErrAuthenticationRequired (the pending request
// stays; sign the aidant in again); a refusal (a *problem.Error other than
// Internal: not usable, another organisation's, a procedure not asked),
// recorded as delegated_login.refused, after which the aidant may choose
// again; those of ResumeAuthorize; or a failure.
func (p *Provider) Choose(ctx context.Context, pending PendingAuthorize, a Aidant, permissionID string) (string, error) {
	ar, err := p.resume(ctx, pending)
	if err != nil {
		return "", err
	}
	if a.ID == "" || a.OrganisationID == "" {
		return "", errors.New("authz: Choose without an aidant and organisation")
	}
	if ar.NeedsAuthentication(a.AuthTime) {
		return "", ErrAuthenticationRequired
	}
	d := Delegation{AidantID: a.ID, OrganisationID: a.OrganisationID, PermissionID: permissionID,
		AuthTime: a.AuthTime, AMR: a.AMR, SessionID: a.SessionID}
	return p.issueCode(ctx, ar, d, func(ctx context.Context) (Delegation, error) {
		resolved, err := p.permissions.ResolvePermission(ctx, a.ID, a.OrganisationID, permissionID)
		if err != nil {
			return d, err
		}
		resolved.AidantID, resolved.OrganisationID = a.ID, a.OrganisationID
		resolved.AuthTime, resolved.AMR, resolved.SessionID = a.AuthTime, a.AMR, a.SessionID
		if !ar.Client.ServesProcedure(resolved.Procedure) {
			return resolved, errProcedureNotServed
		}
		return resolved, nil
	})
}

// Why an aidant ended a request without choosing (Cancel).
const (
	CancelByAidant      = "cancelled"
	CancelNobodyToActOf = "no_eligible_usager"
)

// Cancel ends the pending request without a code: it records
// delegated_login.refused with reason (CancelByAidant or
// CancelNobodyToActOf) and returns the service's redirect URI with
// access_denied (RFC 6749 §4.1.2.1). Errors: those of ResumeAuthorize, or a
// failure.
func (p *Provider) Cancel(ctx context.Context, pending PendingAuthorize, a Aidant, reason string) (string, error) {
	ar, err := p.resume(ctx, pending)
	if err != nil {
		return "", err
	}
	err = p.db.InTx(ctx, func(ctx context.Context) error {
		return p.journal.Record(ctx, audit.Entry{Action: audit.ActionDelegatedLoginRefused, ActorKind: audit.ActorAidant,
			ActorID: a.ID, OrganisationID: a.OrganisationID, ClientID: ar.Client.ID,
			Details: map[string]string{"step": "authorize", "reason": reason}})
	})
	if err != nil {
		return "", err
	}
	return p.authorizeErrorRedirect(ctx, ar, errAccessDenied(reason)), nil
}

func errAccessDenied(reason string) error {
	if reason == CancelNobodyToActOf {
		return errDeniedNobody
	}
	return errDeniedCancelled
}

// resume rebuilds the pending request; an error the service must get
// (the client changed since) is a problem for the person too: the request
// cannot go on.
func (p *Provider) resume(ctx context.Context, pending PendingAuthorize) (*AuthorizeRequest, error) {
	ar, err := p.ResumeAuthorize(ctx, pending)
	if err != nil && ar != nil {
		return nil, problem.Errorf(problem.Invalid, ErrAuthorizeInvalid.Message, "authz: resume: %w", err)
	}
	return ar, err
}
