package mandate

import (
	"context"
	"fmt"
	"time"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/keyring"
	"procura/problem"
	"procura/usager"
)

// TokenRevoker ends the OAuth tokens issued under a permission or a
// mandate, inside the caller's transaction (authz's storage does it).
type TokenRevoker interface {
	RevokeByPermission(ctx context.Context, permissionID string) (int64, error)
	RevokeByMandate(ctx context.Context, mandateID string) (int64, error)
}

// Usagers is what mandates need of the usager registry: whether a usager
// was identified (a mandate is given only by a known usager), and the
// retention purge (retention.go).
type Usagers interface {
	Exists(ctx context.Context, usagerID string) (bool, error)
	Names(ctx context.Context, ids []string, search string) ([]usager.Named, error)
	NotIdentifiedSince(ctx context.Context, before time.Time, afterID string, limit int) ([]string, error)
	Erase(ctx context.Context, usagerID string, before time.Time, details map[string]string) error
}

// Registry stores mandates and applies their rules.
type Registry struct {
	db        *db.DB
	journal   *audit.Journal
	directory *account.Directory
	usagers   Usagers
	keys      *keyring.Keyring
	tokens    TokenRevoker
	// notifier tells usagers who opted in (nil: nobody is told).
	notifier Notifier
	now      func() time.Time
}

// New returns the registry kept in d.
// Mandates are signed with the keyring's mandate keys; tokens ends the
// tokens issued under what is revoked (nil when no OpenID Provider runs,
// in tests of the rules alone).
func New(d *db.DB, j *audit.Journal, dir *account.Directory, usagers Usagers, keys *keyring.Keyring, tokens TokenRevoker, now func() time.Time) *Registry {
	return &Registry{db: d, journal: j, directory: dir, usagers: usagers, keys: keys, tokens: tokens, now: now}
}

// Errors of the mandate rules, with their safe messages.
var (
	ErrNoConsent       = problem.New(problem.Invalid, "L'usager doit déclarer consentir au mandat : cochez la case de consentement.")
	ErrNoProcedure     = problem.New(problem.Invalid, "Choisissez au moins une démarche.")
	ErrProcedure       = problem.New(problem.Invalid, "Une des démarches choisies n'est pas autorisée dans votre organisation.")
	ErrDuration        = problem.New(problem.Invalid, "Choisissez une durée : 1 jour, 1 mois, 6 mois ou 1 an.")
	ErrEvidence        = problem.New(problem.Invalid, "L'identification FranceConnect de l'usager manque ou a expiré : recommencez-la.")
	ErrNotFound        = problem.New(problem.NotFound, "Mandat introuvable.")
	ErrNotRenewable    = problem.New(problem.Conflict, "Ce mandat ne peut plus être renouvelé : il est révoqué ou n'a plus de démarche active ; créez un nouveau mandat.")
	ErrAlreadyRevoked  = problem.New(problem.Conflict, "Cette autorisation est déjà révoquée, remplacée ou expirée.")
	ErrPermissionFound = problem.New(problem.NotFound, "Autorisation introuvable.")
)

// NewMandate is what the creation journey gathers.
type NewMandate struct {
	OrganisationID string
	AidantID       string
	UsagerID       string
	Procedures     []string
	DurationDays   int
	// FCIDToken is the ID token FranceConnect signed when the usager was
	// identified for this mandate; FCIDTokenSHA256 its SHA-256 (hex).
	FCIDToken       string
	FCIDTokenSHA256 string
	// FCJWKSSHA256 names the provider's key set that verified FCIDToken,
	// archived with ArchiveProviderKeys; "" if it could not be kept.
	FCJWKSSHA256 string
	// TextVersion is the version of the mandate text shown on the recap.
	TextVersion  string
	Consent      bool
	NotifyUsager bool
	// TOTPCode is the aidant's fresh code confirming the signature.
	TOTPCode string
}

// Create signs a new mandate in one transaction: the aidant's TOTP is used
// up, the mandate and one permission per procedure are written, any other
// current permission of this usager in this organisation for the same
// procedure ends (replaced, or expired if it already was), and every act is
// audited. A concurrent creation for the same procedures makes the database
// refuse one of the two (unique index); it is then retried once the other
// committed, and replaces it.
func (r *Registry) Create(ctx context.Context, in NewMandate) (Mandate, error) {
	if !in.Consent {
		return Mandate{}, ErrNoConsent
	}
	if in.FCIDToken == "" || len(in.FCIDTokenSHA256) != 64 {
		return Mandate{}, ErrEvidence
	}
	text, err := MandateTextByVersion(in.TextVersion)
	if err != nil {
		return Mandate{}, problem.Errorf(problem.Invalid, "La version du texte du mandat est inconnue ; rechargez la page.", "%w", err)
	}
	m := Mandate{OrganisationID: in.OrganisationID, UsagerID: in.UsagerID, AidantID: in.AidantID,
		DurationDays: in.DurationDays, TextVersion: text.Version, TextSHA256: text.SHA256,
		FCIDTokenSHA256: in.FCIDTokenSHA256, FCJWKSSHA256: in.FCJWKSSHA256, NotifyUsager: in.NotifyUsager}
	return r.sign(ctx, m, in.Procedures, in.FCIDToken, in.TOTPCode, audit.ActionMandateCreated)
}

// Renewal is what renewing a mandate needs: no new FranceConnect step, but
// the aidant's fresh TOTP.
type Renewal struct {
	OrganisationID string
	AidantID       string
	MandateID      string
	DurationDays   int
	TOTPCode       string
}

// Renew signs a new mandate for the same usager and the procedures still
// active in the renewed one, for a new duration; it replaces the renewed
// mandate's permissions. The identification evidence is the renewed
// mandate's.
func (r *Registry) Renew(ctx context.Context, in Renewal) (Mandate, error) {
	old, err := r.Find(ctx, Actor{Kind: audit.ActorAidant, ID: in.AidantID}, in.OrganisationID, in.MandateID)
	if err != nil {
		return Mandate{}, err
	}
	now := r.now()
	var procs []string
	for _, p := range old.Permissions {
		if p.Usable(now) {
			procs = append(procs, p.Procedure)
		}
	}
	if old.RevokedAt != nil || len(procs) == 0 {
		return Mandate{}, ErrNotRenewable
	}
	var evidence string
	if err := r.db.Conn(ctx).Raw("SELECT fc_id_token FROM mandates WHERE id = ?", old.ID).Scan(&evidence).Error; err != nil {
		return Mandate{}, fmt.Errorf("mandate: evidence: %w", err)
	}
	text := CurrentMandateText()
	m := Mandate{OrganisationID: old.OrganisationID, UsagerID: old.UsagerID, AidantID: in.AidantID,
		DurationDays: in.DurationDays, TextVersion: text.Version, TextSHA256: text.SHA256,
		FCIDTokenSHA256: old.FCIDTokenSHA256, FCJWKSSHA256: old.FCJWKSSHA256, Renews: old.ID, NotifyUsager: old.NotifyUsager}
	return r.sign(ctx, m, procs, evidence, in.TOTPCode, audit.ActionMandateRenewed)
}
