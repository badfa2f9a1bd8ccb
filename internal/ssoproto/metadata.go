// Package ssoproto speaks the single sign-on protocols for Roster's SSO
// edge: SAML 2.0 with github.com/crewjam/saml (its hardening switches on,
// and checks of its own before and after it) and OpenID Connect with
// github.com/coreos/go-oidc/v3 and golang.org/x/oauth2. It reads IdP
// metadata (metadata.go), fetches it from a URL without reaching private
// addresses (fetch.go), makes Roster's requests and verifies the IdP's
// answers (saml.go, oidc.go), and hands back only what it verified, with a
// trace code (service.SSO*) for anything it refuses. It writes no XML
// signature code: signatures are crewjam/saml's and goxmldsig's.
//
// It holds no rules of who gets in (package service/sso does) and serves
// nothing (internal/ssoapi does).
package ssoproto

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/crewjam/saml"

	"github.com/rosterhq/roster/internal/service"
)

// MaxMetadataBytes bounds IdP metadata, uploaded or fetched.
const MaxMetadataBytes = 1 << 20

// ParseMetadata reads an IdP's SAML metadata: its entity id, its
// HTTP-Redirect single sign-on URL and its signing certificates. An
// aggregate (EntitiesDescriptor) must hold exactly one IdP. The errors are
// the service's 400s, naming what is wrong.
func ParseMetadata(data []byte) (service.SAMLIdP, error) {
	var out service.SAMLIdP
	bad := func(format string, args ...any) error {
		return service.BadRequest("idp_metadata", "the IdP metadata "+format, args...)
	}
	if len(data) > MaxMetadataBytes {
		return out, bad("is over %d bytes", MaxMetadataBytes)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return out, bad("is empty")
	}
	if err := refuseDTD(data); err != nil {
		return out, bad("%v", err)
	}
	ed, err := entity(data)
	if err != nil {
		return out, bad("is not SAML 2.0 metadata of one IdP: %v", err)
	}
	if len(ed.IDPSSODescriptors) != 1 {
		return out, bad("must describe one IdP (an IDPSSODescriptor); it has %d", len(ed.IDPSSODescriptors))
	}
	idp := ed.IDPSSODescriptors[0]
	out.EntityID = strings.TrimSpace(ed.EntityID)
	for _, ep := range idp.SingleSignOnServices {
		if ep.Binding == saml.HTTPRedirectBinding {
			out.SSOURL = strings.TrimSpace(ep.Location)
			break
		}
	}
	if out.SSOURL == "" {
		return out, bad("has no SingleSignOnService with the HTTP-Redirect binding, which Roster sends its requests with")
	}
	for _, kd := range idp.KeyDescriptors {
		if kd.Use != "" && kd.Use != "signing" {
			continue
		}
		for _, c := range kd.KeyInfo.X509Data.X509Certificates {
			der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Data), ""))
			if err != nil {
				return out, bad("holds a certificate that is not base64: %v", err)
			}
			if !slices.ContainsFunc(out.Certs, func(b []byte) bool { return bytes.Equal(b, der) }) {
				out.Certs = append(out.Certs, der)
			}
		}
	}
	return out, nil
}

// refuseDTD refuses XML that declares a document type (entities are an
// old way to blow up or smuggle content), holds comments or processing
// instructions beyond the XML declaration: none of them belongs in SAML.
func refuseDTD(data []byte) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	first := true
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return errors.New("declares a document type (DTD), which SAML never needs")
		case xml.Comment:
			return errors.New("holds an XML comment, which SAML never needs")
		case xml.ProcInst:
			if !first || t.Target != "xml" {
				return errors.New("holds a processing instruction, which SAML never needs")
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) == 0 {
				continue
			}
		}
		first = false
	}
}

// entity reads the IdP's EntityDescriptor: the document's root, or the
// one entity with an IDPSSODescriptor in an aggregate (EntitiesDescriptor,
// nested ones included).
func entity(data []byte) (*saml.EntityDescriptor, error) {
	var root struct{ XMLName xml.Name }
	if err := xml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	const ns = "urn:oasis:names:tc:SAML:2.0:metadata"
	switch {
	case root.XMLName.Space == ns && root.XMLName.Local == "EntityDescriptor":
		ed := &saml.EntityDescriptor{}
		if err := xml.Unmarshal(data, ed); err != nil {
			return nil, err
		}
		return ed, nil
	case root.XMLName.Space == ns && root.XMLName.Local == "EntitiesDescriptor":
		all := &saml.EntitiesDescriptor{}
		if err := xml.Unmarshal(data, all); err != nil {
			return nil, err
		}
		var found []*saml.EntityDescriptor
		var walk func(*saml.EntitiesDescriptor)
		walk = func(es *saml.EntitiesDescriptor) {
			for i := range es.EntityDescriptors {
				if len(es.EntityDescriptors[i].IDPSSODescriptors) > 0 {
					found = append(found, &es.EntityDescriptors[i])
				}
			}
			for i := range es.EntitiesDescriptors {
				walk(&es.EntitiesDescriptors[i])
			}
		}
		walk(all)
		if len(found) != 1 {
			return nil, fmt.Errorf("the aggregate holds %d IdPs; upload the metadata of yours alone", len(found))
		}
		return found[0], nil
	}
	return nil, fmt.Errorf("its root is <%s>, not an EntityDescriptor", root.XMLName.Local)
}
