package ssoproto

import (
	"encoding/base64"
	"encoding/xml"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/ssotest"
	"github.com/rosterhq/roster/internal/store"
)

// Every attack on a SAML response that the issue names, forged against a
// connection's SP: each is refused with its trace code, and a valid
// response (signed assertion, signed response, or both) is accepted.

// memReplay is a replay store in memory.
type memReplay struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memReplay) use(id string, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	if m.seen[id] {
		return true, nil
	}
	m.seen[id] = true
	return false, nil
}

type samlFixture struct {
	t      *testing.T
	idp    *ssotest.SAMLIdP
	conn   service.SSOConnection
	sp     SP
	meta   *saml.EntityDescriptor
	replay *memReplay
	now    time.Time
}

// connectionFor is a SAML connection trusting idp, at Roster's base URL.
func connectionFor(t *testing.T, id, base string, idp *ssotest.SAMLIdP) service.SSOConnection {
	t.Helper()
	md, err := ParseMetadata(idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	var certs []string
	for _, c := range md.Certs {
		certs = append(certs, base64.StdEncoding.EncodeToString(c))
	}
	return service.SSOConnection{SSOConnection: store.SSOConnection{ID: id, Type: store.SSOSAML, Enabled: true, SPBaseURL: base},
		SAML: &service.SAMLConfig{IdPEntityID: md.EntityID, IdPSSOURL: md.SSOURL, IdPCerts: certs}}
}

func newSAMLFixture(t *testing.T) *samlFixture {
	t.Helper()
	f := &samlFixture{t: t, idp: ssotest.NewSAMLIdP(t), replay: &memReplay{}, now: time.Now()}
	f.conn = connectionFor(t, "conn-a", "https://roster.example", f.idp)
	f.sp = SPOf(f.conn, f.now)
	md, err := f.sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	f.meta = f.idp.AddSP(md)
	return f
}

var ana = ssotest.User{NameID: "ana@acme.example", Email: "ana@acme.example", FirstName: "Ana", LastName: "Lima"}

// forge makes a response answering request "req-1" for ana, then edits it.
func (f *samlFixture) forge(mod func(*ssotest.Forge)) string {
	fg := ssotest.Forge{SP: f.meta, InResponseTo: "req-1", User: ana}
	if mod != nil {
		mod(&fg)
	}
	return f.idp.Response(fg)
}

func (f *samlFixture) verify(resp, requestID string) (service.SSOClaims, *service.SSOVerdict) {
	return f.sp.Verify(resp, requestID, f.replay.use)
}

func TestSAMLAccepts(t *testing.T) {
	f := newSAMLFixture(t)
	for name, mod := range map[string]func(*ssotest.Forge){
		"signed assertion":              nil,
		"signed response":               func(g *ssotest.Forge) { g.Unsigned, g.SignResponse = true, true },
		"signed response and assertion": func(g *ssotest.Forge) { g.SignResponse = true },
	} {
		cl, v := f.verify(f.forge(mod), "req-1")
		if v != nil {
			t.Errorf("%s: refused %s: %s", name, v.Code, v.Message)
			continue
		}
		if cl.Subject != "ana@acme.example" || cl.Email != "ana@acme.example" || cl.FirstName != "Ana" || cl.LastName != "Lima" {
			t.Errorf("%s: claims %+v", name, cl)
		}
		if cl.Detail["assertion_id"] == "" || cl.Detail["issuer"] != f.idp.EntityID() {
			t.Errorf("%s: trace detail %v", name, cl.Detail)
		}
	}
	// The email from the NameID when no attribute carries it.
	f.sp.Mapping.Email = "mail"
	cl, v := f.verify(f.forge(nil), "req-1")
	if v != nil || cl.Email != "ana@acme.example" {
		t.Errorf("email from an emailAddress NameID: %+v, %v", cl, v)
	}
	// Not from a persistent NameID.
	cl, v = f.verify(f.forge(func(g *ssotest.Forge) {
		g.User.NameID, g.User.NameIDFormat = "00u1", string(saml.PersistentNameIDFormat)
	}), "req-1")
	if v != nil || cl.Subject != "00u1" || cl.Email != "" {
		t.Errorf("a persistent NameID and no mapped email: %+v, %v", cl, v)
	}
}

func TestSAMLRefusesForgedResponses(t *testing.T) {
	f := newSAMLFixture(t)
	other := ssotest.NewKeyPair(t, "another-idp")
	// Team B's connection: another id, hence another ACS URL and entity id.
	connB := connectionFor(t, "conn-b", "https://roster.example", f.idp)
	spB := SPOf(connB, f.now)
	old := f.now.Add(-20 * time.Minute)

	nameIDEl := func(doc *etree.Document) *etree.Element {
		return doc.FindElement("//Assertion/Subject/NameID")
	}
	cases := []struct {
		name      string
		requestID string
		resp      string
		sp        *SP
		code      string
	}{
		{name: "unsigned", resp: f.forge(func(g *ssotest.Forge) { g.Unsigned = true }), code: service.SSOUnsigned},
		{name: "content altered after signing", resp: f.forge(func(g *ssotest.Forge) {
			g.Edit = func(doc *etree.Document) { nameIDEl(doc).SetText("admin@acme.example") }
		}), code: service.SSOBadSignature},
		{name: "signature wrapping: evil assertion, signed one moved into Extensions", resp: f.forge(func(g *ssotest.Forge) {
			g.Edit = func(doc *etree.Document) {
				orig := doc.FindElement("//Assertion")
				evil := orig.Copy()
				evil.RemoveChild(evil.SelectElement("Signature"))
				evil.SelectElement("Subject").SelectElement("NameID").SetText("admin@acme.example")
				root := doc.Root()
				root.RemoveChild(orig)
				ext := root.CreateElement("samlp:Extensions")
				ext.AddChild(orig)
				root.AddChild(evil)
			}
		}), code: service.SSOMultipleAssertions},
		{name: "signature wrapping: evil assertion inside the signature's Object", resp: f.forge(func(g *ssotest.Forge) {
			g.Edit = func(doc *etree.Document) {
				orig := doc.FindElement("//Assertion")
				evil := orig.Copy()
				evil.RemoveChild(evil.SelectElement("Signature"))
				evil.SelectElement("Subject").SelectElement("NameID").SetText("admin@acme.example")
				evil.CreateAttr("ID", "evil")
				obj := orig.SelectElement("Signature").CreateElement("ds:Object")
				obj.AddChild(evil)
			}
		}), code: service.SSOMultipleAssertions},
		{name: "signature wrapping: signed response wrapped in an unsigned one", resp: f.forge(func(g *ssotest.Forge) {
			g.SignResponse = true
			g.Edit = func(doc *etree.Document) {
				orig := doc.Root()
				outer := orig.Copy()
				for _, c := range outer.ChildElements() {
					if c.Tag == "Assertion" || c.Tag == "Signature" {
						outer.RemoveChild(c)
					}
				}
				evil := orig.SelectElement("Assertion").Copy()
				evil.RemoveChild(evil.SelectElement("Signature"))
				evil.SelectElement("Subject").SelectElement("NameID").SetText("admin@acme.example")
				outer.CreateElement("samlp:Extensions").AddChild(orig)
				outer.AddChild(evil)
				doc.SetRoot(outer)
			}
		}), code: service.SSOMultipleAssertions},
		{name: "comment injection in the NameID", resp: f.forge(func(g *ssotest.Forge) {
			g.User.NameID, g.User.Email = "user@evil.com.good.com", "user@evil.com.good.com"
			g.Raw = func(s string) string {
				return strings.Replace(s, ">user@evil.com.good.com<", ">user@evil.com<!---->.good.com<", 1)
			}
		}), code: service.SSOMalformed},
		{name: "a second assertion, signed by the IdP", resp: f.forge(func(g *ssotest.Forge) {
			second := f.idp.ResponseXML(ssotest.Forge{SP: f.meta, InResponseTo: "req-1", User: ssotest.User{NameID: "admin@acme.example", Email: "admin@acme.example"}})
			g.Edit = func(doc *etree.Document) {
				d2 := etree.NewDocument()
				if err := d2.ReadFromString(second); err != nil {
					t.Fatal(err)
				}
				doc.Root().AddChild(d2.FindElement("//Assertion").Copy())
			}
		}), code: service.SSOMultipleAssertions},
		{name: "signed by another IdP's key", resp: f.forge(func(g *ssotest.Forge) { g.Keys = &other }), code: service.SSOUntrustedCert},
		{name: "response signed by another IdP's key, assertion unsigned", resp: f.forge(func(g *ssotest.Forge) {
			g.Keys, g.Unsigned, g.SignResponse = &other, true, true
		}), code: service.SSOUntrustedCert},
		{name: "SHA-1 signature", resp: f.forge(func(g *ssotest.Forge) { g.SHA1 = true }), code: service.SSOWeakSignature},
		{name: "wrong audience", resp: f.forge(func(g *ssotest.Forge) { g.Audience = "https://other.example/sp" }), code: service.SSOWrongAudience},
		{name: "wrong destination", resp: f.forge(func(g *ssotest.Forge) { g.Destination = "https://evil.example/acs"; g.SignResponse = true }), code: service.SSOWrongDestination},
		{name: "wrong recipient", resp: f.forge(func(g *ssotest.Forge) { g.Recipient = "https://evil.example/acs" }), code: service.SSOWrongDestination},
		{name: "team A's response at team B's ACS", resp: f.forge(nil), sp: &spB, code: service.SSOWrongDestination},
		{name: "team A's response (no Destination) at team B's ACS", resp: f.forge(func(g *ssotest.Forge) {
			g.Edit = func(doc *etree.Document) { doc.Root().RemoveAttr("Destination") }
		}), sp: &spB, code: service.SSOWrongDestination},
		{name: "InResponseTo names another request", resp: f.forge(func(g *ssotest.Forge) { g.InResponseTo = "req-2" }), code: service.SSOUnknownRequest},
		{name: "unsolicited (IdP-initiated off)", requestID: "-", resp: f.forge(func(g *ssotest.Forge) { g.InResponseTo = "" }), code: service.SSOUnsolicited},
		{name: "answers a request, but none is pending", requestID: "-", resp: f.forge(nil), code: service.SSOUnknownRequest},
		{name: "expired", resp: f.forge(func(g *ssotest.Forge) { g.IssueInstant, g.NotOnOrAfter = old, old.Add(5*time.Minute) }), code: service.SSOExpired},
		{name: "not yet valid", resp: f.forge(func(g *ssotest.Forge) { g.IssueInstant = f.now.Add(20 * time.Minute) }), code: service.SSONotYetValid},
		{name: "wrong issuer", resp: f.forge(func(g *ssotest.Forge) { g.Issuer = "https://evil.example/idp" }), code: service.SSOWrongIssuer},
		{name: "IdP error status", resp: f.forge(func(g *ssotest.Forge) { g.Status = saml.StatusAuthnFailed }), code: service.SSOIdPError},
		{name: "unknown condition", resp: f.forge(func(g *ssotest.Forge) { g.ExtraCondition = true }), code: service.SSOUnsupported},
		{name: "transient NameID", resp: f.forge(func(g *ssotest.Forge) { g.User.NameIDFormat = string(saml.TransientNameIDFormat) }), code: service.SSOMissingSubject},
		{name: "a DTD", resp: f.forge(func(g *ssotest.Forge) {
			g.Raw = func(s string) string { return `<!DOCTYPE r [<!ENTITY x "y">]>` + s }
		}), code: service.SSOMalformed},
		{name: "an encrypted assertion", resp: f.forge(func(g *ssotest.Forge) {
			g.Edit = func(doc *etree.Document) {
				a := doc.FindElement("//Assertion")
				doc.Root().RemoveChild(a)
				doc.Root().CreateElement("saml:EncryptedAssertion").CreateElement("xenc:EncryptedData").CreateAttr("xmlns:xenc", "http://www.w3.org/2001/04/xmlenc#")
			}
		}), code: service.SSOUnsupported},
		{name: "not base64", resp: "%%%", code: service.SSOMalformed},
		{name: "not XML", resp: base64.StdEncoding.EncodeToString([]byte("<<<")), code: service.SSOMalformed},
		{name: "not a Response", resp: base64.StdEncoding.EncodeToString([]byte(`<x xmlns="urn:x"/>`)), code: service.SSOMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sp := f.sp
			if c.sp != nil {
				sp = *c.sp
			}
			req := c.requestID
			if req == "" {
				req = "req-1"
			} else if req == "-" {
				req = ""
			}
			cl, v := sp.Verify(c.resp, req, f.replay.use)
			if v == nil {
				t.Fatalf("accepted, as %+v", cl)
			}
			if v.Code != c.code {
				t.Fatalf("refused with %s (%s), want %s", v.Code, v.Message, c.code)
			}
			if v.Message == "" {
				t.Error("no message for the trace")
			}
		})
	}
}

func TestSAMLReplayAndIdPInitiated(t *testing.T) {
	f := newSAMLFixture(t)
	resp := f.forge(nil)
	if _, v := f.verify(resp, "req-1"); v != nil {
		t.Fatalf("first use: %s %s", v.Code, v.Message)
	}
	if _, v := f.verify(resp, "req-1"); v == nil || v.Code != service.SSOReplay {
		t.Fatalf("second use: %+v, want a replay", v)
	}
	// IdP-initiated, where the connection allows it: no InResponseTo.
	f.sp.AllowIDPInitiated = true
	if cl, v := f.verify(f.forge(func(g *ssotest.Forge) { g.InResponseTo = "" }), ""); v != nil || cl.Subject != ana.NameID {
		t.Fatalf("IdP-initiated where allowed: %+v, %+v", cl, v)
	}
	// A response to a request Roster made is not an IdP-initiated one.
	if _, v := f.verify(f.forge(nil), ""); v == nil || v.Code != service.SSOUnknownRequest {
		t.Fatalf("a solicited response replayed as IdP-initiated: %+v", v)
	}
}

// TestSAMLCertificateRotation: during a rotation the metadata lists two
// certificates and a response signed by either is accepted; a third key
// is not.
func TestSAMLCertificateRotation(t *testing.T) {
	f := newSAMLFixture(t)
	prev := f.idp.Keys
	next := ssotest.NewKeyPair(t, "next")
	f.idp.Rotate(next, true)
	f.conn = connectionFor(t, "conn-a", "https://roster.example", f.idp)
	if len(f.conn.SAML.IdPCerts) != 2 {
		t.Fatalf("rotation metadata pins %d certificates, want 2", len(f.conn.SAML.IdPCerts))
	}
	f.sp = SPOf(f.conn, f.now)
	for name, keys := range map[string]*ssotest.KeyPair{"previous": &prev, "next": &next} {
		if _, v := f.verify(f.forge(func(g *ssotest.Forge) { g.Keys = keys }), "req-1"); v != nil {
			t.Errorf("signed with the %s key: %s %s", name, v.Code, v.Message)
		}
	}
	third := ssotest.NewKeyPair(t, "third")
	if _, v := f.verify(f.forge(func(g *ssotest.Forge) { g.Keys = &third }), "req-1"); v == nil || v.Code != service.SSOUntrustedCert {
		t.Errorf("signed with a third key: %+v", v)
	}
}

// TestSAMLLibraryAloneReadsOnlyWhatIsSigned drops Roster's own checks
// before crewjam/saml and feeds the library the wrapping and comment
// attacks: it must still refuse the wrapping or read only the signed
// assertion, and read the whole NameID despite the comment. (Roster's
// checks are a second line, not the only one.)
func TestSAMLLibraryAloneReadsOnlyWhatIsSigned(t *testing.T) {
	f := newSAMLFixture(t)
	p, err := f.sp.provider(replayStore(f.replay.use))
	if err != nil {
		t.Fatal(err)
	}
	acs, _ := url.Parse(f.sp.ACSURL)
	parse := func(s string) (*saml.Assertion, error) {
		raw, _ := base64.StdEncoding.DecodeString(s)
		return p.ParseXMLResponse(raw, []string{"req-1"}, *acs)
	}
	wrapped := f.forge(func(g *ssotest.Forge) {
		g.Edit = func(doc *etree.Document) {
			orig := doc.FindElement("//Assertion")
			evil := orig.Copy()
			evil.RemoveChild(evil.SelectElement("Signature"))
			evil.SelectElement("Subject").SelectElement("NameID").SetText("admin@acme.example")
			evil.CreateAttr("ID", "evil")
			root := doc.Root()
			root.RemoveChild(orig)
			root.AddChild(evil)
			root.AddChild(orig)
		}
	})
	if a, err := parse(wrapped); err == nil && a.Subject.NameID.Value != ana.NameID {
		t.Errorf("the library read the unsigned assertion: %q", a.Subject.NameID.Value)
	}
	injected := f.forge(func(g *ssotest.Forge) {
		g.User.NameID = "user@evil.com.good.com"
		g.AssertionID = "id-comment"
		g.Raw = func(s string) string {
			return strings.Replace(s, ">user@evil.com.good.com<", ">user@evil.com<!---->.good.com<", 1)
		}
	})
	if a, err := parse(injected); err == nil && strings.TrimSpace(a.Subject.NameID.Value) != "user@evil.com.good.com" {
		t.Errorf("the library read the NameID as %q", a.Subject.NameID.Value)
	}
}

func TestSAMLRequestAndMetadata(t *testing.T) {
	f := newSAMLFixture(t)
	u, err := f.sp.AuthnRequestURL("id-abc", "relay-1")
	if err != nil {
		t.Fatal(err)
	}
	pu, _ := url.Parse(u)
	if !strings.HasPrefix(u, f.idp.URL+"/sso?") || pu.Query().Get("RelayState") != "relay-1" || pu.Query().Get("SAMLRequest") == "" {
		t.Fatalf("AuthnRequest URL %s", u)
	}
	md, err := f.sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(md, &ed); err != nil {
		t.Fatal(err)
	}
	sp := ed.SPSSODescriptors[0]
	if ed.EntityID != f.conn.SPEntityID() || len(sp.AssertionConsumerServices) != 1 || sp.AssertionConsumerServices[0].Location != f.conn.ACSURL() ||
		sp.AssertionConsumerServices[0].Binding != saml.HTTPPostBinding || len(sp.KeyDescriptors) != 0 {
		t.Fatalf("SP metadata: %s", md)
	}
}

func TestParseMetadata(t *testing.T) {
	idp := ssotest.NewSAMLIdP(t)
	md := idp.Metadata()
	got, err := ParseMetadata(md)
	if err != nil || got.EntityID != idp.EntityID() || got.SSOURL != idp.URL+"/sso" || len(got.Certs) != 1 {
		t.Fatalf("ParseMetadata = %+v, %v", got, err)
	}
	agg := `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` + strings.TrimPrefix(string(md), xml.Header) + `</EntitiesDescriptor>`
	if got, err := ParseMetadata([]byte(agg)); err != nil || got.EntityID != idp.EntityID() {
		t.Errorf("an aggregate of one IdP: %+v, %v", got, err)
	}
	for name, bad := range map[string]string{
		"empty":         "",
		"not XML":       "<<",
		"a DTD":         `<!DOCTYPE x [<!ENTITY a "b">]>` + string(md),
		"a comment":     strings.Replace(string(md), "<IDPSSODescriptor", "<!-- x --><IDPSSODescriptor", 1),
		"an SP":         `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>`,
		"no redirect":   strings.ReplaceAll(string(md), saml.HTTPRedirectBinding, "urn:x"),
		"bad cert":      strings.Replace(string(md), "<X509Certificate xmlns=\"http://www.w3.org/2000/09/xmldsig#\">", "<X509Certificate xmlns=\"http://www.w3.org/2000/09/xmldsig#\">%%%", 1),
		"two IdPs":      `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` + strings.Repeat(strings.TrimPrefix(string(md), xml.Header), 2) + `</EntitiesDescriptor>`,
		"too big":       string(md) + strings.Repeat(" ", MaxMetadataBytes),
		"another root":  `<x xmlns="urn:x"/>`,
		"processing in": strings.Replace(string(md), "<IDPSSODescriptor", "<?x y?><IDPSSODescriptor", 1),
	} {
		if got, err := ParseMetadata([]byte(bad)); err == nil {
			t.Errorf("%s: accepted as %+v", name, got)
		} else if e, ok := service.AsError(err); !ok || e.Kind != service.KindInvalid {
			t.Errorf("%s: %v, want a 400", name, err)
		}
	}
}
