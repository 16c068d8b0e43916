package oidclogin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// errToken is any reason an ID token is refused.
var errToken = errors.New("oidclogin: ID token refused")

// maxIDTokenLen bounds what is handed to the JWS parser; real ID tokens are
// a few kilobytes.
const maxIDTokenLen = 64 << 10

// idTokenVerifier checks ID tokens. go-oidc checks the signature against
// the provider's keys (and only with RS256 or ES256, so "none" and HMAC
// tokens signed with the public key as secret never reach a key), the
// issuer, the audience and the expiry; the rest of OpenID Connect Core
// §3.1.3.7 is left to its caller and done here: the nonce, the authorized
// party, the issue time and the subject.
type idTokenVerifier struct {
	v        *oidc.IDTokenVerifier
	clientID string
	now      func() time.Time
	skew     time.Duration
}

// newIDTokenVerifier verifies tokens of issuer for clientID, signed by a key
// of keys (oidc.NewRemoteKeySet in production).
func newIDTokenVerifier(issuer, clientID string, keys oidc.KeySet, now func() time.Time, skew time.Duration) *idTokenVerifier {
	return &idTokenVerifier{
		v: oidc.NewVerifier(issuer, keys, &oidc.Config{
			ClientID:             clientID,
			SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256},
			// go-oidc tolerates no skew on "exp"; seeing the clock skew
			// earlier accepts a token from a provider whose clock runs a
			// little behind ours, as the configured ClockSkew promises.
			Now: func() time.Time { return now().Add(-skew) },
		}),
		clientID: clientID, now: now, skew: skew,
	}
}

// verify checks raw, which must carry nonce, and returns all its claims for
// the caller's mapping.
func (iv *idTokenVerifier) verify(ctx context.Context, raw, nonce string) (map[string]any, error) {
	if len(raw) > maxIDTokenLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", errToken, maxIDTokenLen)
	}
	tok, err := iv.v.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errToken, err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: claims: %w", errToken, err)
	}
	// go-oidc only asks that we be among the audiences. A token minted for
	// several clients must name us as the party it was issued to, and a
	// token issued to another party is not ours even if it lists us.
	azp, _ := claims["azp"].(string)
	if (len(tok.Audience) > 1 || azp != "") && azp != iv.clientID {
		return nil, fmt.Errorf("%w: authorized party %q", errToken, azp)
	}
	if tok.IssuedAt.IsZero() || tok.IssuedAt.After(iv.now().Add(iv.skew)) {
		return nil, fmt.Errorf("%w: issued at %v", errToken, tok.IssuedAt)
	}
	// The nonce binds the token to the login this browser started: a token
	// obtained for another login (injected code) carries another nonce.
	if tok.Nonce == "" || tok.Nonce != nonce {
		return nil, fmt.Errorf("%w: nonce", errToken)
	}
	if tok.Subject == "" {
		return nil, fmt.Errorf("%w: no subject", errToken)
	}
	return claims, nil
}
