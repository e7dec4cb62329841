package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"suyuan/internal/store"
)

// A configuration file (--config or SUYUAN_CONFIG) is TOML whose keys are
// serve's flag names, and the names of its environment-only settings in the
// same form (secret, jwt-keys, log-dir, log-retention-days, log-level,
// log-format):
//
//	db = "mysql://suyuan@127.0.0.1:3306/suyuan"
//	mode = "production"
//	request-timeout = "20s"
//	log-dir = "/var/log/suyuan"
//
// A flag on the command line wins over the environment, which wins over
// the file, which wins over the default.

// configFile is a configuration file read.
type configFile struct {
	path string
	// env holds the file's values of settings that have an environment
	// variable, under the variable's name.
	env map[string]string
	// flags holds the file's values of flags without one.
	flags map[string]string
	// keys are every key the file set.
	keys map[string]bool
}

// configKey is the file's key of an environment variable:
// SUYUAN_LOG_DIR is log-dir.
func configKey(envName string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(envName, "SUYUAN_"), "_", "-"))
}

// configPath finds --config among args (before the flags are parsed, as
// the file gives their defaults), or else SUYUAN_CONFIG.
func configPath(args []string, getenv func(string) string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		for _, p := range []string{"--config", "-config"} {
			if a == p && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v
			}
		}
	}
	return getenv("SUYUAN_CONFIG")
}

// loadConfig reads the file at path ("" reads none) for serve's flag set
// fs. A key that is not a setting is refused, naming it, as is a file that
// holds the secret and that others may read.
func loadConfig(path string, fs *flag.FlagSet) (*configFile, error) {
	cf := &configFile{path: path, env: map[string]string{}, flags: map[string]string{}, keys: map[string]bool{}}
	if path == "" {
		return cf, nil
	}
	raw := map[string]any{}
	md, err := toml.DecodeFile(path, &raw)
	if err != nil {
		return nil, fmt.Errorf("--config %s: %w", path, err)
	}
	envOf := map[string]string{}
	for _, e := range serveEnv {
		envOf[configKey(e.name)] = e.name
	}
	for _, k := range md.Keys() {
		if len(k) != 1 {
			return nil, fmt.Errorf("--config %s: %s: settings are top-level keys, without tables", path, k)
		}
	}
	for k, v := range raw {
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case int64:
			s = strconv.FormatInt(x, 10)
		case bool:
			s = strconv.FormatBool(x)
		default:
			return nil, fmt.Errorf("--config %s: %s must be a string, a whole number or true/false", path, k)
		}
		if k == "config" {
			return nil, fmt.Errorf("--config %s: a configuration file cannot name another", path)
		}
		cf.keys[k] = true
		if env, ok := envOf[k]; ok {
			cf.env[env] = s
			continue
		}
		if fs.Lookup(k) == nil {
			return nil, fmt.Errorf("--config %s: %q is not a setting of serve (see suyuan serve -h)", path, k)
		}
		cf.flags[k] = s
	}
	if cf.keys["secret"] {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("--config %s holds the secret and others may read it (mode %v): chmod 600 it, or give SUYUAN_SECRET in the environment", path, fi.Mode().Perm())
		}
	}
	return cf, nil
}

// getenv layers the file under the environment.
func (cf *configFile) getenv(getenv func(string) string) func(string) string {
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return cf.env[k]
	}
}

// configCmd is "suyuan config check": it reads the configuration as serve
// would (flags, environment, file), refuses what serve would refuse, and
// prints the effective settings with their sources, secrets masked.
func configCmd(_ context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	usage := func() {
		fmt.Fprint(stderr, "usage: suyuan config check [serve's flags]\n\nCheck serve's configuration (flags, environment, --config file) without starting,\nand print the effective settings and where each came from; secrets are masked.\n")
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		usage()
		if len(args) == 0 {
			return fmt.Errorf("config needs a subcommand: check")
		}
		return flag.ErrHelp
	}
	if args[0] != "check" {
		usage()
		return fmt.Errorf("unknown config subcommand %q", args[0])
	}
	p, err := parseServeFull(args[1:], stderr, getenv)
	if err != nil {
		return err
	}
	source := func(flagName, envName string) string {
		switch {
		case p.onCommandLine[flagName]:
			return "flag"
		case envName != "" && getenv(envName) != "":
			return "environment"
		case p.file.keys[flagName] || (envName != "" && p.file.keys[configKey(envName)]):
			return "file"
		default:
			return "default"
		}
	}
	envOfFlag := map[string]string{}
	for _, e := range serveEnv {
		if e.flag != "" {
			envOfFlag[e.flag] = e.name
		}
	}
	type line struct{ key, value, source string }
	var lines []line
	p.fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" {
			return
		}
		v := f.Value.String()
		switch f.Name {
		case "db":
			v = store.Redact(v)
		case "read-db":
			parts := strings.Split(v, ",")
			for i, p := range parts {
				parts[i] = store.Redact(strings.TrimSpace(p))
			}
			v = strings.Join(parts, ",")
		}
		lines = append(lines, line{f.Name, v, source(f.Name, envOfFlag[f.Name])})
	})
	layered := p.file.getenv(getenv)
	for _, e := range serveEnv {
		if e.flag != "" || e.name == "SUYUAN_CONFIG" {
			continue
		}
		v := layered(e.name)
		if e.name == "SUYUAN_SECRET" {
			v = maskSecret(p.cfg.secret, v)
		}
		lines = append(lines, line{configKey(e.name), v, source(configKey(e.name), e.name)})
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].key < lines[j].key })
	if p.file.path != "" {
		fmt.Fprintf(stdout, "# configuration file: %s\n", p.file.path)
	}
	fmt.Fprintf(stdout, "# effective configuration of suyuan serve (mode %s); it would start\n", p.cfg.mode)
	for _, l := range lines {
		fmt.Fprintf(stdout, "%-20s = %-40s # %s\n", l.key, strconv.Quote(l.value), l.source)
	}
	return nil
}

// maskSecret describes the secret without showing it.
func maskSecret(effective, given string) string {
	switch {
	case given == "" && effective == devSecret:
		return "(the public development secret)"
	case given == "":
		return "(unset)"
	default:
		return fmt.Sprintf("(set, %d characters)", len(given))
	}
}
