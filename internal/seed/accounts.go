package seed

import (
	"context"
	"fmt"

	"suyuan/ent"
	"suyuan/ent/organization"
	"suyuan/ent/privacy"
	"suyuan/ent/user"
	"suyuan/internal/auth"
	"suyuan/internal/viewer"
)

// DemoPassword is the password of every demo account. The accounts exist
// only where the demo data was loaded, which production mode never does.
const DemoPassword = "suyuan-demo-2026"

// DemoAccount is a login of the demo.
type DemoAccount struct {
	Phone string
	Role  viewer.Role
	// Org is the body of the demo organisation's credit code.
	Org  string
	Name string
}

// DemoAccounts lists the demo's logins: one per kind of user.
func DemoAccounts() []DemoAccount {
	return []DemoAccount{
		{"13900000000", viewer.Admin, "11511800MAYD00008", "平台管理员 Admin"},
		{"13900000001", viewer.Regulator, "11511800MAYD00008", "市监局 Regulator"},
		{"13900000002", viewer.OrgAdmin, "91511802MAYD00002", "雅州肉类 Processor"},
		{"13900000003", viewer.Staff, "91511802MAYD00004", "蜀运冷链 Carrier"},
		{"13900000004", viewer.Staff, "91511802MAYD00005", "惠民超市 Retailer"},
		{"13900000005", viewer.Staff, "12511800MAYD00003", "检验中心 Lab"},
	}
}

// DemoUsers creates the demo accounts that do not exist yet, in the demo's
// organisations (load Demo first).
func DemoUsers(ctx context.Context, client *ent.Client) error {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	hasher := auth.NewHasher(1)
	var hash string
	for _, a := range DemoAccounts() {
		exists, err := client.User.Query().Where(user.Phone(a.Phone)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("seed: looking for demo user: %w", err)
		}
		if exists {
			continue
		}
		code, err := demoCreditCode(a.Org)
		if err != nil {
			return err
		}
		org, err := client.Organization.Query().Where(organization.CreditCode(code)).Only(ctx)
		if err != nil {
			return fmt.Errorf("seed: finding the demo organisation of %s: %w", a.Phone, err)
		}
		if hash == "" {
			if hash, err = hasher.Hash(ctx, DemoPassword); err != nil {
				return fmt.Errorf("seed: hashing the demo password: %w", err)
			}
		}
		err = client.User.Create().SetOrganizationID(org.ID).SetPhone(a.Phone).SetName(a.Name).
			SetRole(a.Role).SetPasswordHash(hash).Exec(ctx)
		if err != nil {
			return fmt.Errorf("seed: creating demo user %s: %w", a.Phone, err)
		}
	}
	return nil
}
