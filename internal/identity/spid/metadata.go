package spid

import (
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/beevik/etree"

	"github.com/arengo/arengo/internal/identity/spid/internal/samlxml"
)

// Metadata returns the SP metadata, signed, as AgID's Avviso 29 v3 and
// saml-schema-metadata-sp-spid-av29.xsd describe it. Each call signs anew
// with a fresh ID; callers that serve it often may cache the bytes.
func (sp *ServiceProvider) Metadata() ([]byte, error) {
	c := sp.cfg
	id, err := samlxml.NewID(sp.rand)
	if err != nil {
		return nil, internal(err)
	}
	ed := etree.NewElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", samlxml.NSMetadata)
	ed.CreateAttr("xmlns:ds", samlxml.NSDSig)
	ed.CreateAttr("xmlns:spid", samlxml.NSSPID)
	if c.Contact.Billing != nil {
		ed.CreateAttr("xmlns:fpa", samlxml.NSInvoicing)
	}
	ed.CreateAttr("entityID", c.EntityID)
	ed.CreateAttr("ID", id)
	if c.MetadataValidity > 0 {
		ed.CreateAttr("validUntil", samlxml.FormatTime(sp.now().Add(c.MetadataValidity)))
	}

	sso := ed.CreateElement("md:SPSSODescriptor")
	sso.CreateAttr("protocolSupportEnumeration", samlxml.ProtocolSAML20)
	sso.CreateAttr("AuthnRequestsSigned", "true")
	sso.CreateAttr("WantAssertionsSigned", "true")

	kd := sso.CreateElement("md:KeyDescriptor")
	kd.CreateAttr("use", "signing")
	x509c := kd.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate")
	x509c.SetText(base64.StdEncoding.EncodeToString(sp.keys.Cert.Raw))

	for _, b := range []Binding{BindingPOST, BindingRedirect} {
		slo := sso.CreateElement("md:SingleLogoutService")
		slo.CreateAttr("Binding", string(b))
		slo.CreateAttr("Location", c.SLOURL)
	}
	sso.CreateElement("md:NameIDFormat").SetText(samlxml.NameIDTransient)

	acs := sso.CreateElement("md:AssertionConsumerService")
	acs.CreateAttr("index", "0")
	acs.CreateAttr("isDefault", "true")
	acs.CreateAttr("Binding", samlxml.BindingPOST)
	acs.CreateAttr("Location", c.ACSURL)

	for i, s := range c.AttributeServices {
		as := sso.CreateElement("md:AttributeConsumingService")
		as.CreateAttr("index", strconv.Itoa(s.Index))
		if i == 0 {
			as.CreateAttr("isDefault", "true")
		}
		localized(as, "md:ServiceName", "it", s.ServiceNameIT)
		if s.ServiceNameEN != "" {
			localized(as, "md:ServiceName", "en", s.ServiceNameEN)
		}
		for _, a := range s.Attributes {
			ra := as.CreateElement("md:RequestedAttribute")
			ra.CreateAttr("Name", a)
		}
	}

	o := c.Organization
	org := ed.CreateElement("md:Organization")
	localized(org, "md:OrganizationName", "it", o.NameIT)
	if o.NameEN != "" {
		localized(org, "md:OrganizationName", "en", o.NameEN)
	}
	localized(org, "md:OrganizationDisplayName", "it", o.DisplayNameIT)
	if o.DisplayNameEN != "" {
		localized(org, "md:OrganizationDisplayName", "en", o.DisplayNameEN)
	}
	localized(org, "md:OrganizationURL", "it", o.URLIT)
	if o.URLEN != "" {
		localized(org, "md:OrganizationURL", "en", o.URLEN)
	}

	ct := c.Contact
	cp := ed.CreateElement("md:ContactPerson")
	cp.CreateAttr("contactType", "other")
	ext := cp.CreateElement("md:Extensions")
	if ct.IPACode != "" {
		ext.CreateElement("spid:IPACode").SetText(ct.IPACode)
	}
	if ct.VATNumber != "" {
		ext.CreateElement("spid:VATNumber").SetText(ct.VATNumber)
	}
	if ct.FiscalCode != "" {
		ext.CreateElement("spid:FiscalCode").SetText(ct.FiscalCode)
	}
	if ct.Public {
		ext.CreateElement("spid:Public")
	} else {
		ext.CreateElement("spid:Private")
	}
	if ct.Company != "" {
		cp.CreateElement("md:Company").SetText(ct.Company)
	}
	cp.CreateElement("md:EmailAddress").SetText(ct.Email)
	if ct.Telephone != "" {
		cp.CreateElement("md:TelephoneNumber").SetText(ct.Telephone)
	}
	if b := ct.Billing; b != nil {
		billingContact(ed, b)
	}

	// Signature first: the schema allows ds:Signature only before everything else.
	if err := samlxml.Sign(ed, sp.keys, 0); err != nil {
		return nil, internal(err)
	}
	out, err := samlxml.Serialize(samlxml.NewDocument(ed))
	if err != nil {
		return nil, internal(err)
	}
	return out, nil
}

func localized(parent *etree.Element, tag, lang, text string) {
	e := parent.CreateElement(tag)
	e.CreateAttr("xml:lang", lang)
	e.SetText(text)
}

func billingContact(ed *etree.Element, b *BillingContact) {
	cp := ed.CreateElement("md:ContactPerson")
	cp.CreateAttr("contactType", "billing")
	cc := cp.CreateElement("md:Extensions").CreateElement("fpa:CessionarioCommittente")
	da := cc.CreateElement("fpa:DatiAnagrafici")
	if b.VATCode != "" {
		id := da.CreateElement("fpa:IdFiscaleIVA")
		id.CreateElement("fpa:IdPaese").SetText(b.VATCountry)
		id.CreateElement("fpa:IdCodice").SetText(b.VATCode)
	} else {
		da.CreateElement("fpa:CodiceFiscale").SetText(b.FiscalCode)
	}
	da.CreateElement("fpa:Anagrafica").CreateElement("fpa:Denominazione").SetText(b.Denomination)
	sede := cc.CreateElement("fpa:Sede")
	sede.CreateElement("fpa:Indirizzo").SetText(b.Address)
	if b.StreetNumber != "" {
		sede.CreateElement("fpa:NumeroCivico").SetText(b.StreetNumber)
	}
	sede.CreateElement("fpa:CAP").SetText(b.PostalCode)
	sede.CreateElement("fpa:Comune").SetText(b.City)
	if b.Province != "" {
		sede.CreateElement("fpa:Provincia").SetText(b.Province)
	}
	country := b.Country
	if country == "" {
		country = "IT"
	}
	sede.CreateElement("fpa:Nazione").SetText(country)
	if b.Company != "" {
		cp.CreateElement("md:Company").SetText(b.Company)
	}
	cp.CreateElement("md:EmailAddress").SetText(b.Email)
	if b.Telephone != "" {
		cp.CreateElement("md:TelephoneNumber").SetText(b.Telephone)
	}
}

// MetadataHandler serves the signed metadata.
func (sp *ServiceProvider) MetadataHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		md, err := sp.Metadata()
		if err != nil {
			http.Error(w, "metadata unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write(md)
	})
}
