// Package samlxml holds the XML plumbing shared by the SPID service provider
// and the built-in test IdP: hardened parsing, enveloped XML signatures,
// the HTTP-Redirect binding's query signature, SAML times and IDs.
//
// It is internal so that its etree-based API never leaks to the web layer.
package samlxml

import (
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
	xrv "github.com/mattermost/xml-roundtrip-validator"
)

// Namespaces, bindings and fixed URIs of SAML 2.0 and the SPID profile.
const (
	NSAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	NSProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	NSMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	NSDSig      = "http://www.w3.org/2000/09/xmldsig#"
	NSXMLEnc    = "http://www.w3.org/2001/04/xmlenc#"
	NSSPID      = "https://spid.gov.it/saml-extensions"
	NSInvoicing = "https://spid.gov.it/invoicing-extensions"

	BindingPOST     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	BindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"

	NameIDTransient = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	NameIDEntity    = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
	AttrNameBasic   = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"

	StatusSuccess          = "urn:oasis:names:tc:SAML:2.0:status:Success"
	StatusRequester        = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	StatusResponder        = "urn:oasis:names:tc:SAML:2.0:status:Responder"
	StatusAuthnFailed      = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
	StatusPartialLogout    = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
	ConfirmationBearer     = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	ProtocolSAML20         = "urn:oasis:names:tc:SAML:2.0:protocol"
	SigAlgRSASHA256        = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	SigAlgRSASHA512        = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	DigestSHA256           = "http://www.w3.org/2001/04/xmlenc#sha256"
	DigestSHA512           = "http://www.w3.org/2001/04/xmlenc#sha512"
	TransformEnveloped     = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	TransformExcC14N       = "http://www.w3.org/2001/10/xml-exc-c14n#"
	LogoutReasonUser       = "urn:oasis:names:tc:SAML:2.0:logout:user"
	PrefixProtocol         = "samlp"
	PrefixAssertion        = "saml"
	PrefixMetadata         = "md"
	PrefixDSig             = "ds"
	MaxInflatedBytes       = 1 << 20
	TimeLayout             = "2006-01-02T15:04:05Z"
	timeLayoutFractionalIn = time.RFC3339Nano
)

// Parse errors. Callers map them to their own typed errors.
var (
	ErrNotUTF8   = errors.New("input is not valid UTF-8")
	ErrDTD       = errors.New("DOCTYPE and entity declarations are not allowed")
	ErrEncoding  = errors.New("only UTF-8 documents are accepted")
	ErrRoundtrip = errors.New("XML does not survive a round trip")
	ErrSyntax    = errors.New("XML syntax error")
)

// Parse reads an untrusted XML document. It refuses anything a SAML message
// never needs and an attacker might: DTDs (entity expansion, XXE), charsets
// other than UTF-8 (the signature covers characters, not bytes), and
// constructs that encoding/xml would silently rewrite (the root of several
// signature bypasses in Go SAML libraries).
func Parse(data []byte) (*etree.Document, error) {
	if !utf8.Valid(data) {
		return nil, ErrNotUTF8
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") {
			return r, nil
		}
		return nil, ErrEncoding
	}
	roots := 0
	depth := 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, ErrEncoding) {
				return nil, ErrEncoding
			}
			return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, ErrDTD
		case xml.ProcInst:
			if t.Target == "xml" {
				if enc := procInstParam(string(t.Inst), "encoding"); enc != "" && !strings.EqualFold(enc, "utf-8") {
					return nil, ErrEncoding
				}
			}
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("%w: text outside the root element", ErrSyntax)
			}
		}
	}
	if roots != 1 {
		return nil, fmt.Errorf("%w: %d root elements", ErrSyntax, roots)
	}
	if err := xrv.Validate(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRoundtrip, err)
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{
		CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
			if strings.EqualFold(charset, "utf-8") {
				return r, nil
			}
			return nil, ErrEncoding
		},
		MaxDepth: 64,
	}
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	if doc.Root() == nil {
		return nil, fmt.Errorf("%w: no root element", ErrSyntax)
	}
	return doc, nil
}

func procInstParam(inst, name string) string {
	i := strings.Index(inst, name)
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(inst[i+len(name):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	q := rest[0]
	end := strings.IndexByte(rest[1:], q)
	if end < 0 {
		return ""
	}
	return rest[1 : 1+end]
}

// Is reports whether el is the element {ns}tag.
func Is(el *etree.Element, ns, tag string) bool {
	return el != nil && el.Tag == tag && el.NamespaceURI() == ns
}

// Children returns the direct children {ns}tag of el.
func Children(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if Is(c, ns, tag) {
			out = append(out, c)
		}
	}
	return out
}

// Child returns the only direct child {ns}tag of el and how many there were.
func Child(el *etree.Element, ns, tag string) (*etree.Element, int) {
	cs := Children(el, ns, tag)
	if len(cs) == 0 {
		return nil, 0
	}
	return cs[0], len(cs)
}

// CountDescendants counts elements named tag, in any namespace, in the
// subtree of el (el included). Namespace-blind on purpose: a wrapping attack
// that hides an Assertion under a made-up prefix is still counted.
func CountDescendants(el *etree.Element, tag string) int {
	n := 0
	if el.Tag == tag {
		n++
	}
	for _, c := range el.ChildElements() {
		n += CountDescendants(c, tag)
	}
	return n
}

// Attr returns the value of an unqualified attribute and whether it exists.
func Attr(el *etree.Element, name string) (string, bool) {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == name {
			return a.Value, true
		}
	}
	return "", false
}

// Text returns the element's whole text content (all character data
// children concatenated), so that an XML comment cannot truncate a value.
func Text(el *etree.Element) string {
	var b strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

var timeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$`)

// ParseTime parses an xs:dateTime that SAML requires to be in UTC ("Z").
func ParseTime(s string) (time.Time, bool) {
	if !timeRE.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(timeLayoutFractionalIn, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// FormatTime renders t as SPID expects: UTC, whole seconds.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// NewID returns a random xs:ID (an NCName: it must not start with a digit).
func NewID(r io.Reader) (string, error) {
	b := make([]byte, 20)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("random ID: %w", err)
	}
	return "_" + hex.EncodeToString(b), nil
}

// RandomToken returns n random bytes hex-encoded.
func RandomToken(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

var ncNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*$`)

// IsNCName reports whether s is a plausible xs:ID (ASCII subset of NCName).
func IsNCName(s string) bool { return ncNameRE.MatchString(s) }

// Serialize writes the document without an indentation that would change
// signed content.
func Serialize(doc *etree.Document) ([]byte, error) {
	doc.WriteSettings = etree.WriteSettings{CanonicalEndTags: false, CanonicalText: true, CanonicalAttrVal: true}
	return doc.WriteToBytes()
}

// NewDocument returns a document with the XML declaration and root el.
func NewDocument(root *etree.Element) *etree.Document {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(root)
	return doc
}
