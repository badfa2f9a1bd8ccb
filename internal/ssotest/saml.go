// Package ssotest runs identity providers in process, on loopback, for
// the tests of Roster's single sign-on: a SAML IdP built on crewjam/saml's
// IdentityProvider (SP- and IdP-initiated sign-in, as a real IdP answers),
// with a forge that signs any response shape an attacker could send, and
// an OpenID Connect provider built on go-jose (discovery, JWKS with key
// rotation, the authorization code flow with PKCE) with knobs to tamper
// with its ID tokens. Only tests import it.
package ssotest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// KeyPair is an RSA key and its self-signed certificate.
type KeyPair struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

// NewKeyPair makes a 2048-bit RSA key and a certificate for it, valid
// from an hour ago for a year.
func NewKeyPair(t testing.TB, name string) KeyPair {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return KeyPair{Key: key, Cert: cert}
}

// User is who the IdP signs in.
type User struct {
	NameID       string
	NameIDFormat string // default emailAddress
	Email        string
	FirstName    string
	LastName     string
}

// SAMLIdP is a SAML identity provider on a loopback port.
type SAMLIdP struct {
	t    testing.TB
	URL  string // http://127.0.0.1:PORT
	Keys KeyPair
	IDP  *saml.IdentityProvider
	srv  *httptest.Server

	mu   sync.Mutex
	user *User
	sps  map[string]*saml.EntityDescriptor // by entity id
	// extraCerts are published in the metadata besides Keys.Cert (a
	// rotation).
	extraCerts []*x509.Certificate
}

// NewSAMLIdP starts an IdP: its metadata at /metadata, single sign-on at
// /sso (HTTP-Redirect or POST AuthnRequests), IdP-initiated sign-in at
// /start?sp=ENTITY_ID. Whoever SignInAs names is signed in without a
// login form.
func NewSAMLIdP(t testing.TB) *SAMLIdP { return NewSAMLIdPOn(t, "") }

// NewSAMLIdPOn is NewSAMLIdP reached by another host name than
// 127.0.0.1 ("localhost"), so that a browser sees its pages on another
// site than a Roster on 127.0.0.1: its form's POST to the ACS is then
// cross-site, as from a real IdP.
func NewSAMLIdPOn(t testing.TB, host string) *SAMLIdP {
	t.Helper()
	i := &SAMLIdP{t: t, Keys: NewKeyPair(t, "test-idp"), sps: map[string]*saml.EntityDescriptor{}}
	mux := http.NewServeMux()
	i.srv = httptest.NewServer(mux)
	t.Cleanup(i.srv.Close)
	i.URL = i.srv.URL
	if host != "" {
		i.URL = strings.Replace(i.URL, "127.0.0.1", host, 1)
	}
	base, _ := url.Parse(i.URL)
	i.IDP = &saml.IdentityProvider{
		Key:                     i.Keys.Key,
		Certificate:             i.Keys.Cert,
		MetadataURL:             *base.JoinPath("/metadata"),
		SSOURL:                  *base.JoinPath("/sso"),
		SignatureMethod:         dsig.RSASHA256SignatureMethod,
		ServiceProviderProvider: spProvider{i},
		SessionProvider:         sessionProvider{i},
		NameIDFormats:           []saml.NameIDFormat{saml.EmailAddressNameIDFormat, saml.PersistentNameIDFormat},
	}
	mux.HandleFunc("/metadata", i.IDP.ServeMetadata)
	mux.HandleFunc("/sso", i.IDP.ServeSSO)
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		i.IDP.ServeIDPInitiated(w, r, r.URL.Query().Get("sp"), r.URL.Query().Get("RelayState"))
	})
	return i
}

// EntityID is the IdP's entity id (its metadata URL).
func (i *SAMLIdP) EntityID() string { return i.IDP.MetadataURL.String() }

// Metadata is the IdP's metadata XML, listing its signing certificate
// (and, during a rotation, the next one).
func (i *SAMLIdP) Metadata() []byte {
	i.mu.Lock()
	i.IDP.ExtraCertificates = i.extraCerts
	i.mu.Unlock()
	md := i.IDP.Metadata()
	b, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		i.t.Fatal(err)
	}
	return b
}

// Rotate makes next the signing key; prev, when set, stays listed in the
// metadata.
func (i *SAMLIdP) Rotate(next KeyPair, keepPrev bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.extraCerts = nil
	if keepPrev {
		i.extraCerts = []*x509.Certificate{i.Keys.Cert}
	}
	i.Keys = next
	i.IDP.Key, i.IDP.Certificate = next.Key, next.Cert
}

// SignInAs makes u the person the IdP signs in (nil: nobody, the IdP
// answers 403).
func (i *SAMLIdP) SignInAs(u *User) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.user = u
}

// AddSP registers a service provider by its metadata XML (Roster's SP
// metadata for one connection).
func (i *SAMLIdP) AddSP(metadata []byte) *saml.EntityDescriptor {
	i.t.Helper()
	ed := &saml.EntityDescriptor{}
	if err := xml.Unmarshal(metadata, ed); err != nil {
		i.t.Fatalf("SP metadata: %v\n%s", err, metadata)
	}
	i.mu.Lock()
	i.sps[ed.EntityID] = ed
	i.mu.Unlock()
	return ed
}

type spProvider struct{ i *SAMLIdP }

func (p spProvider) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	p.i.mu.Lock()
	defer p.i.mu.Unlock()
	if ed, ok := p.i.sps[id]; ok {
		return ed, nil
	}
	return nil, os.ErrNotExist
}

type sessionProvider struct{ i *SAMLIdP }

func (p sessionProvider) GetSession(w http.ResponseWriter, _ *http.Request, _ *saml.IdpAuthnRequest) *saml.Session {
	p.i.mu.Lock()
	u := p.i.user
	p.i.mu.Unlock()
	if u == nil {
		http.Error(w, "nobody is signed in at the test IdP", http.StatusForbidden)
		return nil
	}
	format := u.NameIDFormat
	if format == "" {
		format = string(saml.EmailAddressNameIDFormat)
	}
	now := time.Now()
	return &saml.Session{ID: "s-" + u.NameID, CreateTime: now, ExpireTime: now.Add(time.Hour), Index: "1",
		NameID: u.NameID, NameIDFormat: format, UserEmail: u.Email, UserGivenName: u.FirstName, UserSurname: u.LastName,
		CustomAttributes: []saml.Attribute{
			{Name: "email", Values: []saml.AttributeValue{{Type: "xs:string", Value: u.Email}}},
			{Name: "firstName", Values: []saml.AttributeValue{{Type: "xs:string", Value: u.FirstName}}},
			{Name: "lastName", Values: []saml.AttributeValue{{Type: "xs:string", Value: u.LastName}}},
		}}
}

// Form is the auto-submitting form an IdP's page posts to the ACS.
type Form struct {
	Action       string
	SAMLResponse string
	RelayState   string
}

// ReadForm reads the HTTP-POST binding form out of an IdP's page.
func ReadForm(t testing.TB, page []byte) Form {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(page); err != nil {
		t.Fatalf("the IdP's page is not XHTML: %v\n%s", err, page)
	}
	var f Form
	form := doc.FindElement("//form")
	if form == nil {
		t.Fatalf("the IdP's page has no form:\n%s", page)
	}
	f.Action = form.SelectAttrValue("action", "")
	for _, in := range form.FindElements(".//input") {
		switch in.SelectAttrValue("name", "") {
		case "SAMLResponse":
			f.SAMLResponse = in.SelectAttrValue("value", "")
		case "RelayState":
			f.RelayState = in.SelectAttrValue("value", "")
		}
	}
	return f
}

// Forge describes a response to make and sign, as a real IdP or an
// attacker would. Zero fields take what a valid answer has.
type Forge struct {
	// SP is the connection's SP metadata: its entity id is the audience,
	// its ACS URL the destination and recipient.
	SP           *saml.EntityDescriptor
	Audience     string // overrides the SP's entity id
	Destination  string // overrides the ACS URL (Response Destination)
	Recipient    string // overrides the ACS URL (SubjectConfirmationData Recipient)
	InResponseTo string
	Issuer       string // overrides the IdP's entity id
	User         User
	AssertionID  string
	IssueInstant time.Time // default now
	NotOnOrAfter time.Time // default IssueInstant + 5 min
	// Unsigned leaves the assertion unsigned; SignResponse signs the
	// Response too (or instead, with Unsigned).
	Unsigned     bool
	SignResponse bool
	// SHA1 signs with RSA-SHA1 and SHA-1 digests.
	SHA1 bool
	// Keys signs with another key pair (another IdP's).
	Keys *KeyPair
	// Status replaces Success.
	Status string
	// ExtraCondition adds a condition Roster doesn't know.
	ExtraCondition bool
	// Edit changes the signed document before it is sent (signature
	// wrapping, comment injection, …).
	Edit func(doc *etree.Document)
	// Raw, when Edit is not enough, rewrites the serialised XML.
	Raw func(xml string) string
}

// Response makes the response f describes and returns it as the
// SAMLResponse form field (base64).
func (i *SAMLIdP) Response(f Forge) string {
	i.t.Helper()
	return base64.StdEncoding.EncodeToString([]byte(i.ResponseXML(f)))
}

// ResponseXML is Response before base64.
func (i *SAMLIdP) ResponseXML(f Forge) string {
	i.t.Helper()
	now := f.IssueInstant
	if now.IsZero() {
		now = time.Now()
	}
	notAfter := f.NotOnOrAfter
	if notAfter.IsZero() {
		notAfter = now.Add(5 * time.Minute)
	}
	acs := ""
	if f.SP != nil && len(f.SP.SPSSODescriptors) > 0 && len(f.SP.SPSSODescriptors[0].AssertionConsumerServices) > 0 {
		acs = f.SP.SPSSODescriptors[0].AssertionConsumerServices[0].Location
	}
	audience := f.Audience
	if audience == "" && f.SP != nil {
		audience = f.SP.EntityID
	}
	dest, recipient := or(f.Destination, acs), or(f.Recipient, acs)
	issuer := or(f.Issuer, i.EntityID())
	format := or(f.User.NameIDFormat, string(saml.EmailAddressNameIDFormat))
	keys := i.Keys
	if f.Keys != nil {
		keys = *f.Keys
	}
	a := &saml.Assertion{
		ID:           or(f.AssertionID, fmt.Sprintf("id-%x", randomBytes(16))),
		IssueInstant: now,
		Version:      "2.0",
		Issuer:       saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: issuer},
		Subject: &saml.Subject{
			NameID: &saml.NameID{Format: format, Value: f.User.NameID},
			SubjectConfirmations: []saml.SubjectConfirmation{{Method: "urn:oasis:names:tc:SAML:2.0:cm:bearer",
				SubjectConfirmationData: &saml.SubjectConfirmationData{InResponseTo: f.InResponseTo, NotOnOrAfter: notAfter, Recipient: recipient}}},
		},
		Conditions: &saml.Conditions{NotBefore: now.Add(-time.Minute), NotOnOrAfter: notAfter,
			AudienceRestrictions: []saml.AudienceRestriction{{Audience: saml.Audience{Value: audience}}}},
		AuthnStatements: []saml.AuthnStatement{{AuthnInstant: now, SessionIndex: "1",
			AuthnContext: saml.AuthnContext{AuthnContextClassRef: &saml.AuthnContextClassRef{Value: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"}}}},
		AttributeStatements: []saml.AttributeStatement{{Attributes: []saml.Attribute{
			{Name: "email", Values: []saml.AttributeValue{{Type: "xs:string", Value: f.User.Email}}},
			{Name: "firstName", Values: []saml.AttributeValue{{Type: "xs:string", Value: f.User.FirstName}}},
			{Name: "lastName", Values: []saml.AttributeValue{{Type: "xs:string", Value: f.User.LastName}}},
		}}},
	}
	assertionEl := a.Element()
	if f.ExtraCondition {
		cond := assertionEl.FindElement("./Conditions")
		c := cond.CreateElement("saml:Condition")
		c.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
		c.CreateAttr("xmlns:ext", "urn:example:conditions")
		c.CreateAttr("xsi:type", "ext:OnlyOnTuesdays")
	}
	if !f.Unsigned {
		assertionEl = i.sign(keys, assertionEl, f.SHA1)
	}
	status := or(f.Status, saml.StatusSuccess)
	resp := &saml.Response{
		Destination: dest, ID: fmt.Sprintf("id-%x", randomBytes(16)), InResponseTo: f.InResponseTo, IssueInstant: now, Version: "2.0",
		Issuer: &saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: issuer},
		Status: saml.Status{StatusCode: saml.StatusCode{Value: status}},
	}
	responseEl := resp.Element()
	if status == saml.StatusSuccess {
		responseEl.AddChild(assertionEl)
	}
	if f.SignResponse {
		responseEl = i.sign(keys, responseEl, f.SHA1)
	}
	doc := etree.NewDocument()
	doc.SetRoot(responseEl)
	if f.Edit != nil {
		f.Edit(doc)
	}
	s, err := doc.WriteToString()
	if err != nil {
		i.t.Fatal(err)
	}
	if f.Raw != nil {
		s = f.Raw(s)
	}
	return s
}

// sign signs el enveloped with keys (goxmldsig), the signature placed
// after the Issuer as the schema wants.
func (i *SAMLIdP) sign(keys KeyPair, el *etree.Element, sha1 bool) *etree.Element {
	i.t.Helper()
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{keys.Cert.Raw}, PrivateKey: keys.Key}))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	method := dsig.RSASHA256SignatureMethod
	if sha1 {
		method = dsig.RSASHA1SignatureMethod
	}
	if err := ctx.SetSignatureMethod(method); err != nil {
		i.t.Fatal(err)
	}
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		i.t.Fatal(err)
	}
	// goxmldsig appends the Signature; the schema wants it after the
	// Issuer (the first child). The enveloped transform leaves it out of
	// the digest wherever it is.
	var sig *etree.Element
	kept := signed.Child[:0]
	for _, c := range signed.Child {
		if e, ok := c.(*etree.Element); ok && e.Tag == "Signature" && sig == nil {
			sig = e
			continue
		}
		kept = append(kept, c)
	}
	signed.Child = kept
	signed.InsertChildAt(1, sig)
	return signed
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// PostForm posts an ACS form as a browser does from the IdP's page: a
// cross-site top-level POST (Origin the IdP's, Sec-Fetch-Site cross-site),
// which carries no SameSite=Lax or Strict cookie. It doesn't follow the
// answer's redirect.
func PostForm(t testing.TB, hc *http.Client, idpOrigin string, f Form) *http.Response {
	t.Helper()
	vals := url.Values{"SAMLResponse": {f.SAMLResponse}}
	if f.RelayState != "" {
		vals.Set("RelayState", f.RelayState)
	}
	req, err := http.NewRequest(http.MethodPost, f.Action, strings.NewReader(vals.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", idpOrigin)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Sec-Fetch-Dest", "document")
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// ReadAll reads and closes a response body.
func ReadAll(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
