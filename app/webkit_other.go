//go:build !linux && (desktop || dev || bindings)

package app

import "github.com/wailsapp/wails/v2/pkg/options/linux"

const webviewGpuPolicy = linux.WebviewGpuPolicyNever

// leanWebKit has nothing to set outside Linux (WebView2 and WKWebView size their caches
// and processes themselves).
func leanWebKit() {}

func childEnv() []string { return nil }
