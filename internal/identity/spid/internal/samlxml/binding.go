package samlxml

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Deflate compresses a message for the HTTP-Redirect binding (raw DEFLATE).
func Deflate(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrTooLarge is returned when a message, once inflated, exceeds MaxInflatedBytes.
var ErrTooLarge = errors.New("message too large")

// Inflate decompresses a Redirect-binding message, refusing decompression bombs.
func Inflate(data []byte) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(data))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, MaxInflatedBytes+1))
	if err != nil {
		return nil, err
	}
	if len(out) > MaxInflatedBytes {
		return nil, ErrTooLarge
	}
	return out, nil
}

// RedirectURL builds the HTTP-Redirect binding location for a message:
// param is "SAMLRequest" or "SAMLResponse". The signature covers the
// URL-encoded parameters in the order the binding prescribes.
func RedirectURL(endpoint, param string, msg []byte, relayState string, kp KeyPair) (string, error) {
	deflated, err := Deflate(msg)
	if err != nil {
		return "", err
	}
	q := param + "=" + url.QueryEscape(base64.StdEncoding.EncodeToString(deflated))
	if relayState != "" {
		q += "&RelayState=" + url.QueryEscape(relayState)
	}
	q += "&SigAlg=" + url.QueryEscape(SigAlgRSASHA256)
	sig, err := SignQuery(kp, q)
	if err != nil {
		return "", err
	}
	q += "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
	sep := "?"
	if strings.Contains(endpoint, "?") {
		sep = "&"
	}
	return endpoint + sep + q, nil
}

// RedirectMessage is a message received through the HTTP-Redirect binding.
type RedirectMessage struct {
	Param      string // SAMLRequest or SAMLResponse
	XML        []byte
	RelayState string
	SigAlg     string
	Signed     bool
}

// Redirect errors.
var (
	ErrRedirectMalformed = errors.New("malformed HTTP-Redirect message")
	ErrRedirectUnsigned  = errors.New("HTTP-Redirect message is not signed")
)

// ParseRedirect decodes a Redirect-binding query and verifies its signature
// against the certificates trustedFor returns for the decoded (not yet
// trusted) message — typically those of the IdP named in its Issuer. The
// signed string is rebuilt from the raw (still URL-encoded) values as
// received, because re-encoding may differ from what the sender signed.
func ParseRedirect(rawQuery string, trustedFor func(msg []byte) ([]*x509.Certificate, error)) (RedirectMessage, error) {
	raw := map[string]string{}
	for _, part := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		if _, dup := raw[k]; dup {
			return RedirectMessage{}, fmt.Errorf("%w: duplicate %s", ErrRedirectMalformed, k)
		}
		raw[k] = v
	}
	var m RedirectMessage
	for _, p := range []string{"SAMLRequest", "SAMLResponse"} {
		if _, ok := raw[p]; ok {
			if m.Param != "" {
				return m, fmt.Errorf("%w: both SAMLRequest and SAMLResponse", ErrRedirectMalformed)
			}
			m.Param = p
		}
	}
	if m.Param == "" {
		return m, fmt.Errorf("%w: no SAML message", ErrRedirectMalformed)
	}
	decode := func(k string) (string, error) {
		v, err := url.QueryUnescape(raw[k])
		if err != nil {
			return "", fmt.Errorf("%w: %s: %v", ErrRedirectMalformed, k, err)
		}
		return v, nil
	}
	msgB64, err := decode(m.Param)
	if err != nil {
		return m, err
	}
	deflated, err := base64.StdEncoding.DecodeString(stripSpace(msgB64))
	if err != nil {
		return m, fmt.Errorf("%w: base64: %v", ErrRedirectMalformed, err)
	}
	if m.XML, err = Inflate(deflated); err != nil {
		return m, fmt.Errorf("%w: inflate: %v", ErrRedirectMalformed, err)
	}
	if m.RelayState, err = decode("RelayState"); err != nil {
		return m, err
	}
	if m.SigAlg, err = decode("SigAlg"); err != nil {
		return m, err
	}
	sigB64, err := decode("Signature")
	if err != nil {
		return m, err
	}
	if sigB64 == "" || m.SigAlg == "" {
		return m, ErrRedirectUnsigned
	}
	signature, err := base64.StdEncoding.DecodeString(stripSpace(sigB64))
	if err != nil {
		return m, fmt.Errorf("%w: signature base64: %v", ErrRedirectMalformed, err)
	}
	signed := m.Param + "=" + raw[m.Param]
	if _, ok := raw["RelayState"]; ok {
		signed += "&RelayState=" + raw["RelayState"]
	}
	signed += "&SigAlg=" + raw["SigAlg"]

	var hash crypto.Hash
	var digest []byte
	switch m.SigAlg {
	case SigAlgRSASHA256:
		h := sha256.Sum256([]byte(signed))
		hash, digest = crypto.SHA256, h[:]
	case SigAlgRSASHA512:
		h := sha512.Sum512([]byte(signed))
		hash, digest = crypto.SHA512, h[:]
	default:
		return m, fmt.Errorf("%w: SigAlg %q", ErrSignatureProfile, m.SigAlg)
	}
	trusted, err := trustedFor(m.XML)
	if err != nil {
		return m, err
	}
	for _, c := range trusted {
		pub, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			continue
		}
		if rsa.VerifyPKCS1v15(pub, hash, digest, signature) == nil {
			m.Signed = true
			return m, nil
		}
	}
	return m, ErrBadSignature
}

// postFormTemplate renders the HTTP-POST binding form. There is no inline
// script (the CSP forbids it): the page works with the visible button, and
// an external script may submit forms marked data-autosubmit.
var postFormTemplate = template.Must(template.New("post").Parse(`<!DOCTYPE html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
{{if .ScriptURL}}<script src="{{.ScriptURL}}" defer></script>{{end}}
</head>
<body>
<main>
<form method="post" action="{{.Action}}" data-autosubmit>
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<p>{{.Message}}</p>
<button type="submit">{{.Button}}</button>
</form>
</main>
</body>
</html>
`))

// PostForm is an HTTP-POST binding page.
type PostForm struct {
	Action    string
	Fields    []FormField
	Title     string
	Message   string
	Button    string
	ScriptURL string // external script that submits [data-autosubmit] forms; optional
}

// FormField is one hidden input.
type FormField struct{ Name, Value string }

// WritePostForm renders f with headers that keep the SAML message out of
// caches and referrers.
func WritePostForm(w http.ResponseWriter, f PostForm) error {
	if f.Title == "" {
		f.Title = "SPID"
	}
	if f.Message == "" {
		f.Message = "Premi il pulsante per continuare. / Press the button to continue."
	}
	if f.Button == "" {
		f.Button = "Continua / Continue"
	}
	var buf bytes.Buffer
	if err := postFormTemplate.Execute(&buf, f); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}
