package api

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// RequireToken lets a request through to next only when it carries the token, either as
// `Authorization: Bearer <token>` or, for browsers (the River UI), as the password of HTTP
// basic auth with any user name. Comparison is in constant time.
func RequireToken(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !tokenOK(token, r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="billingd", charset="UTF-8"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "", "missing or wrong credentials: send the API token as a bearer token or as the basic-auth password")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func tokenOK(token string, r *http.Request) bool {
	if token == "" {
		return false
	}
	given := ""
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		given = bearer
	} else if _, password, ok := r.BasicAuth(); ok {
		given = password
	}
	return subtle.ConstantTimeCompare([]byte(given), []byte(token)) == 1
}
