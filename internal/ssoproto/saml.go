package ssoproto

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/rosterhq/roster/internal/service"
)

// Namespaces of SAML and XML signatures.
const (
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
)

// Limits of a SAML response, checked before crewjam/saml reads it.
const (
	// MaxResponseBytes bounds a decoded SAMLResponse.
	MaxResponseBytes = 256 << 10
	maxDepth         = 48
	maxElements      = 5000
)

// SP is one SAML connection as the protocol sees it: Roster's entity id
// and ACS URL for it, and the IdP it trusts (pinned certificates only).
type SP struct {
	EntityID    string
	ACSURL      string
	MetadataURL string
	IdPEntityID string
	IdPSSOURL   string
	// IdPCerts are the pinned signing certificates, base64 DER.
	IdPCerts          []string
	AllowIDPInitiated bool
	Mapping           service.SSOMapping
	// Now is the time the answer is judged at (the service's clock).
	Now time.Time
}

// SPOf is the SAML side of a connection.
func SPOf(c service.SSOConnection, now time.Time) SP {
	sp := SP{EntityID: c.SPEntityID(), ACSURL: c.ACSURL(), MetadataURL: c.SPMetadataURL(), AllowIDPInitiated: c.AllowIDPInitiated,
		Mapping: c.Mapping(), Now: now}
	if c.SAML != nil {
		sp.IdPEntityID, sp.IdPSSOURL, sp.IdPCerts = c.SAML.IdPEntityID, c.SAML.IdPSSOURL, c.SAML.IdPCerts
	}
	return sp
}

// provider is crewjam/saml's service provider for this connection, with
// its hardening switches on: SHA-1 signatures, unknown conditions and
// CBC-encrypted assertions in unsigned responses are refused, assertions
// go through the replay store, IdP-initiated sign-in only where the
// connection allows it. The IdP metadata it trusts is made here from the
// pinned fields, so no other key, endpoint or entity can creep in.
func (sp SP) provider(replay saml.AssertionReplayCache) (*saml.ServiceProvider, error) {
	acs, err := url.Parse(sp.ACSURL)
	if err != nil {
		return nil, err
	}
	meta, err := url.Parse(sp.MetadataURL)
	if err != nil {
		return nil, err
	}
	var keys []saml.KeyDescriptor
	for _, c := range sp.IdPCerts {
		keys = append(keys, saml.KeyDescriptor{Use: "signing", KeyInfo: saml.KeyInfo{X509Data: saml.X509Data{X509Certificates: []saml.X509Certificate{{Data: c}}}}})
	}
	idp := &saml.EntityDescriptor{EntityID: sp.IdPEntityID, IDPSSODescriptors: []saml.IDPSSODescriptor{{
		SSODescriptor: saml.SSODescriptor{RoleDescriptor: saml.RoleDescriptor{
			ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol", KeyDescriptors: keys}},
		SingleSignOnServices: []saml.Endpoint{{Binding: saml.HTTPRedirectBinding, Location: sp.IdPSSOURL}},
	}}}
	return &saml.ServiceProvider{
		EntityID:                         sp.EntityID,
		AcsURL:                           *acs,
		MetadataURL:                      *meta,
		IDPMetadata:                      idp,
		AuthnNameIDFormat:                saml.UnspecifiedNameIDFormat,
		AllowIDPInitiated:                sp.AllowIDPInitiated,
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		RejectSHA1Signatures:             true,
		RejectUnknownConditions:          true,
		RequireSignedResponseForCBC:      true,
		ReplayCache:                      replay,
		Clock:                            dsig.NewFakeClockAt(sp.Now),
		MetadataValidDuration:            7 * 24 * time.Hour,
	}, nil
}

// AuthnRequestURL is where the browser goes to start a sign-in: the IdP's
// sign-on URL with an AuthnRequest (id requestID, HTTP-Redirect binding)
// and the RelayState.
func (sp SP) AuthnRequestURL(requestID, relayState string) (string, error) {
	p, err := sp.provider(nil)
	if err != nil {
		return "", err
	}
	req, err := p.MakeAuthenticationRequest(sp.IdPSSOURL, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", err
	}
	req.ID = requestID
	u, err := req.Redirect(relayState, p)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// Metadata is Roster's SP metadata for this connection: its entity id and
// ACS URL (HTTP-POST). Roster doesn't sign its AuthnRequests, so it
// publishes no signing certificate, and no encryption key (assertions
// are not to be encrypted).
func (sp SP) Metadata() ([]byte, error) {
	p, err := sp.provider(nil)
	if err != nil {
		return nil, err
	}
	b, err := xml.MarshalIndent(p.Metadata(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}

// replayStore adapts the service's replay store to crewjam/saml.
type replayStore func(assertionID string, expires time.Time) (replayed bool, err error)

func (r replayStore) Consume(assertionID string, expires time.Time) error {
	replayed, err := r(assertionID, expires)
	if err != nil {
		return err
	}
	if replayed {
		return saml.ErrAssertionReplayed
	}
	return nil
}

// Replay records an assertion id until it expires and says whether it
// was already recorded (Service.UseAssertionID).
type Replay func(assertionID string, expires time.Time) (replayed bool, err error)

// Verify checks a SAMLResponse (the form field, base64) received at this
// connection's ACS. requestID is the id of the AuthnRequest it must answer
// ("" when Roster started no sign-in it could match: then only an
// IdP-initiated response of a connection that allows them goes through).
// On success it returns what the verified assertion says; otherwise a
// verdict with a trace code. Before crewjam/saml reads the XML, Roster
// refuses what a SAML response never holds (DTDs, comments, processing
// instructions), anything but exactly one assertion, encrypted
// assertions, and responses where neither the response nor the
// assertion carries a signature.
func (sp SP) Verify(samlResponse, requestID string, replay Replay) (service.SSOClaims, *service.SSOVerdict) {
	detail := map[string]any{}
	fail := func(code, format string, args ...any) (service.SSOClaims, *service.SSOVerdict) {
		return service.SSOClaims{}, &service.SSOVerdict{Code: code, Message: fmt.Sprintf(format, args...), Detail: detail}
	}
	raw, err := decodeBase64(samlResponse)
	if err != nil {
		return fail(service.SSOMalformed, "SAMLResponse is not base64: %v", err)
	}
	if len(raw) > MaxResponseBytes {
		return fail(service.SSOMalformed, "the SAML response is over %d bytes", MaxResponseBytes)
	}
	sc, err := scan(raw)
	sc.describe(detail)
	detail["expected_in_response_to"] = requestID
	detail["idp_initiated"] = requestID == ""
	switch {
	case err != nil:
		return fail(service.SSOMalformed, "%v", err)
	case !sc.response:
		return fail(service.SSOMalformed, "the document is not a SAML protocol Response")
	case sc.assertions+sc.encrypted > 1:
		return fail(service.SSOMultipleAssertions, "the response holds %d assertions; exactly one is accepted", sc.assertions+sc.encrypted)
	case sc.status != "" && sc.status != saml.StatusSuccess:
		return fail(service.SSOIdPError, "the IdP answered with status %s", sc.status)
	case sc.encrypted > 0:
		return fail(service.SSOUnsupported, "the assertion is encrypted; Roster publishes no encryption key: turn assertion encryption off at the IdP")
	case sc.assertions == 0:
		return fail(service.SSOMalformed, "the response holds no assertion")
	case !sc.responseSigned && !sc.assertionSigned:
		return fail(service.SSOUnsigned, "neither the response nor the assertion is signed")
	case requestID == "" && !sp.AllowIDPInitiated && sc.inResponseTo == "":
		return fail(service.SSOUnsolicited, "an IdP-initiated response, which this connection doesn't allow")
	}
	p, err := sp.provider(replayStore(replay))
	if err != nil {
		return fail(service.SSOInternal, "%v", err)
	}
	var ids []string
	if requestID != "" {
		ids = []string{requestID}
	}
	acs, _ := url.Parse(sp.ACSURL)
	a, err := p.ParseXMLResponse(raw, ids, *acs)
	if err != nil {
		code, msg := classify(err)
		return fail(code, "%s", msg)
	}
	return sp.claims(a, detail)
}

// claims reads what the verified assertion says: only the assertion
// crewjam/saml returned, parsed from what its signature covers.
func (sp SP) claims(a *saml.Assertion, detail map[string]any) (service.SSOClaims, *service.SSOVerdict) {
	var cl service.SSOClaims
	cl.Detail = detail
	detail["assertion_id"] = a.ID
	if a.Subject == nil || a.Subject.NameID == nil || strings.TrimSpace(a.Subject.NameID.Value) == "" {
		return cl, &service.SSOVerdict{Code: service.SSOMissingSubject, Message: "the assertion has no NameID", Detail: detail}
	}
	nameID := a.Subject.NameID
	detail["nameid_format"] = nameID.Format
	if nameID.Format == string(saml.TransientNameIDFormat) {
		return cl, &service.SSOVerdict{Code: service.SSOMissingSubject, Message: "the NameID is transient (a new one each sign-in): configure the IdP to send a persistent or email NameID", Detail: detail}
	}
	cl.Subject = strings.TrimSpace(nameID.Value)
	var names []string
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			names = append(names, at.Name)
		}
	}
	detail["attributes"] = names
	cl.Email = attribute(a, sp.Mapping.Email)
	if cl.Email == "" && nameID.Format == string(saml.EmailAddressNameIDFormat) {
		cl.Email = cl.Subject
	}
	cl.FirstName, cl.LastName = attribute(a, sp.Mapping.FirstName), attribute(a, sp.Mapping.LastName)
	return cl, nil
}

// attribute is the first value of the attribute named name (or with that
// friendly name).
func attribute(a *saml.Assertion, name string) string {
	if name == "" {
		return ""
	}
	for _, byFriendly := range []bool{false, true} {
		for _, st := range a.AttributeStatements {
			for _, at := range st.Attributes {
				if (!byFriendly && at.Name == name) || (byFriendly && at.FriendlyName == name) {
					for _, v := range at.Values {
						if s := strings.TrimSpace(v.Value); s != "" {
							return s
						}
					}
				}
			}
		}
	}
	return ""
}

// classify maps crewjam/saml's refusal to a trace code and a message.
func classify(err error) (string, string) {
	msg := err.Error()
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		msg = ire.PrivateErr.Error()
	}
	var bad saml.ErrBadStatus
	switch {
	case errors.Is(err, saml.ErrAssertionReplayed):
		return service.SSOReplay, msg
	case errors.As(err, &bad):
		return service.SSOIdPError, "the IdP answered with status " + bad.Status
	case errors.Is(err, saml.ErrInvalidSignature) && errors.Is(err, saml.ErrUnsupported):
		return service.SSOWeakSignature, msg
	case errors.Is(err, saml.ErrUntrustedCertificate), errors.Is(err, saml.ErrCertificateNotValidNow):
		return service.SSOUntrustedCert, msg
	case errors.Is(err, saml.ErrInvalidSignature):
		return service.SSOBadSignature, msg
	case errors.Is(err, saml.ErrIssuerMismatch):
		return service.SSOWrongIssuer, msg
	case errors.Is(err, saml.ErrAudienceMismatch):
		return service.SSOWrongAudience, msg
	case errors.Is(err, saml.ErrDestinationMismatch):
		return service.SSOWrongDestination, msg
	case errors.Is(err, saml.ErrRequestIDMismatch):
		return service.SSOUnknownRequest, msg
	case errors.Is(err, saml.ErrExpired):
		return service.SSOExpired, msg
	case errors.Is(err, saml.ErrNotYetValid):
		return service.SSONotYetValid, msg
	case errors.Is(err, saml.ErrUnsupported), errors.Is(err, saml.ErrDecryptionFailed):
		return service.SSOUnsupported, msg
	case errors.Is(err, saml.ErrMalformedMessage), errors.Is(err, saml.ErrMissingElement):
		return service.SSOMalformed, msg
	}
	return service.SSOBadSignature, msg
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\r' || r == '\n' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if len(s) == 0 {
		return nil, errors.New("it is empty")
	}
	if base64.StdEncoding.DecodedLen(len(s)) > MaxResponseBytes+3 {
		return nil, fmt.Errorf("it is over %d bytes", MaxResponseBytes)
	}
	return base64.StdEncoding.DecodeString(s)
}

// scanned is what a first pass over a response's XML found: its shape,
// for the refusals Roster makes before crewjam/saml reads it, and the
// fields a trace shows. Nothing here is trusted: what signs someone in is
// read from the verified assertion only.
type scanned struct {
	response                        bool
	assertions, encrypted           int
	responseSigned, assertionSigned bool
	status                          string
	inResponseTo, destination       string
	issuer, audience, recipient     string
}

func (s scanned) describe(d map[string]any) {
	d["issuer"], d["destination"], d["in_response_to"] = s.issuer, s.destination, s.inResponseTo
	d["audience"], d["recipient"] = s.audience, s.recipient
	d["response_signed"], d["assertion_signed"] = s.responseSigned, s.assertionSigned
	d["assertions"] = s.assertions + s.encrypted
}

// scan reads a response's tokens once: it refuses DTDs, comments and
// processing instructions, bounds depth and size, and counts assertions
// (in the assertion namespace, wherever they are: one hidden in an
// Extensions, an Object or a second Response counts), encrypted ones, and
// signatures directly under the Response and under an Assertion.
func scan(raw []byte) (scanned, error) {
	var s scanned
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict = true
	var stack []xml.Name
	elements := 0
	text := func() string {
		var b strings.Builder
		for {
			tok, err := d.Token()
			if err != nil {
				return b.String()
			}
			switch t := tok.(type) {
			case xml.CharData:
				b.Write(t)
			case xml.EndElement:
				stack = stack[:len(stack)-1]
				return strings.TrimSpace(b.String())
			default:
				return strings.TrimSpace(b.String())
			}
		}
	}
	first := true
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if len(stack) != 0 {
				return s, errors.New("the XML ends inside an element")
			}
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("the SAML response is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return s, errors.New("the SAML response declares a document type (DTD)")
		case xml.Comment:
			return s, errors.New("the SAML response holds an XML comment (comment injection is refused)")
		case xml.ProcInst:
			if !first || t.Target != "xml" {
				return s, errors.New("the SAML response holds a processing instruction")
			}
		case xml.StartElement:
			elements++
			if elements > maxElements || len(stack) >= maxDepth {
				return s, errors.New("the SAML response is too large or too deeply nested")
			}
			parent := xml.Name{}
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			if len(stack) == 0 {
				s.response = t.Name.Space == nsProtocol && t.Name.Local == "Response"
				for _, at := range t.Attr {
					switch at.Name.Local {
					case "InResponseTo":
						s.inResponseTo = at.Value
					case "Destination":
						s.destination = at.Value
					}
				}
			}
			stack = append(stack, t.Name)
			switch {
			case t.Name.Space == nsAssertion && t.Name.Local == "Assertion":
				s.assertions++
			case t.Name.Space == nsAssertion && t.Name.Local == "EncryptedAssertion":
				s.encrypted++
			case t.Name.Space == nsDSig && t.Name.Local == "Signature":
				if len(stack) == 2 && s.response {
					s.responseSigned = true
				}
				if parent.Space == nsAssertion && parent.Local == "Assertion" {
					s.assertionSigned = true
				}
			case t.Name.Space == nsProtocol && t.Name.Local == "StatusCode" && parent.Local == "Status" && s.status == "":
				for _, at := range t.Attr {
					if at.Name.Local == "Value" {
						s.status = at.Value
					}
				}
			case t.Name.Space == nsAssertion && t.Name.Local == "Issuer" && parent.Local == "Response" && len(stack) == 2:
				s.issuer = text()
			case t.Name.Space == nsAssertion && t.Name.Local == "Audience" && s.audience == "":
				s.audience = text()
			case t.Name.Space == nsAssertion && t.Name.Local == "SubjectConfirmationData" && s.recipient == "":
				for _, at := range t.Attr {
					if at.Name.Local == "Recipient" {
						s.recipient = at.Value
					}
				}
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(bytes.TrimSpace(t)) == 0 {
				continue
			}
		}
		first = false
	}
}
