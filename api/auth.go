package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// principal is who a request authenticated as: the bootstrap token (BILLINGD_API_TOKEN) or a
// named token.
type principal struct {
	actor   string
	tokenID *int64
}

type principalKey struct{}

// withPrincipal returns ctx carrying the authenticated principal.
func withPrincipal(ctx context.Context, p principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalOf returns the principal ServeHTTP (or the River UI's guard) authenticated.
func principalOf(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// unauthorized is a request without valid credentials; its message says which case it is
// without saying anything about the tokens that exist.
type unauthorized struct{ msg string }

func (e *unauthorized) Error() string { return e.msg }

var errNoCredentials = &unauthorized{"missing or wrong bearer token"}

// credential returns the token a request carries: as `Authorization: Bearer <token>` or,
// for browsers (the River UI), as the password of HTTP basic auth with any user name.
func credential(r *http.Request) string {
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return bearer
	}
	if _, password, ok := r.BasicAuth(); ok {
		return password
	}
	return ""
}

// authenticate finds who r comes from. The bootstrap token is compared in constant time. A
// named token is looked up by the SHA-256 of what the request sends (see newToken for why a
// fast hash is right here), and only when it has a named token's shape, so garbage costs no
// database query; its stored hash is compared in constant time too. A revoked or unknown
// token is an *unauthorized; a database that cannot answer is returned as it is (503).
func (s *Server) authenticate(r *http.Request) (principal, error) {
	given := credential(r)
	if given == "" {
		return principal{}, errNoCredentials
	}
	if s.cfg.Token != "" && subtle.ConstantTimeCompare([]byte(given), []byte(s.cfg.Token)) == 1 {
		return principal{actor: records.BootstrapActor}, nil
	}
	if !looksLikeToken(given) || s.store == nil {
		return principal{}, errNoCredentials
	}
	sum := sha256.Sum256([]byte(given))
	t, err := s.store.APITokenByHash(r.Context(), sum[:])
	if errors.Is(err, billing.ErrNotFound) {
		return principal{}, errNoCredentials
	}
	if err != nil {
		return principal{}, err
	}
	if t.RevokedAt != nil {
		return principal{}, &unauthorized{"the bearer token was revoked"}
	}
	id := t.ID
	return principal{actor: t.Name, tokenID: &id}, nil
}

// authFailed answers a request authenticate refused: 401 with the WWW-Authenticate challenge
// (bearer for the API, basic for the River UI's browser), or what fail answers for a
// database that could not be asked.
func (s *Server) authFailed(w http.ResponseWriter, r *http.Request, err error, challenge string) {
	var u *unauthorized
	if !errors.As(err, &u) {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, http.StatusUnauthorized, "unauthorized", "", u.msg)
}
