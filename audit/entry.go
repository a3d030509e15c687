package audit

import (
	"context"
	"time"
)

// Action names what happened.
type Action string

const (
	ActionSignIn                     Action = "aidant.sign_in"
	ActionSignInFailed               Action = "aidant.sign_in_failed"
	ActionLockedOut                  Action = "aidant.locked_out"
	ActionTOTPEnrolled               Action = "aidant.totp_enrolled"
	ActionSessionEnded               Action = "session.ended"
	ActionOrganisationSwitch         Action = "organisation.switched"
	ActionOrganisationCreated        Action = "organisation.created"
	ActionAccountCreated             Action = "account.created"
	ActionAccountDeactivated         Action = "account.deactivated"
	ActionAccountReactivated         Action = "account.reactivated"
	ActionMembershipAdded            Action = "account.membership_added"
	ActionCrossOrganisationRefused   Action = "organisation.cross_access_refused"
	ActionUsagerIdentified           Action = "usager.identified"
	ActionUsagerUpdated              Action = "usager.identity_updated"
	ActionUsagerIdentificationFailed Action = "usager.identification_failed"
	// ActionUsagerErased: the identity of a usager whose mandates all ended
	// before the retention period was erased, with the FranceConnect ID
	// tokens kept as evidence (their hashes stay).
	ActionUsagerErased       Action = "usager.identity_erased"
	ActionMandateCreated     Action = "mandate.created"
	ActionMandateRenewed     Action = "mandate.renewed"
	ActionMandateRevoked     Action = "mandate.revoked"
	ActionMandateExpired     Action = "mandate.expired"
	ActionPermissionCreated  Action = "permission.created"
	ActionPermissionReplaced Action = "permission.replaced"
	ActionPermissionRevoked  Action = "permission.revoked"
	ActionPermissionExpired  Action = "permission.expired"
	ActionClientRegistered   Action = "client.registered"
	ActionClientDisabled     Action = "client.disabled"
	ActionKeyCreated         Action = "key.created"
	ActionKeyRotated         Action = "key.rotated"
	ActionKeyRetired         Action = "key.retired"
)

// Acts of the OpenID Provider (package authz).
const (
	ActionDelegatedLoginAuthorised Action = "delegated_login.authorised"
	ActionDelegatedLoginRefused    Action = "delegated_login.refused"
	ActionTokenIssued              Action = "token.issued"
	ActionUserinfoRead             Action = "userinfo.read"
	ActionTokenRevoked             Action = "token.revoked"
)

// Acts of managers on their organisation's team and settings (issue 10);
// the account acted upon is in Details["account"].
const (
	ActionMembershipRemoved    Action = "account.membership_removed"
	ActionHabilitationRecorded Action = "account.habilitation_recorded"
	ActionHabilitationEnded    Action = "account.habilitation_ended"
	ActionInvitationCreated    Action = "invitation.created"
	ActionInvitationRenewed    Action = "invitation.renewed"
	ActionInvitationCancelled  Action = "invitation.cancelled"
	ActionInvitationAccepted   Action = "invitation.accepted"
	ActionTOTPReset            Action = "aidant.totp_reset"
	ActionTOTPCardImported     Action = "totp_card.imported"
	ActionTOTPCardLinked       Action = "totp_card.linked"
	ActionTOTPCardUnlinked     Action = "totp_card.unlinked"
	ActionOrganisationUpdated  Action = "organisation.updated"
	// Password recovery (issue 12): a link asked for by email, and used.
	ActionPasswordResetRequested Action = "aidant.password_reset_requested"
	ActionPasswordReset          Action = "aidant.password_reset"
)

// ActorKind says who acted.
type ActorKind string

const (
	ActorAidant    ActorKind = "aidant"
	ActorManager   ActorKind = "manager"
	ActorUsager    ActorKind = "usager"
	ActorOperator  ActorKind = "operator"
	ActorSystem    ActorKind = "system"
	ActorAnonymous ActorKind = "anonymous"
	// ActorService is a service (OIDC client), named by its client_id.
	ActorService ActorKind = "service"
)

// Entry is one act. Only ids appear here; Details holds small facts without
// personal data (a reason, a count, a role).
type Entry struct {
	ID             int64
	Time           time.Time
	Action         Action
	ActorKind      ActorKind
	ActorID        string
	OrganisationID string
	UsagerID       string
	MandateID      string
	PermissionID   string
	Procedure      string
	ClientID       string
	RequestID      string
	Details        map[string]string
}

type requestIDKey struct{}

// WithRequestID returns a context whose entries carry the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
