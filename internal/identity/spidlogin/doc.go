// Package spidlogin puts SPID (package spid) and other strong logins on the
// platform: the SPID button, the ACS and single-logout endpoints (on spid's
// SQL request store and authentication log), the built-in test IdP of the
// demo, and the flow every strong login shares (Flow): find the participant
// by the keyed hash of the codice fiscale, sign in and record a
// verification; or ask a newcomer for a nickname and create the account and
// the link in one transaction; or link the identity to the signed-in account.
package spidlogin
