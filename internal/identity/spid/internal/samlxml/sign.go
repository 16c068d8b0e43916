package samlxml

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// KeyPair is a signing key and its certificate.
type KeyPair struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

// ParseKeyPair reads a PEM private key (PKCS#8 or PKCS#1) and a PEM certificate
// and checks that they belong together.
func ParseKeyPair(keyPEM, certPEM []byte) (KeyPair, error) {
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return KeyPair{}, err
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return KeyPair{}, errors.New("key: no PEM block")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return KeyPair{}, fmt.Errorf("key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return KeyPair{}, errors.New("key: SPID requires an RSA key")
		}
		key = rk
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return KeyPair{}, fmt.Errorf("key: %w", err)
		}
		key = k
	default:
		return KeyPair{}, fmt.Errorf("key: unexpected PEM block %q", block.Type)
	}
	if key.N.BitLen() < 2048 {
		return KeyPair{}, fmt.Errorf("key: %d-bit RSA is below the 2048 bits AgID requires", key.N.BitLen())
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return KeyPair{}, errors.New("certificate does not match the private key")
	}
	return KeyPair{Key: key, Cert: cert}, nil
}

// ParseCertificatePEM reads one PEM certificate.
func ParseCertificatePEM(certPEM []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("certificate: no PEM CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	return cert, nil
}

// ParseCertificateBase64 reads the content of a ds:X509Certificate element.
func ParseCertificateBase64(s string) (*x509.Certificate, error) {
	der, err := base64.StdEncoding.DecodeString(stripSpace(s))
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

// Sign adds an enveloped RSA-SHA256 exc-c14n signature to el, inserted at
// child position index (SAML wants it right after Issuer, metadata wants it
// first). Without an ID the Reference URI is "" (only tests want that).
// el must carry the namespace declarations it uses: it is digested
// on its own, exactly as a verifier will see it after the enveloped transform.
func Sign(el *etree.Element, kp KeyPair, index int) error {
	ctx, err := dsig.NewSigningContext(kp.Key, [][]byte{kp.Cert.Raw})
	if err != nil {
		return err
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.Prefix = PrefixDSig
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return err
	}
	// The canonicalizer rewrites its input in place; sign a copy so el keeps
	// the serialization its author chose.
	sig, err := ctx.ConstructSignature(el.Copy(), true)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	el.InsertChildAt(childTokenIndex(el, index), sig)
	return nil
}

// IndexAfter returns the element-child position right after the first
// child {ns}tag, or 0 if there is none.
func IndexAfter(el *etree.Element, ns, tag string) int {
	for i, c := range el.ChildElements() {
		if Is(c, ns, tag) {
			return i + 1
		}
	}
	return 0
}

// childTokenIndex converts a position among child elements to a position
// among all child tokens (text, comments) as InsertChildAt expects.
func childTokenIndex(el *etree.Element, elementIndex int) int {
	n := 0
	for i, t := range el.Child {
		if _, ok := t.(*etree.Element); ok {
			if n == elementIndex {
				return i
			}
			n++
		}
	}
	return len(el.Child)
}

// Signature verification errors.
var (
	ErrNoSignature      = errors.New("no signature on the element")
	ErrUnknownCert      = errors.New("signed with a certificate that is not in the metadata")
	ErrBadSignature     = errors.New("signature does not verify")
	ErrSignatureProfile = errors.New("signature does not follow the SAML signature profile")
)

// Verify checks the enveloped signature of el against trusted certificates
// only, and returns the element as it was signed (parsed from the
// canonical bytes that were digested). Callers must read data from the
// returned element and never from el: that is what defeats signature
// wrapping, whatever else the document contains.
//
// The SAML profile is enforced on top of goxmldsig: exactly one Signature,
// a direct child of el, with exactly one Reference whose URI is "#"+el/@ID,
// SHA-256/512 only. A KeyInfo certificate, if present and non-empty, must be
// one of the trusted ones; an empty one is ignored (some SPID IdPs send it)
// and every trusted certificate is tried.
func Verify(el *etree.Element, trusted []*x509.Certificate, now time.Time) (*etree.Element, error) {
	id, _ := Attr(el, "ID")
	sigs := Children(el, NSDSig, "Signature")
	if len(sigs) == 0 {
		return nil, ErrNoSignature
	}
	if len(sigs) > 1 || id == "" {
		return nil, ErrSignatureProfile
	}
	sig := sigs[0]
	if err := checkSignatureProfile(sig, id); err != nil {
		return nil, err
	}
	if len(trusted) == 0 {
		return nil, ErrUnknownCert
	}

	var keyInfoCert *x509.Certificate
	if ki, n := Child(sig, NSDSig, "KeyInfo"); n > 1 {
		return nil, ErrSignatureProfile
	} else if ki != nil {
		var certTexts []string
		for _, xd := range Children(ki, NSDSig, "X509Data") {
			for _, c := range Children(xd, NSDSig, "X509Certificate") {
				certTexts = append(certTexts, stripSpace(Text(c)))
			}
		}
		if len(certTexts) > 0 && certTexts[0] != "" {
			c, err := ParseCertificateBase64(certTexts[0])
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
			}
			keyInfoCert = c
		}
	}

	if keyInfoCert != nil {
		for _, t := range trusted {
			if t.Equal(keyInfoCert) {
				return verifyWith(el, t, false, now)
			}
		}
		return nil, ErrUnknownCert
	}
	var lastErr error
	for _, t := range trusted {
		v, err := verifyWith(el, t, true, now)
		if err == nil {
			return v, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func verifyWith(el *etree.Element, cert *x509.Certificate, stripKeyInfo bool, now time.Time) (*etree.Element, error) {
	el = el.Copy()
	if stripKeyInfo {
		// goxmldsig refuses an empty KeyInfo; KeyInfo is outside SignedInfo,
		// so removing it changes nothing that is signed.
		sig, _ := Child(el, NSDSig, "Signature")
		for _, ki := range Children(sig, NSDSig, "KeyInfo") {
			sig.RemoveChild(ki)
		}
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	ctx.IdAttribute = "ID"
	ctx.Clock = dsig.NewFakeClockAt(now)
	verified, err := ctx.Validate(el)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return verified, nil
}

func checkSignatureProfile(sig *etree.Element, id string) error {
	si, n := Child(sig, NSDSig, "SignedInfo")
	if n != 1 {
		return ErrSignatureProfile
	}
	if _, n := Child(sig, NSDSig, "SignatureValue"); n != 1 {
		return ErrSignatureProfile
	}
	cm, n := Child(si, NSDSig, "CanonicalizationMethod")
	if n != 1 {
		return ErrSignatureProfile
	}
	if alg, _ := Attr(cm, "Algorithm"); alg != TransformExcC14N {
		return fmt.Errorf("%w: canonicalization %q", ErrSignatureProfile, alg)
	}
	sm, n := Child(si, NSDSig, "SignatureMethod")
	if n != 1 {
		return ErrSignatureProfile
	}
	if alg, _ := Attr(sm, "Algorithm"); alg != SigAlgRSASHA256 && alg != SigAlgRSASHA512 {
		return fmt.Errorf("%w: signature method %q", ErrSignatureProfile, alg)
	}
	refs := Children(si, NSDSig, "Reference")
	if len(refs) != 1 {
		return fmt.Errorf("%w: %d references", ErrSignatureProfile, len(refs))
	}
	if uri, _ := Attr(refs[0], "URI"); uri != "#"+id {
		return fmt.Errorf("%w: reference %q does not point to the signed element", ErrSignatureProfile, uri)
	}
	dm, n := Child(refs[0], NSDSig, "DigestMethod")
	if n != 1 {
		return ErrSignatureProfile
	}
	if alg, _ := Attr(dm, "Algorithm"); alg != DigestSHA256 && alg != DigestSHA512 {
		return fmt.Errorf("%w: digest method %q", ErrSignatureProfile, alg)
	}
	if ts, n := Child(refs[0], NSDSig, "Transforms"); n == 1 {
		for _, t := range Children(ts, NSDSig, "Transform") {
			if alg, _ := Attr(t, "Algorithm"); alg != TransformEnveloped && alg != TransformExcC14N {
				return fmt.Errorf("%w: transform %q", ErrSignatureProfile, alg)
			}
		}
	} else if n > 1 {
		return ErrSignatureProfile
	}
	return nil
}

// SignQuery signs the HTTP-Redirect binding string
// "SAMLRequest=…&RelayState=…&SigAlg=…" (already URL-encoded).
func SignQuery(kp KeyPair, signed string) ([]byte, error) {
	h := sha256.Sum256([]byte(signed))
	return rsa.SignPKCS1v15(nil, kp.Key, crypto.SHA256, h[:])
}
