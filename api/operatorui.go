package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/billingd/billingd/records"
)

// GuardOperatorUI puts the operator's web UI (the River UI under /riverui/) behind the API's
// tokens — the bootstrap token or a named one, as the password of HTTP basic auth with any
// user name, or as a bearer token — and against cross-site request forgery. A browser sends
// the operator's cached Basic credentials with any request a page makes to this server, so a
// hostile page could otherwise post a form that retries, cancels or deletes jobs. A request
// that can change state (any method but GET, HEAD and OPTIONS) is refused with 403 and a JSON
// error naming the header and the reason when
//
//   - its Sec-Fetch-Site is anything but same-origin or none (cross-site, same-site), or,
//     from a browser too old to send Sec-Fetch-Site, its Origin is not this server's Host;
//   - or its Content-Type is not application/json and nothing proves it comes from this
//     server's own pages (Sec-Fetch-Site: same-origin, or an Origin equal to the Host). The
//     River UI's own job actions post JSON as text/plain and pause a queue with no body at
//     all, and always carry that proof; a form-shaped post from a browser that sends
//     neither header does not.
//
// Every request's body is limited as the API's (MaxBodyBytes; 413 above it). Every request
// that can change state and passes authentication gets an audit record (source riverui, the
// method and path as its route, the job ids it names, the status answered), written right
// after the answer: the River UI changes River's tables in its own transactions.
func (s *Server) GuardOperatorUI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, requestID(w, r)))
		p, err := s.authenticate(r)
		if err == errNoCredentials {
			err = &unauthorized{"missing or wrong credentials: send an API token as the basic-auth password or as a bearer token"}
		}
		if err != nil {
			s.authFailed(w, r, err, `Basic realm="billingd", charset="UTF-8"`)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		var entry *records.AuditEntry
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			entry = newAudit(r, records.AuditRiverUI, r.Method+" "+r.URL.Path, nil)
			sw := &statusWriter{ResponseWriter: w}
			w = sw
			defer func() { s.finishAudit(r, entry, sw.code()) }()
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
			if err != nil {
				writeError(w, http.StatusBadRequest, "malformed", "body", "body: "+err.Error())
				return
			}
			if len(body) > MaxBodyBytes {
				writeError(w, http.StatusRequestEntityTooLarge, "too_large", "body", fmt.Sprintf("body: larger than %d bytes", MaxBodyBytes))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			var ids struct {
				IDs []json.RawMessage `json:"ids"`
			}
			if entry != nil && json.Unmarshal(body, &ids) == nil && len(ids.IDs) > 0 {
				entry.Detail["ids"] = ids.IDs
			}
		}
		if entry == nil {
			next.ServeHTTP(w, r)
			return
		}
		sameOrigin, header, reason := requestOrigin(r)
		if reason != "" {
			writeError(w, http.StatusForbidden, "forbidden", header, header+": "+reason)
			return
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" && !sameOrigin {
			got := r.Header.Get("Content-Type")
			if got == "" {
				got = "none"
			}
			writeError(w, http.StatusForbidden, "forbidden", "Content-Type",
				"Content-Type: a request that changes state must send application/json (got "+got+
					") unless its Sec-Fetch-Site or Origin shows it comes from this server's own page")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requestOrigin tells where a browser says a request comes from: sameOrigin when
// Sec-Fetch-Site or Origin proves it comes from this server's own page; a reason (and the
// header that gives it) when either says it comes from elsewhere; neither when the request
// carries no such header (a script, or a very old browser).
func requestOrigin(r *http.Request) (sameOrigin bool, header, reason string) {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "same-origin":
		return true, "", ""
	case "none": // the user's own navigation (typed or bookmarked), not a page's
	case "":
		origin := r.Header.Get("Origin")
		if origin == "" {
			return false, "", ""
		}
		if u, err := url.Parse(origin); err == nil && u.Host != "" && u.Host == r.Host {
			return true, "", ""
		}
		return false, "Origin", fmt.Sprintf("the request comes from a page of %s, not of this server (%s)", origin, r.Host)
	default:
		return false, "Sec-Fetch-Site", fmt.Sprintf("the request comes from a %s page, not from this server's own", site)
	}
	return false, "", ""
}
