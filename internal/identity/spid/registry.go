package spid

import (
	"context"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/beevik/etree"

	"github.com/arengo/arengo/internal/identity/spid/internal/samlxml"
)

// IdP is what the SP knows about one identity provider, from its metadata.
type IdP struct {
	EntityID    string
	DisplayName string
	LogoPath    string
	// Certificates are the IdP's signing certificates; an IdP rolling its
	// key publishes several, and any of them is accepted.
	Certificates []*x509.Certificate
	SSO          map[Binding]string
	SLO          map[Binding]Endpoint
}

// Endpoint is a SAML endpoint; ResponseLocation, if set, receives responses.
type Endpoint struct {
	Location         string
	ResponseLocation string
}

// RegistrySource is one place IdP metadata comes from. Exactly one of Data,
// File and URL is set.
type RegistrySource struct {
	Name string // for errors and logs
	Data []byte
	File string
	URL  string
}

// RegistryConfig configures a Registry.
type RegistryConfig struct {
	Sources []RegistrySource
	// AllowList, if not empty, is the only entity IDs accepted; entities in
	// the metadata but not listed are ignored.
	AllowList []string
	// DisplayNames and Logos override or complete the metadata per entity ID
	// (the official SPID button uses AgID's own logos and names).
	DisplayNames map[string]string
	Logos        map[string]string
	// SignerCerts, if set, are the certificates that must have signed each
	// metadata document (AgID signs the registry). If empty, metadata is
	// trusted as configured, which is only acceptable for local files.
	SignerCerts []*x509.Certificate
	// Client fetches URL sources; required when a source has a URL.
	Client *http.Client
	// Clock is used for signature validity; required.
	Clock func() time.Time
	// MaxBytes bounds a metadata document; default 8 MiB.
	MaxBytes int64
}

// Registry holds trusted IdPs. Refresh reloads every source; a source that
// fails keeps its last good content, so a registry outage never logs
// everyone out of SPID.
type Registry struct {
	cfg RegistryConfig

	mu       sync.RWMutex
	bySource map[string][]IdP // last good content per source
	idps     map[string]IdP
}

// NewRegistry returns a registry and loads its sources once. The error
// lists the sources that failed; the registry is usable with the others.
func NewRegistry(ctx context.Context, cfg RegistryConfig) (*Registry, error) {
	if cfg.Clock == nil {
		return nil, errors.New("spid registry: Clock is required")
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 8 << 20
	}
	r := &Registry{cfg: cfg, bySource: map[string][]IdP{}, idps: map[string]IdP{}}
	return r, r.Refresh(ctx)
}

// Refresh reloads every source. Call it periodically (AgID updates the
// registry when an IdP rotates keys). Sources that fail keep their previous
// entities and are reported in the returned error.
func (r *Registry) Refresh(ctx context.Context) error {
	var errs []error
	fresh := map[string][]IdP{}
	for i, s := range r.cfg.Sources {
		key := s.Name
		if key == "" {
			key = fmt.Sprintf("source %d", i)
		}
		data, err := r.fetch(ctx, s)
		if err == nil {
			var idps []IdP
			idps, err = r.parse(data)
			if err == nil {
				fresh[key] = idps
				continue
			}
		}
		errs = append(errs, fmt.Errorf("spid registry: %s: %w", key, err))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, v := range fresh {
		r.bySource[k] = v
	}
	idps := map[string]IdP{}
	for _, list := range r.bySource {
		for _, idp := range list {
			idps[idp.EntityID] = idp
		}
	}
	r.idps = idps
	return errors.Join(errs...)
}

func (r *Registry) fetch(ctx context.Context, s RegistrySource) ([]byte, error) {
	switch {
	case s.Data != nil:
		return s.Data, nil
	case s.File != "":
		f, err := os.Open(s.File)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readLimited(f, r.cfg.MaxBytes)
	case s.URL != "":
		if r.cfg.Client == nil {
			return nil, errors.New("no HTTP client configured")
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
		if err != nil {
			return nil, err
		}
		resp, err := r.cfg.Client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", s.URL, resp.Status)
		}
		return readLimited(resp.Body, r.cfg.MaxBytes)
	}
	return nil, errors.New("empty source")
}

func readLimited(rd io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(rd, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("metadata larger than %d bytes", max)
	}
	return b, nil
}

func (r *Registry) parse(data []byte) ([]IdP, error) {
	doc, err := samlxml.Parse(data)
	if err != nil {
		return nil, err
	}
	root := doc.Root()
	if len(r.cfg.SignerCerts) > 0 {
		verified, err := samlxml.Verify(root, r.cfg.SignerCerts, r.cfg.Clock())
		if err != nil {
			return nil, fmt.Errorf("metadata signature: %w", err)
		}
		root = verified
	}
	var eds []*etree.Element
	var collect func(*etree.Element)
	collect = func(el *etree.Element) {
		switch {
		case samlxml.Is(el, samlxml.NSMetadata, "EntityDescriptor"):
			eds = append(eds, el)
		case samlxml.Is(el, samlxml.NSMetadata, "EntitiesDescriptor"):
			for _, c := range el.ChildElements() {
				collect(c)
			}
		}
	}
	collect(root)
	if len(eds) == 0 {
		return nil, errors.New("no EntityDescriptor")
	}
	allowed := map[string]bool{}
	for _, id := range r.cfg.AllowList {
		allowed[id] = true
	}
	var out []IdP
	for _, ed := range eds {
		idp, ok, err := r.parseEntity(ed)
		if err != nil {
			return nil, err
		}
		if !ok || (len(allowed) > 0 && !allowed[idp.EntityID]) {
			continue
		}
		out = append(out, idp)
	}
	return out, nil
}

// parseEntity reads an IdP EntityDescriptor; ok is false for entities that
// are not IdPs.
func (r *Registry) parseEntity(ed *etree.Element) (IdP, bool, error) {
	entityID, _ := samlxml.Attr(ed, "entityID")
	desc, _ := samlxml.Child(ed, samlxml.NSMetadata, "IDPSSODescriptor")
	if desc == nil {
		return IdP{}, false, nil
	}
	if entityID == "" {
		return IdP{}, false, errors.New("EntityDescriptor without entityID")
	}
	idp := IdP{EntityID: entityID, SSO: map[Binding]string{}, SLO: map[Binding]Endpoint{}}
	for _, kd := range samlxml.Children(desc, samlxml.NSMetadata, "KeyDescriptor") {
		if use, _ := samlxml.Attr(kd, "use"); use != "" && use != "signing" {
			continue
		}
		ki, _ := samlxml.Child(kd, samlxml.NSDSig, "KeyInfo")
		if ki == nil {
			continue
		}
		for _, xd := range samlxml.Children(ki, samlxml.NSDSig, "X509Data") {
			for _, xc := range samlxml.Children(xd, samlxml.NSDSig, "X509Certificate") {
				cert, err := samlxml.ParseCertificateBase64(samlxml.Text(xc))
				if err != nil {
					return IdP{}, false, fmt.Errorf("%s: %w", entityID, err)
				}
				idp.Certificates = append(idp.Certificates, cert)
			}
		}
	}
	if len(idp.Certificates) == 0 {
		return IdP{}, false, fmt.Errorf("%s: no signing certificate", entityID)
	}
	for _, s := range samlxml.Children(desc, samlxml.NSMetadata, "SingleSignOnService") {
		b, _ := samlxml.Attr(s, "Binding")
		loc, _ := samlxml.Attr(s, "Location")
		if (b == samlxml.BindingPOST || b == samlxml.BindingRedirect) && loc != "" {
			idp.SSO[Binding(b)] = loc
		}
	}
	for _, s := range samlxml.Children(desc, samlxml.NSMetadata, "SingleLogoutService") {
		b, _ := samlxml.Attr(s, "Binding")
		loc, _ := samlxml.Attr(s, "Location")
		rloc, _ := samlxml.Attr(s, "ResponseLocation")
		if (b == samlxml.BindingPOST || b == samlxml.BindingRedirect) && loc != "" {
			idp.SLO[Binding(b)] = Endpoint{Location: loc, ResponseLocation: rloc}
		}
	}
	if len(idp.SSO) == 0 {
		return IdP{}, false, fmt.Errorf("%s: no SingleSignOnService", entityID)
	}
	idp.DisplayName = entityID
	if org, _ := samlxml.Child(ed, samlxml.NSMetadata, "Organization"); org != nil {
		for _, n := range samlxml.Children(org, samlxml.NSMetadata, "OrganizationDisplayName") {
			if lang := n.SelectAttrValue("xml:lang", ""); lang == "it" || idp.DisplayName == entityID {
				idp.DisplayName = samlxml.Text(n)
			}
		}
	}
	if n := r.cfg.DisplayNames[entityID]; n != "" {
		idp.DisplayName = n
	}
	idp.LogoPath = r.cfg.Logos[entityID]
	return idp, true, nil
}

// IdP implements IdPProvider.
func (r *Registry) IdP(entityID string) (IdP, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	idp, ok := r.idps[entityID]
	if !ok {
		return IdP{}, fmt.Errorf("%w: %q", ErrUnknownIdP, entityID)
	}
	return idp, nil
}

// ButtonEntry is one IdP on the SPID button.
type ButtonEntry struct {
	EntityID    string
	DisplayName string
	LogoPath    string
}

// Button lists the IdPs for the SPID button in random order, as AgID's
// button rules require (no IdP may be favoured by position). rnd is the
// injected randomness (crypto/rand.Reader in production).
func (r *Registry) Button(rnd io.Reader) ([]ButtonEntry, error) {
	r.mu.RLock()
	out := make([]ButtonEntry, 0, len(r.idps))
	for _, idp := range r.idps {
		out = append(out, ButtonEntry{EntityID: idp.EntityID, DisplayName: idp.DisplayName, LogoPath: idp.LogoPath})
	}
	r.mu.RUnlock()
	// Sort first so the shuffle depends only on rnd, not on map order.
	sort.Slice(out, func(i, j int) bool { return out[i].EntityID < out[j].EntityID })
	for i := len(out) - 1; i > 0; i-- {
		j, err := randIntn(rnd, i+1)
		if err != nil {
			return nil, err
		}
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// randIntn returns a uniform integer in [0,n) by rejection sampling.
func randIntn(rnd io.Reader, n int) (int, error) {
	max := ^uint64(0) - (^uint64(0) % uint64(n))
	var b [8]byte
	for {
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return 0, err
		}
		v := binary.BigEndian.Uint64(b[:])
		if v < max {
			return int(v % uint64(n)), nil
		}
	}
}

// StaticIdPs is an IdPProvider over a fixed list, for tests and the demo.
type StaticIdPs []IdP

// IdP implements IdPProvider.
func (s StaticIdPs) IdP(entityID string) (IdP, error) {
	for _, idp := range s {
		if idp.EntityID == entityID {
			return idp, nil
		}
	}
	return IdP{}, fmt.Errorf("%w: %q", ErrUnknownIdP, entityID)
}
