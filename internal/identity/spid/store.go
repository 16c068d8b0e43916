package spid

import (
	"context"
	"errors"
	"time"
)

// Purpose tells an authentication request from a logout request in the store,
// so that a LogoutResponse can never complete a login and vice versa.
type Purpose string

const (
	PurposeLogin  Purpose = "login"
	PurposeLogout Purpose = "logout"
)

// RequestState is what the SP remembers about a request it sent, until the
// answer arrives. It never leaves the server.
type RequestState struct {
	ID          string // the request's ID, the response's InResponseTo
	Purpose     Purpose
	IdPEntityID string
	Level       Level // requested level (login only)
	// AttributeIndex is the AttributeConsumingServiceIndex requested.
	AttributeIndex int
	// RelayState is the opaque random value sent with the request; the
	// response must carry it back unchanged.
	RelayState string
	// BrowserBinding is the hex SHA-256 of the binding cookie set on the
	// browser that started the request: a response delivered to another
	// browser (login CSRF, stolen response) is refused.
	BrowserBinding string
	// ReturnTo is a local path the web layer wants to go back to after login.
	ReturnTo  string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// RequestXML is the request exactly as sent, for the authentication log.
	RequestXML []byte
}

// ErrRequestNotFound is returned by RequestStore.Consume when the ID was
// never stored, was already consumed, or has expired.
var ErrRequestNotFound = errors.New("spid: request not found, already used or expired")

// RequestStore keeps issued requests. Implementations must make Consume
// atomic and single-use across every instance sharing the store, because
// that is what stops a replayed response. SQLRequestStore is the one the
// platform uses.
type RequestStore interface {
	// Save stores a new request. IDs are random; a duplicate is an error.
	Save(ctx context.Context, st RequestState) error
	// Consume removes and returns the request with this ID. It returns
	// ErrRequestNotFound if there is none or it has expired.
	Consume(ctx context.Context, id string) (RequestState, error)
}
