//go:build peers

// Package peers pins the real EPP and model server programs this module
// builds (go build github.com/llm-d/...); it is never compiled itself.
package peers

import (
	_ "github.com/llm-d/llm-d-inference-scheduler/cmd/epp"
	_ "github.com/llm-d/llm-d-inference-sim/cmd/llm-d-inference-sim"
)
