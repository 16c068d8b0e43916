package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/arengo/arengo/internal/kernel"
)

func TestRequireUserAndAdmin(t *testing.T) {
	ok := func(http.ResponseWriter, *http.Request) error { return nil }
	run := func(h HandlerFunc, v *Viewer) error {
		r := httptest.NewRequest(http.MethodGet, "/x", nil)
		if v != nil {
			r = r.WithContext(WithViewer(r.Context(), v))
		}
		return h(httptest.NewRecorder(), r)
	}
	participant, admin := &Viewer{ID: 1}, &Viewer{ID: 2, IsAdmin: true}
	cases := []struct {
		name string
		h    HandlerFunc
		v    *Viewer
		want error
	}{
		{"user: anonymous", RequireUser(ok), nil, kernel.ErrUnauthenticated},
		{"user: participant", RequireUser(ok), participant, nil},
		{"admin: anonymous", RequireAdmin(ok), nil, kernel.ErrUnauthenticated},
		{"admin: participant", RequireAdmin(ok), participant, kernel.ErrForbidden},
		{"admin: admin", RequireAdmin(ok), admin, nil},
	}
	for _, c := range cases {
		if err := run(c.h, c.v); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
