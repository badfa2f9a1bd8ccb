package main

// roster sso …: a team's single sign-on (docs/sso.md). Scripts outside
// this repository rely on these forms and JSON fields; keep them.
//
//	roster sso saml create --team SLUG (--idp-metadata-file F | --idp-metadata-url URL) [--name N] [--json]
//	roster sso oidc create --team SLUG --issuer URL --client-id ID --client-secret-file F [--name N] [--json]
//	roster sso list --team SLUG --json
//	roster sso disable|enable|delete --team SLUG --id ID
//	roster sso policy --team SLUG [--require-sso=true|false] [--jit=true|false] [--domains a.example,b.example] [--allow-idp-initiated=ID]
//	roster sso traces --team SLUG [--limit N] --json

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/ssoproto"
)

// ssoFlags are the flags of the commands that reach an IdP or make URLs.
type ssoFlags struct {
	publicURL    *string
	allowPrivate *bool
}

func (f *ssoFlags) register(fs *flag.FlagSet) {
	f.publicURL = fs.String("public-url", defaultPublicURL, "the server's external origin: the base of the connection's URLs, which the IdP is given (env ROSTER_PUBLIC_URL)")
	f.allowPrivate = fs.Bool("sso-allow-private-networks", false, "let Roster reach an IdP on a private or loopback address (env ROSTER_SSO_ALLOW_PRIVATE_NETWORKS)")
}

func (f *ssoFlags) tools() (*ssoproto.Tools, error) {
	if err := checkPublicURL(*f.publicURL); err != nil {
		return nil, err
	}
	return ssoproto.NewTools(*f.publicURL, *f.allowPrivate), nil
}

// verb takes the command's verb (create) off its arguments.
func verb(name string, args []string) ([]string, error) {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		return args, nil
	}
	if len(args) == 0 || args[0] != "create" {
		return nil, &exitCode{2, fmt.Errorf("%s: missing subcommand: roster %s create …", name, name)}
	}
	return args[1:], nil
}

// ssoCreated is what the create commands print: the connection's id and
// the URLs to give the IdP.
func ssoCreated(c *command, conn service.SSOConnection) error {
	v := service.SSOView(conn)
	if v.Type == "saml" {
		return c.print(map[string]any{"id": v.ID, "type": v.Type, "sp_entity_id": v.SPEntityID, "acs_url": v.ACSURL, "sp_metadata_url": v.SPMetadataURL, "login_url": v.LoginURL},
			"SAML connection %s (%s) added to team %s\nGive your IdP:\n  ACS URL        %s\n  SP entity ID   %s\n  SP metadata    %s\nSign-in URL:     %s\n",
			v.ID, v.Name, *c.teamSlug, v.ACSURL, v.SPEntityID, v.SPMetadataURL, v.LoginURL)
	}
	return c.print(map[string]any{"id": v.ID, "type": v.Type, "redirect_uri": v.RedirectURI, "login_url": v.LoginURL},
		"OpenID Connect connection %s (%s) added to team %s\nGive your IdP the redirect URI:\n  %s\nSign-in URL: %s\n", v.ID, v.Name, *c.teamSlug, v.RedirectURI, v.LoginURL)
}

func ssoSAMLCreate(ctx context.Context, args []string, stdout io.Writer) error {
	args, err := verb("sso saml", args)
	if err != nil {
		return err
	}
	c := newCommand("sso saml create", stdout)
	c.team()
	file := c.fs.String("idp-metadata-file", "", "the IdP's SAML metadata XML, from a file (- for stdin)")
	mdURL := c.fs.String("idp-metadata-url", "", "or the https URL Roster fetches it from")
	name := c.fs.String("name", "", "the connection's name (default: the preset's, or SAML)")
	preset := c.fs.String("preset", "", "the IdP's attribute names: okta, entra, onelogin, jumpcloud or google")
	var sf ssoFlags
	sf.register(c.fs)
	c.jsonFlag()
	if err := c.parse(args); err != nil {
		return err
	}
	if (*file == "") == (*mdURL == "") {
		return errors.New("sso saml create: give --idp-metadata-file or --idp-metadata-url (one of them)")
	}
	tools, err := sf.tools()
	if err != nil {
		return fmt.Errorf("sso saml create: %w", err)
	}
	var xml []byte
	if *file != "" {
		if xml, err = readFileOrStdin(*file, ssoproto.MaxMetadataBytes); err != nil {
			return fmt.Errorf("sso saml create: %w", err)
		}
	}
	idp, err := tools.LoadMetadata(ctx, xml, *mdURL)
	if err != nil {
		return err
	}
	return c.withCaller(ctx, func(svc *service.Service, caller service.Caller) error {
		conn, err := svc.CreateSAMLConnection(ctx, *c.teamSlug, service.SAMLInput{Name: *name, SPBaseURL: tools.PublicURL, IdP: idp, Preset: *preset}, caller.Actor)
		if err != nil {
			return err
		}
		return ssoCreated(c, conn)
	})
}

func ssoOIDCCreate(ctx context.Context, args []string, stdout io.Writer) error {
	args, err := verb("sso oidc", args)
	if err != nil {
		return err
	}
	c := newCommand("sso oidc create", stdout)
	c.team()
	issuer := c.requiredString("issuer", "the IdP's issuer URL (https; http only on loopback)")
	clientID := c.requiredString("client-id", "Roster's client id at the IdP")
	secretFile := c.requiredString("client-secret-file", "a file holding the client secret (- for stdin): never on the command line")
	name := c.fs.String("name", "", "the connection's name (default: OpenID Connect)")
	trust := c.fs.Bool("trust-email", false, "take the email even when the IdP doesn't say email_verified: true")
	var sf ssoFlags
	sf.register(c.fs)
	c.jsonFlag()
	if err := c.parse(args); err != nil {
		return err
	}
	tools, err := sf.tools()
	if err != nil {
		return fmt.Errorf("sso oidc create: %w", err)
	}
	secret, err := readFileOrStdin(*secretFile, 4096)
	if err != nil {
		return fmt.Errorf("sso oidc create: %w", err)
	}
	if err := tools.OIDC.Discover(ctx, *issuer); err != nil {
		return err
	}
	return c.withCaller(ctx, func(svc *service.Service, caller service.Caller) error {
		conn, err := svc.CreateOIDCConnection(ctx, *c.teamSlug, service.OIDCInput{Name: *name, SPBaseURL: tools.PublicURL, Issuer: *issuer,
			ClientID: *clientID, ClientSecret: strings.TrimSpace(string(secret)), TrustEmail: *trust}, caller.Actor)
		if err != nil {
			return err
		}
		return ssoCreated(c, conn)
	})
}

// readFileOrStdin reads a file (or stdin for "-"), at most limit bytes.
func readFileOrStdin(path string, limit int64) ([]byte, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is over %d bytes", path, limit)
	}
	return b, nil
}

func ssoList(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("sso list", stdout)
	c.team()
	c.jsonFlag()
	return c.run(ctx, args, func(svc *service.Service) error {
		conns, err := svc.ListSSOConnections(ctx, *c.teamSlug)
		if err != nil {
			return err
		}
		views := make([]service.SSOConnectionView, 0, len(conns))
		for _, x := range conns {
			views = append(views, service.SSOView(x))
		}
		if *c.asJSON {
			return printJSON(stdout, views)
		}
		if len(views) == 0 {
			fmt.Fprintf(stdout, "team %s has no SSO connection\n", *c.teamSlug)
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTYPE\tNAME\tENABLED\tDEFAULT\tIDP-INITIATED\tLOGIN URL")
		for _, v := range views {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%v\t%v\t%s\n", v.ID, v.Type, v.Name, v.Enabled, v.Default, v.AllowIDPInitiated, v.LoginURL)
		}
		return tw.Flush()
	})
}

func ssoToggle(action string) func(context.Context, []string, io.Writer) error {
	return func(ctx context.Context, args []string, stdout io.Writer) error {
		c := newCommand("sso "+action, stdout)
		c.team()
		id := c.id("the connection's id (roster sso list)")
		return c.runAs(ctx, args, func(svc *service.Service, caller service.Caller) error {
			if action == "delete" {
				if err := svc.DeleteSSOConnection(ctx, *c.teamSlug, *id, caller.Actor); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "connection %s deleted\n", *id)
				return nil
			}
			on := action == "enable"
			if _, err := svc.UpdateSSOConnection(ctx, *c.teamSlug, *id, service.SSOConnectionPatch{Enabled: &on}, caller.Actor); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "connection %s %sd\n", *id, action)
			return nil
		})
	}
}

// ptr is the flag's value, or nil when it was not given (optBool: policy.go).
func (o *optBool) ptr() *bool {
	if !o.set {
		return nil
	}
	return &o.v
}

func ssoPolicy(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("sso policy", stdout)
	c.team()
	var require, jit optBool
	c.fs.Var(&require, "require-sso", "members reach the team only through its IdP (its Super Admins keep their passwords): true or false")
	c.fs.Var(&jit, "jit", "a sign-in whose email matches no member creates one: true or false")
	domains := c.fs.String("domains", "", `the allowed email domains, comma-separated ("" keeps them; "none" allows any)`)
	allowIDP := c.fs.String("allow-idp-initiated", "", "the id of a SAML connection that accepts sign-ins the IdP starts")
	denyIDP := c.fs.String("deny-idp-initiated", "", "the id of a SAML connection that no longer accepts them")
	c.jsonFlag()
	return c.runAs(ctx, args, func(svc *service.Service, caller service.Caller) error {
		yes, no := true, false
		for id, on := range map[string]*bool{*allowIDP: &yes, *denyIDP: &no} {
			if id == "" {
				continue
			}
			if _, err := svc.UpdateSSOConnection(ctx, *c.teamSlug, id, service.SSOConnectionPatch{AllowIDPInitiated: on}, caller.Actor); err != nil {
				return err
			}
		}
		patch := service.SSOPolicyPatch{RequireSSO: require.ptr(), JIT: jit.ptr()}
		switch strings.TrimSpace(*domains) {
		case "":
		case "none":
			patch.Domains = &[]string{}
		default:
			list := strings.Split(*domains, ",")
			patch.Domains = &list
		}
		var pol = struct {
			RequireSSO bool     `json:"require_sso"`
			JIT        bool     `json:"jit"`
			Domains    []string `json:"domains"`
		}{}
		if patch.RequireSSO != nil || patch.JIT != nil || patch.Domains != nil {
			p, err := svc.SetSSOPolicy(ctx, *c.teamSlug, patch, caller.Actor)
			if err != nil {
				return err
			}
			pol.RequireSSO, pol.JIT, pol.Domains = p.RequireSSO, p.JIT, p.Domains
		} else {
			p, err := svc.SSOPolicy(ctx, *c.teamSlug)
			if err != nil {
				return err
			}
			pol.RequireSSO, pol.JIT, pol.Domains = p.RequireSSO, p.JIT, p.Domains
		}
		if pol.Domains == nil {
			pol.Domains = []string{}
		}
		shown := strings.Join(pol.Domains, ", ")
		if shown == "" {
			shown = "any"
		}
		return c.print(pol, "team %s: require SSO %v, just-in-time members %v, allowed domains: %s\n", *c.teamSlug, pol.RequireSSO, pol.JIT, shown)
	})
}

func ssoTraces(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("sso traces", stdout)
	c.team()
	limit := c.fs.Int("limit", 50, "how many, newest first (at most 1000)")
	c.jsonFlag()
	return c.run(ctx, args, func(svc *service.Service) error {
		traces, err := svc.SSOTraces(ctx, *c.teamSlug, *limit)
		if err != nil {
			return err
		}
		views := make([]service.SSOTraceView, 0, len(traces))
		for _, t := range traces {
			views = append(views, service.SSOTraceViewOf(t))
		}
		if *c.asJSON {
			return printJSON(stdout, views)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "AT\tCONNECTION\tOUTCOME\tERROR\tEMAIL\tREFERENCE")
		for _, v := range views {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.At, v.ConnectionID, v.Outcome, v.Error, v.Email, v.ID)
		}
		return tw.Flush()
	})
}
