package web

import (
	"net/http"

	"github.com/arengo/arengo/internal/kernel"
)

// RequireUser lets h run only for a signed-in participant. Anyone else gets
// kernel.ErrUnauthenticated, which the server turns into a redirect to
// /login?next=… for a GET (so they come back here after signing in) and a
// 401 page otherwise.
func RequireUser(h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if ViewerFrom(r.Context()) == nil {
			return kernel.ErrUnauthenticated
		}
		return h(w, r)
	}
}

// RequireAdmin lets h run only for a platform administrator: anonymous
// visitors are sent to sign in (as RequireUser), other participants get
// kernel.ErrForbidden (403).
func RequireAdmin(h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v := ViewerFrom(r.Context())
		if v == nil {
			return kernel.ErrUnauthenticated
		}
		if !v.IsAdmin {
			return kernel.ErrForbidden
		}
		return h(w, r)
	}
}
