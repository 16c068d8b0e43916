package spid

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrorCode names the check a SAML message failed. The web layer maps codes
// to plain-language pages; the codes are stable and safe to log (they never
// carry personal data).
type ErrorCode string

const (
	// Transport and parsing.
	CodeMethodNotAllowed ErrorCode = "method_not_allowed"
	CodeTooLarge         ErrorCode = "too_large"
	CodeMalformed        ErrorCode = "malformed"     // base64, UTF-8, XML syntax, round-trip
	CodeDTD              ErrorCode = "dtd_forbidden" // DOCTYPE / entity declarations
	CodeUnsupported      ErrorCode = "unsupported"   // e.g. EncryptedAssertion

	// Field checks: the Field of the Error says which one.
	CodeMissing  ErrorCode = "missing"   // element or attribute absent
	CodeEmpty    ErrorCode = "empty"     // present but without a value
	CodeInvalid  ErrorCode = "invalid"   // present with a wrong value or format
	CodeExpired  ErrorCode = "expired"   // a time in the past that must not be
	CodeFuture   ErrorCode = "future"    // a time in the future that must not be
	CodeTooEarly ErrorCode = "too_early" // issued before the request it answers

	// Request binding.
	CodeUnknownRequest  ErrorCode = "unknown_request"  // InResponseTo not issued by us, already used or expired
	CodeBrowserMismatch ErrorCode = "browser_mismatch" // the request was started in another browser
	CodeRelayState      ErrorCode = "relay_state"      // RelayState differs from the one we sent
	CodeUnknownIdP      ErrorCode = "unknown_idp"

	// Signatures.
	CodeSignatureMissing ErrorCode = "signature_missing"
	CodeSignatureInvalid ErrorCode = "signature_invalid"
	CodeUnknownCert      ErrorCode = "unknown_certificate"
	CodeWrapping         ErrorCode = "signature_wrapping" // more than one Assertion/Response, misplaced elements

	// Authentication level.
	CodeLevelTooLow ErrorCode = "level_too_low"

	// Status codes returned by the IdP. CodeStatus is any non-Success status
	// without a known SPID anomaly code.
	CodeStatus ErrorCode = "status"
	// SPID anomaly codes (Tabella messaggi di anomalia, ErrorCode nrNN).
	CodeTooManyAttempts   ErrorCode = "spid_nr19_too_many_attempts"
	CodeLevelNotAvailable ErrorCode = "spid_nr20_level_not_available"
	CodeTimeout           ErrorCode = "spid_nr21_timeout"
	CodeConsentDenied     ErrorCode = "spid_nr22_consent_denied"
	CodeIdentitySuspended ErrorCode = "spid_nr23_identity_suspended_or_revoked"
	CodeUserCancelled     ErrorCode = "spid_nr25_user_cancelled"
	CodeWrongIdentityType ErrorCode = "spid_nr30_wrong_identity_type"

	// Our own failures (storage, logging): not the user's fault.
	CodeInternal ErrorCode = "internal"
)

// anomalyCode maps the number in a StatusMessage "ErrorCode nrNN" to our code.
func anomalyCode(nr string) (ErrorCode, bool) {
	switch nr {
	case "19":
		return CodeTooManyAttempts, true
	case "20":
		return CodeLevelNotAvailable, true
	case "21":
		return CodeTimeout, true
	case "22":
		return CodeConsentDenied, true
	case "23":
		return CodeIdentitySuspended, true
	case "25":
		return CodeUserCancelled, true
	case "30":
		return CodeWrongIdentityType, true
	}
	return "", false
}

// Error is the only error type returned by message validation. Field is a
// short path such as "Assertion/Subject/NameID/@Format" so that logs and
// tests can tell exactly which check failed.
type Error struct {
	Code  ErrorCode
	Field string
	Err   error // optional cause, for logs
}

func (e *Error) Error() string {
	msg := "spid: " + string(e.Code)
	if e.Field != "" {
		msg += " " + e.Field
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets callers match on the code alone: errors.Is(err, &spid.Error{Code: spid.CodeExpired}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && (t.Field == "" || t.Field == e.Field)
}

// Anomaly reports whether the error is a SPID anomaly the user caused or can
// act upon (cancelled, refused consent…), as opposed to an attack or a bug.
func (e *Error) Anomaly() bool {
	switch e.Code {
	case CodeTooManyAttempts, CodeLevelNotAvailable, CodeTimeout, CodeConsentDenied,
		CodeIdentitySuspended, CodeUserCancelled, CodeWrongIdentityType:
		return true
	}
	return false
}

// HTTPStatus is the status code an error page for err should carry.
func HTTPStatus(err error) int {
	var e *Error
	if !errors.As(err, &e) {
		return http.StatusInternalServerError
	}
	switch e.Code {
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeInternal:
		return http.StatusInternalServerError
	case CodeUnknownRequest, CodeBrowserMismatch, CodeRelayState, CodeUnknownIdP,
		CodeSignatureMissing, CodeSignatureInvalid, CodeUnknownCert, CodeWrapping, CodeLevelTooLow:
		return http.StatusForbidden
	}
	if e.Anomaly() || e.Code == CodeStatus {
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

func fail(code ErrorCode, field string) *Error { return &Error{Code: code, Field: field} }

func failf(code ErrorCode, field string, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Err: fmt.Errorf(format, args...)}
}

func internal(err error) *Error { return &Error{Code: CodeInternal, Err: err} }
