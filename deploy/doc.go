// Package deploy holds no code: its tests validate billingd's deployment
// artefacts (Kubernetes manifests, systemd units, Prometheus rules, Grafana
// dashboard) offline. It is a separate module so that the k8s.io dependencies
// stay out of the daemon's go.mod; run it with `cd deploy && go test ./...`
// (the top-level `go test ./...` does not enter nested modules).
package deploy
