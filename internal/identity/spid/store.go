package spid

import (
	"context"
	"errors"
	"sync"
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
// atomic and single-use across every instance sharing the store (with SQL:
// DELETE … WHERE id = $1 AND expires_at > $2 RETURNING …), because that is
// what stops a replayed response.
//
// Suggested table (the integrator owns the SQL implementation):
//
//	CREATE TABLE spid_requests (
//	  id              TEXT PRIMARY KEY,
//	  purpose         TEXT NOT NULL,
//	  idp_entity_id   TEXT NOT NULL,
//	  level           INTEGER NOT NULL,
//	  attribute_index INTEGER NOT NULL,
//	  relay_state     TEXT NOT NULL,
//	  browser_binding TEXT NOT NULL,
//	  return_to       TEXT NOT NULL,
//	  issued_at       TIMESTAMP NOT NULL,
//	  expires_at      TIMESTAMP NOT NULL,   -- index it; a job deletes expired rows
//	  request_xml     BLOB/BYTEA NOT NULL
//	);
type RequestStore interface {
	// Save stores a new request. IDs are random; a duplicate is an error.
	Save(ctx context.Context, st RequestState) error
	// Consume removes and returns the request with this ID. It returns
	// ErrRequestNotFound if there is none or it has expired.
	Consume(ctx context.Context, id string) (RequestState, error)
}

// MemoryRequestStore is an in-process RequestStore for tests, the demo and
// single-instance deployments only: requests are lost on restart and not
// shared between instances, so behind a load balancer a response that lands
// on another instance fails. Use a SQL store in production.
type MemoryRequestStore struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]RequestState
}

// NewMemoryRequestStore returns an empty store using clock for expiry.
func NewMemoryRequestStore(clock func() time.Time) *MemoryRequestStore {
	return &MemoryRequestStore{now: clock, m: map[string]RequestState{}}
}

// Save implements RequestStore.
func (s *MemoryRequestStore) Save(_ context.Context, st RequestState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for id, old := range s.m {
		if !now.Before(old.ExpiresAt) {
			delete(s.m, id)
		}
	}
	if _, dup := s.m[st.ID]; dup {
		return errors.New("spid: duplicate request ID")
	}
	s.m[st.ID] = st
	return nil
}

// Consume implements RequestStore.
func (s *MemoryRequestStore) Consume(_ context.Context, id string) (RequestState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[id]
	if !ok {
		return RequestState{}, ErrRequestNotFound
	}
	delete(s.m, id)
	if !s.now().Before(st.ExpiresAt) {
		return RequestState{}, ErrRequestNotFound
	}
	return st, nil
}
