package spid_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/identity/spid"
	"github.com/arengo/arengo/internal/identity/spid/testidp"
)

// FuzzParseResponse feeds arbitrary documents to the Response validator:
// it must never panic, must always return an *spid.Error, and must never
// accept a document that is not the one the IdP signed.
//
//	go test ./internal/identity/spid -run '^$' -fuzz FuzzParseResponse -fuzztime 1m
func FuzzParseResponse(f *testing.F) {
	fx := newFixture(f, dbtest.SQLite(f))
	pl := fx.startLogin(spid.SpidL2, spid.BindingPOST, 0)
	valid := fx.buildResponse(pl, testidp.ResponseOptions{})
	yes := true
	f.Add(valid)
	f.Add(fx.buildResponse(pl, testidp.ResponseOptions{SignResponse: &yes}))
	f.Add(fx.buildResponse(pl, testidp.ResponseOptions{Status: statusResponder, SubStatus: statusAuthnFailed, StatusMessage: "ErrorCode nr22"}))
	f.Add(fx.buildResponse(pl, testidp.ResponseOptions{UnsignedAssertion: true}))
	f.Add(insertAfterDecl(valid, `<!DOCTYPE r [<!ENTITY a "a">]>`))
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0"/>`))
	f.Add([]byte(""))
	f.Add([]byte("<"))

	cookie := strings.Repeat("5a", 32)
	binding := sha256.Sum256([]byte(cookie))
	n := 0
	f.Fuzz(func(t *testing.T, doc []byte) {
		// A fresh request per input keeps the InResponseTo checks reachable.
		// It is stored directly: signing an AuthnRequest per input would make
		// the fuzzer a benchmark of RSA.
		n++
		id := fmt.Sprintf("_fuzz%032d", n)
		err := fx.store.Save(context.Background(), spid.RequestState{
			ID: id, Purpose: spid.PurposeLogin, IdPEntityID: fx.idp.EntityID(), Level: spid.SpidL2,
			RelayState: "relay", BrowserBinding: hex.EncodeToString(binding[:]), IssuedAt: testStart,
			ExpiresAt: testStart.Add(time.Hour),
		})
		if err != nil {
			t.Fatal(err)
		}
		doc = bytes.ReplaceAll(doc, []byte(pl.req.ID), []byte(id))
		a, err := fx.sp.ValidateResponseXML(context.Background(), doc, "relay", cookie)
		if err == nil {
			// The IdP never signed anything for this request ID: any success
			// is a signature bypass.
			t.Fatalf("accepted a Response the IdP never issued: %+v", a)
		}
		var e *spid.Error
		if !errors.As(err, &e) {
			t.Fatalf("untyped error %T %v", err, err)
		}
	})
}
