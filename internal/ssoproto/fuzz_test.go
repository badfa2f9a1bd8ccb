package ssoproto

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/service"
)

// The seeds (testdata/fuzz) are an IdP's metadata and a signed response
// made by the test IdP; the fuzz targets make no RSA keys of their own
// (slow under the fuzzer's instrumentation).

// FuzzParseMetadata: any bytes an admin uploads as IdP metadata get a 400
// or a parsed IdP, never a panic.
func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"></EntitiesDescriptor>`))
	f.Add([]byte(`<!DOCTYPE x><x/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := ParseMetadata(data)
		if err != nil {
			if e, ok := service.AsError(err); !ok || e.Kind != service.KindInvalid {
				t.Fatalf("not a 400: %v", err)
			}
			return
		}
		if md.SSOURL == "" {
			t.Fatalf("accepted metadata without a sign-on URL: %q", data)
		}
	})
}

// FuzzSAMLResponse: any SAMLResponse posted to an ACS is refused with a
// known trace code (nothing the fuzzer makes is signed by the pinned
// key), never a panic.
func FuzzSAMLResponse(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pinned"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		f.Fatal(err)
	}
	conn := service.SSOConnection{}
	conn.ID, conn.SPBaseURL = "c", "https://roster.example"
	conn.SAML = &service.SAMLConfig{IdPEntityID: "http://127.0.0.1/metadata", IdPSSOURL: "http://127.0.0.1/sso", IdPCerts: []string{base64.StdEncoding.EncodeToString(der)}}
	sp := SPOf(conn, time.Now())
	f.Add(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`)
	f.Fuzz(func(t *testing.T, xml string) {
		cl, v := sp.Verify(base64.StdEncoding.EncodeToString([]byte(xml)), "r", func(string, time.Time) (bool, error) { return false, nil })
		if v == nil {
			t.Fatalf("accepted, as %+v", cl)
		}
		if _, ok := service.SSOCodes[v.Code]; !ok {
			t.Fatalf("unknown trace code %q", v.Code)
		}
	})
}
