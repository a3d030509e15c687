package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"procura/account"
	"procura/db"
)

// The demo accounts of `procura dev`. Their passwords and TOTP seeds are
// fixed so that every run can print them; `procura dev` only ever listens on
// loopback.
const (
	DemoSIRET           = "13002526500013"
	DemoOrganisation    = "France Services de démonstration"
	DemoAidantEmail     = "aidant@procura.localhost"
	DemoManagerEmail    = "responsable@procura.localhost"
	DemoPassword        = "procura-demo-2026"
	DemoAidantTOTPSeed  = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	DemoManagerTOTPSeed = "KRUGS4ZANFZSAYJAORSXG5BAONSWK3TE"
)

// Demo describes the demo data, for printing.
type Demo struct {
	Organisation account.Organisation
	Aidant       account.Account
	Manager      account.Account
}

// SeedDemo creates the demo organisation, aidant and manager unless they
// exist already.
func (a *App) SeedDemo(ctx context.Context) (Demo, error) {
	var demo Demo
	org, err := a.Directory.OrganisationBySIRET(ctx, DemoSIRET)
	if errors.Is(err, account.ErrOrgNotFound) {
		org, err = a.Directory.CreateOrganisation(ctx, account.Operator, account.NewOrganisation{SIRET: DemoSIRET, Name: DemoOrganisation})
	}
	if err != nil {
		return demo, fmt.Errorf("demo organisation: %w", err)
	}
	demo.Organisation = org
	if err := a.registerDemoService(ctx); err != nil {
		return demo, fmt.Errorf("demo service: %w", err)
	}
	habilitation := a.Now().AddDate(1, 0, 0)
	for _, p := range []struct {
		email, given, family, seed string
		role                       account.Role
		habilitated                *time.Time
		out                        *account.Account
	}{
		{DemoAidantEmail, "Camille", "Lefèvre", DemoAidantTOTPSeed, account.RoleAidant, &habilitation, &demo.Aidant},
		{DemoManagerEmail, "Dominique", "N'Diaye-Rousseau", DemoManagerTOTPSeed, account.RoleManager, nil, &demo.Manager},
	} {
		acc, err := a.Directory.AccountByEmail(ctx, p.email)
		if errors.Is(err, account.ErrAccountNotFound) {
			var c account.Created
			c, err = a.Directory.CreateAccount(ctx, account.Operator, account.NewAccount{
				Email: p.email, GivenName: p.given, FamilyName: p.family, Password: DemoPassword,
				OrganisationID: org.ID, Roles: []account.Role{p.role}, HabilitatedUntil: p.habilitated,
				EnrolTOTP: true, TOTPSeed: p.seed,
			})
			acc = c.Account
		}
		if err != nil {
			return demo, fmt.Errorf("demo account %s: %w", p.email, err)
		}
		*p.out = acc
	}
	return demo, nil
}

// Migrate applies the pending migrations of the store at url.
func Migrate(ctx context.Context, url string) ([]db.Migration, error) {
	d, err := db.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Migrate(ctx)
}
