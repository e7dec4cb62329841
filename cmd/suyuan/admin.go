package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"suyuan/ent/organization"
	"suyuan/internal/auth"
	"suyuan/internal/cnid"
	"suyuan/internal/tenancy"
)

// adminCmd creates the first administrator, and the platform organisation
// it belongs to, from the command line. Later accounts are created through
// the API by administrators.
func adminCmd(ctx context.Context, args []string, stdin io.Reader, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", getenv("SUYUAN_DB"), "database: an SQLite path or a MySQL URL/DSN (env SUYUAN_DB)")
	phone := fs.String("phone", "", "the administrator's mainland mobile number (required)")
	name := fs.String("name", "", "the administrator's name")
	orgName := fs.String("org-name", "Suyuan platform", "the platform organisation's name")
	credit := fs.String("credit-code", "", "the platform organisation's unified social credit code (required)")
	region := fs.String("region", "511800", "the platform organisation's region code")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *phone == "" || *credit == "" {
		fs.Usage()
		return errors.New("admin needs --phone and --credit-code")
	}
	if _, err := cnid.Phone(*phone); err != nil {
		return fmt.Errorf("--phone: %w", err)
	}
	if strings.TrimSpace(*orgName) == "" {
		return errors.New("--org-name must not be empty")
	}
	code, err := cnid.CreditCode(*credit)
	if err != nil {
		return fmt.Errorf("--credit-code: %w", err)
	}
	reg, err := cnid.RegionCode(*region)
	if err != nil {
		return fmt.Errorf("--region: %w", err)
	}
	password, err := readPassword(stdin, getenv)
	if err != nil {
		return err
	}
	if err := auth.CheckPassword(password, "password"); err != nil {
		return err
	}
	db, err := openDB(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	sys := tenancy.System(ctx)
	org, err := db.Client.Organization.Query().Where(organization.CreditCode(code)).Only(sys)
	if err != nil {
		org, err = db.Client.Organization.Create().SetName(*orgName).SetKind(organization.KindREGULATOR).
			SetCreditCode(code).SetRegionCode(reg).Save(sys)
		if err != nil {
			return fmt.Errorf("creating the platform organisation: %w", err)
		}
	}
	svc := auth.NewService(db.Client, db.Dialect, auth.DerivedKeySet(""), auth.NewHasher(1), nil)
	u, err := svc.CreateFirstAdmin(ctx, org.ID, *phone, *name, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "administrator %s (user %d) created in organisation %d\n", u.Phone, u.ID, org.ID)
	return nil
}

// readPassword takes the password from SUYUAN_ADMIN_PASSWORD, or the first
// line of standard input, so that it never appears in the process list.
func readPassword(stdin io.Reader, getenv func(string) string) (string, error) {
	if p := getenv("SUYUAN_ADMIN_PASSWORD"); p != "" {
		return p, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", errors.New("give the password in SUYUAN_ADMIN_PASSWORD or on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
