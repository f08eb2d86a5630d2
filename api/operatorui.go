package api

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// GuardOperatorUI puts the operator's web UI (the River UI under /riverui/) behind the token
// (see RequireToken) and against cross-site request forgery. A browser sends the operator's
// cached Basic credentials with any request a page makes to this server, so a hostile page
// could otherwise post a form that retries, cancels or deletes jobs. A request that can
// change state (any method but GET, HEAD and OPTIONS) is refused with 403 and a JSON error
// naming the header and the reason when
//
//   - its Sec-Fetch-Site is anything but same-origin or none (cross-site, same-site), or,
//     from a browser too old to send Sec-Fetch-Site, its Origin is not this server's Host;
//   - or its Content-Type is not application/json and nothing proves it comes from this
//     server's own pages (Sec-Fetch-Site: same-origin, or an Origin equal to the Host). The
//     River UI's own job actions post JSON as text/plain and pause a queue with no body at
//     all, and always carry that proof; a form-shaped post from a browser that sends
//     neither header does not.
//
// Every request's body is limited as the API's (MaxBodyBytes; 413 above it).
func GuardOperatorUI(token string, next http.Handler) http.Handler {
	return RequireToken(token, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
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
	}))
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
