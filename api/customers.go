package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/billingd/billingd/billing"
)

type customerRequest struct {
	Name     string           `json:"name"`
	Email    string           `json:"email"`
	Document string           `json:"document"`
	Phone    string           `json:"phone"`
	Address  *billing.Address `json:"address"`
}

// customerPatchRequest is the body of PATCH /v1/customers/{id}: the fields sent change, the
// others stay; an address sent replaces the whole address.
type customerPatchRequest struct {
	Name     *string          `json:"name"`
	Email    *string          `json:"email"`
	Document *string          `json:"document"`
	Phone    *string          `json:"phone"`
	Address  *billing.Address `json:"address"`
}

type customerResponse struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Document string `json:"document"`
	// DocumentKind is cpf or cnpj, or "" without a document.
	DocumentKind string          `json:"document_kind"`
	Phone        string          `json:"phone"`
	Address      billing.Address `json:"address"`
	CreatedAt    string          `json:"created_at"`
	UpdatedAt    string          `json:"updated_at"`
}

func toCustomer(c billing.Customer) customerResponse {
	kind, _, _ := billing.ParseDocument(c.Document)
	return customerResponse{ID: c.ID, Name: c.Name, Email: c.Email, Document: c.Document, DocumentKind: kind, Phone: c.Phone,
		Address: c.Address, CreatedAt: c.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: c.UpdatedAt.UTC().Format(time.RFC3339)}
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) error {
	var req customerRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c := billing.Customer{Name: strings.TrimSpace(req.Name), Email: strings.TrimSpace(req.Email),
		Document: strings.TrimSpace(req.Document), Phone: strings.TrimSpace(req.Phone)}
	if req.Address != nil {
		c.Address = trimAddress(*req.Address)
	}
	if err := checkCustomer(c); err != nil {
		return err
	}
	out, err := s.store.CreateCustomer(r.Context(), c)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, toCustomer(out))
}

func (s *Server) patchCustomer(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req customerPatchRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, readdressed, err := s.store.UpdateCustomer(r.Context(), id, func(c *billing.Customer) error {
		for _, f := range []struct {
			v   *string
			dst *string
		}{{req.Name, &c.Name}, {req.Email, &c.Email}, {req.Document, &c.Document}, {req.Phone, &c.Phone}} {
			if f.v != nil {
				*f.dst = strings.TrimSpace(*f.v)
			}
		}
		if req.Address != nil {
			c.Address = trimAddress(*req.Address)
		}
		return checkCustomer(*c)
	})
	if err != nil {
		return err
	}
	auditDetail(r, "notices_readdressed", readdressed)
	return respond(w, http.StatusOK, toCustomer(out))
}

// trimAddress trims the blanks around each field of an address and writes its state in
// capitals and its postal code as its digits.
func trimAddress(a billing.Address) billing.Address {
	for _, f := range []*string{&a.Street, &a.Number, &a.Complement, &a.District, &a.City, &a.State, &a.PostalCode, &a.MunicipalityCode} {
		*f = strings.TrimSpace(*f)
	}
	a.State = strings.ToUpper(a.State)
	if len(a.PostalCode) == 9 && a.PostalCode[5] == '-' {
		a.PostalCode = a.PostalCode[:5] + a.PostalCode[6:]
	}
	return a
}

// checkCustomer names the first field of a customer that breaks its rules: a name, an
// e-mail address, a CPF or CNPJ whose check digits hold (or none), a phone of 8 to 15 digits
// (or none), an address whose state is a federative unit, whose postal code (CEP) has eight
// digits and whose municipality code is an IBGE one (each optional).
func checkCustomer(c billing.Customer) error {
	a := c.Address
	switch {
	case c.Name == "" || len(c.Name) > 200 || hasNUL(c.Name):
		return billing.Fieldf("name", "required, at most 200 characters, without NUL characters")
	case !validEmail(c.Email):
		return billing.Fieldf("email", "want an e-mail address such as ana@example.com, got %q", c.Email)
	case len(c.Document) > 32 || hasNUL(c.Document):
		return billing.Fieldf("document", "at most 32 characters, without NUL characters")
	case c.Document != "" && documentError(c.Document) != nil:
		return billing.Fieldf("document", "%v", documentError(c.Document))
	case !validPhone(c.Phone):
		return billing.Fieldf("phone", "want 8 to 15 digits, with + ( ) - . or spaces between them, got %q", c.Phone)
	case a.State != "" && !validUF(a.State):
		return billing.Fieldf("address.state", "want a federative unit's two letters (SP, RJ, DF…), got %q", a.State)
	case a.PostalCode != "" && (len(a.PostalCode) != 8 || !billing.AllDigits(a.PostalCode)):
		return billing.Fieldf("address.postal_code", "want a CEP of 8 digits (01310-100 or 01310100), got %q", a.PostalCode)
	case a.MunicipalityCode != "" && !billing.ValidMunicipalityCode(a.MunicipalityCode):
		return billing.Fieldf("address.municipality_code", "want the IBGE code of a municipality, 7 digits starting with its state's code (3550308 is São Paulo), got %q", a.MunicipalityCode)
	}
	for _, f := range []struct{ name, v string }{{"address.street", a.Street}, {"address.number", a.Number},
		{"address.complement", a.Complement}, {"address.district", a.District}, {"address.city", a.City}} {
		if len(f.v) > 200 || hasNUL(f.v) {
			return billing.Fieldf(f.name, "at most 200 characters, without NUL characters")
		}
	}
	return nil
}

// documentError is why a CPF or CNPJ is not one (billing.ParseDocument), nil when it is.
func documentError(doc string) error {
	_, _, err := billing.ParseDocument(doc)
	return err
}

// validPhone reports whether s is empty or a phone number: 8 to 15 digits (E.164's most),
// an optional leading +, and ( ) - . or spaces between them.
func validPhone(s string) bool {
	if s == "" {
		return true
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == '(', r == ')', r == '-', r == '.', r == ' ':
		default:
			return false
		}
	}
	return digits >= 8 && digits <= 15
}

// ufs are Brazil's 27 federative units.
var ufs = "AC AL AP AM BA CE DF ES GO MA MT MS MG PA PB PR PE PI RJ RN RS RO RR SC SP SE TO"

func validUF(s string) bool {
	return len(s) == 2 && strings.Contains(ufs, s) && !strings.Contains(s, " ")
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	cs, err := s.store.Customers(r.Context(), pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, cs, toCustomer, func(c customerResponse) int64 { return c.ID })
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.store.Customer(r.Context(), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toCustomer(c))
}
