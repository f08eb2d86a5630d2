package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// TokenPrefix starts every named token, so that a secret scanner (or a reader of a leaked
// file) knows one for what it is; the bootstrap token is the operator's own string.
const TokenPrefix = "bld_"

// tokenBytes is how many random bytes a named token holds: 256 bits.
const tokenBytes = 32

// tokenLen is the length of a named token: the prefix and the bytes in unpadded base64url.
var tokenLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(tokenBytes)

// newToken returns a new named token and the SHA-256 the store keeps instead of it.
//
// A fast hash is enough: a slow one (bcrypt, argon2) protects a low-entropy secret a person
// chose by making each guess expensive, but a token is 32 bytes from crypto/rand, so no number
// of guesses finds one, or its value from its hash. A fast, unsalted hash also lets a request's
// token be found by the hash of what it sends (one index lookup), where a salted slow hash
// would need one costly comparison per stored token on every request.
func newToken() (token string, hash []byte, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("make a token: %w", err)
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(token))
	return token, sum[:], nil
}

// looksLikeToken reports whether s has a named token's shape.
func looksLikeToken(s string) bool {
	if len(s) != tokenLen || s[:len(TokenPrefix)] != TokenPrefix {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s[len(TokenPrefix):])
	return err == nil
}

// tokenNameRE is a token's name: it becomes the actor of the audit log.
var tokenNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

type tokenRequest struct {
	Name string `json:"name"`
}

type tokenResponse struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	CreatedBy  string  `json:"created_by"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
	RevokedAt  *string `json:"revoked_at"`
	RevokedBy  *string `json:"revoked_by"`
}

// createdTokenResponse is the answer to POST /v1/tokens, the one time the token is shown.
type createdTokenResponse struct {
	tokenResponse
	Token string `json:"token"`
}

func optInstant(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func toToken(t records.APIToken) tokenResponse {
	out := tokenResponse{ID: t.ID, Name: t.Name, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt.UTC().Format(time.RFC3339),
		LastUsedAt: optInstant(t.LastUsedAt), RevokedAt: optInstant(t.RevokedAt)}
	if t.RevokedBy != "" {
		out.RevokedBy = &t.RevokedBy
	}
	return out
}

// createToken makes a named token and answers it, once; the store keeps its hash only.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.Name == "":
		return billing.Fieldf("name", "required: the name the audit log gives the token's actions, such as \"ops-ana\"")
	case req.Name == records.BootstrapActor:
		return billing.Fieldf("name", "%q is the actor of BILLINGD_API_TOKEN; choose another name", req.Name)
	case !tokenNameRE.MatchString(req.Name):
		return billing.Fieldf("name", "want 1 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit; got %q", req.Name)
	}
	auditDetail(r, "name", req.Name)
	token, hash, err := newToken()
	if err != nil {
		return err
	}
	t, err := s.store.CreateAPIToken(r.Context(), req.Name, hash, principalOf(r.Context()).actor)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/v1/tokens/%d", t.ID))
	w.Header().Set("Cache-Control", "no-store")
	return respond(w, http.StatusCreated, createdTokenResponse{tokenResponse: toToken(t), Token: token})
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	tokens, err := s.store.APITokens(r.Context(), pg)
	if err != nil {
		return err
	}
	return respondPage(w, pg, tokens, toToken, func(t tokenResponse) int64 { return t.ID })
}

// revokeToken revokes a named token: requests with it are refused (401) from then on.
// Revoking a revoked token changes nothing.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := s.store.RevokeAPIToken(r.Context(), id, principalOf(r.Context()).actor)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, toToken(t))
}
