// Package spid is Arengo's SPID service provider: SAML 2.0 Web Browser SSO
// and Single Logout as profiled by AgID's "Regole tecniche SPID" and the
// later Avvisi (notably Avviso 29 v3 for metadata). It is our own
// implementation on beevik/etree, russellhaering/goxmldsig and
// mattermost/xml-roundtrip-validator; general-purpose Go SAML libraries do
// not implement the SPID profile.
//
// # What is implemented
//
//   - Config validation and signed SP metadata (Metadata, MetadataHandler),
//     valid against saml-schema-metadata-sp-spid-av29.xsd: public SPs
//     (IPACode, Public) and private ones (VATNumber/FiscalCode, Private,
//     billing contact with fpa:CessionarioCommittente).
//   - AuthnRequest over HTTP-POST (enveloped signature, a form page without
//     inline script: a visible button plus data-autosubmit for an external
//     script) and HTTP-Redirect (query signature), with the SPID fields
//     (StartLogin). Request state is kept server-side in a RequestStore and
//     bound to the browser by a cookie; RelayState is an opaque random value.
//   - Response validation (ValidateResponse, ACSHandler) covering AgID's
//     checklist: size, encoding, DTD refusal, round-trip safety, IDs,
//     versions, time windows, single-use InResponseTo bound to the browser,
//     Destination/Recipient, Status and anomaly codes nr19–nr30, Issuer and
//     Format, mandatory Assertion signature checked only against the IdP's
//     metadata certificates (empty KeyInfo tolerated), signature-wrapping
//     defences (one Assertion, a direct child, data read only from the
//     verified element), Subject, Conditions, Audience, level, attributes.
//     Every failure is an *Error with a Code and a Field.
//   - Single logout both ways and both bindings (StartLogout, SLOHandler).
//   - IdP registry from bytes, files or URLs with allow-list, optional
//     metadata signature check, several certificates per IdP, last-known-good
//     on refresh failure and a shuffled list for the SPID button (Registry).
//   - A hash-chained authentication log of every request/response pair
//     (AuthLog, ChainHash, VerifyChain).
//   - SQL implementations of RequestStore and AuthLog on internal/db
//     (SQLRequestStore, SQLAuthLog; tables in migration 0050_spid). The
//     tests, conformance table included, run on them, on SQLite and on
//     PostgreSQL.
//   - The testidp subpackage: a real IdP for the demo and the tests.
//
// # What is not
//
//   - EncryptedAssertion (SPID does not use it; it is refused), the Artifact
//     binding, IdP discovery other than the button list, CIE (OIDC, later).
//   - Periodic registry refresh scheduling: call Registry.Refresh from a job.
//   - The HTML of the SPID button and the error pages: the web layer renders
//     them from ButtonEntry and Error.Code through the i18n catalog.
//
// Time and randomness are injected (Options.Clock, Options.Rand); the
// package has no mutable package-level state.
package spid
