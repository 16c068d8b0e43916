package census

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/arengo/arengo/internal/identity/codicefiscale"
)

// HTTPClient consults a municipal registry service over HTTP/JSON.
//
// The contract (one endpoint per list; give it to the municipality's IT):
//
//	POST {URL}
//	Authorization: Bearer {Token}           (when a token is configured)
//	Content-Type: application/json
//	Accept: application/json
//
//	{"codice_fiscale": "RSSMRA85T10A562S"}
//
// answered with 200 and
//
//	{"resident": true, "municipio": "5"}    for the residents list
//	{"elector": true, "municipio": "5"}     for the electoral roll
//
// "resident"/"elector" is required and must be a boolean; a person who is not
// on the list gets false (not 404). "municipio" is optional, a string or a
// number; it is ignored when the person is not listed. The codice fiscale
// travels in the body, never in the URL, so it stays out of access logs.
// Any other status, a body over 64 KiB, malformed JSON or no answer within
// Timeout is ErrUnavailable.
type HTTPClient struct {
	Kind    Kind
	URL     string
	Token   string
	Timeout time.Duration // default 5s
	Client  *http.Client  // default http.DefaultClient's transport with Timeout
}

const maxResponseBytes = 64 << 10

// Lookup implements Source.
func (c *HTTPClient) Lookup(ctx context.Context, fiscalCode string) (Record, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, err := json.Marshal(map[string]string{"codice_fiscale": codicefiscale.Normalize(fiscalCode)})
	if err != nil {
		return Record{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return Record{}, fmt.Errorf("census: %s service URL: %w", c.Kind, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.Client
	if hc == nil {
		hc = &http.Client{Timeout: timeout}
	}
	resp, err := hc.Do(req)
	if err != nil {
		// *url.Error carries the URL only (not the body): safe to wrap.
		return Record{}, fmt.Errorf("census: %s service: %w: %w", c.Kind, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return Record{}, fmt.Errorf("census: %s service: %w: read: %w", c.Kind, ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return Record{}, fmt.Errorf("census: %s service: %w: status %d", c.Kind, ErrUnavailable, resp.StatusCode)
	}
	if len(raw) > maxResponseBytes {
		return Record{}, fmt.Errorf("census: %s service: %w: answer larger than %d bytes", c.Kind, ErrUnavailable, maxResponseBytes)
	}
	var answer map[string]json.RawMessage
	if err := json.Unmarshal(raw, &answer); err != nil {
		return Record{}, fmt.Errorf("census: %s service: %w: malformed JSON", c.Kind, ErrUnavailable)
	}
	field := "resident"
	if c.Kind == Electors {
		field = "elector"
	}
	var listed bool
	if v, ok := answer[field]; !ok || json.Unmarshal(v, &listed) != nil {
		return Record{}, fmt.Errorf("census: %s service: %w: %q missing or not a boolean", c.Kind, ErrUnavailable, field)
	}
	if !listed {
		return Record{}, nil
	}
	rec := Record{Listed: true}
	if v, ok := answer["municipio"]; ok && string(v) != "null" {
		var s string
		if json.Unmarshal(v, &s) != nil {
			var n json.Number
			if err := json.Unmarshal(v, &n); err != nil {
				return Record{}, fmt.Errorf("census: %s service: %w: \"municipio\" is neither text nor a number", c.Kind, ErrUnavailable)
			}
			if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
				return Record{}, fmt.Errorf("census: %s service: %w: \"municipio\" is not a whole number", c.Kind, ErrUnavailable)
			}
			s = n.String()
		}
		m, err := NormalizeMunicipio(s)
		if err != nil {
			return Record{}, fmt.Errorf("census: %s service: %w: %w", c.Kind, ErrUnavailable, err)
		}
		rec.Municipio = m
	}
	return rec, nil
}
