//go:build linux && (desktop || dev || bindings)

package app

/*
#cgo linux pkg-config: gtk+-3.0
#cgo !webkit2_41 pkg-config: webkit2gtk-4.0
#cgo webkit2_41 pkg-config: webkit2gtk-4.1
#include <webkit2/webkit2.h>
#include <dlfcn.h>

// geojobs_egl_vendors makes glvnd's libEGL (linked by libwebkit2gtk) read its vendor
// list now; 0 when libEGL is not loaded or has no eglQueryString.
static int geojobs_egl_vendors(void) {
	void *egl = dlopen("libEGL.so.1", RTLD_LAZY | RTLD_NOLOAD);
	if (!egl) return 0;
	const char *(*query)(void *, int) = (const char *(*)(void *, int))dlsym(egl, "eglQueryString");
	if (query) query(NULL, 0x3055); // EGL_NO_DISPLAY, EGL_EXTENSIONS
	dlclose(egl);
	return query != NULL;
}

static void geojobs_document_viewer_cache(void) {
	webkit_web_context_set_cache_model(webkit_web_context_get_default(), WEBKIT_CACHE_MODEL_DOCUMENT_VIEWER);
}
*/
import "C"

import (
	"os"
	"slices"

	"github.com/wailsapp/wails/v2/pkg/options/linux"
)

// webviewGpuPolicy is Never (noGLDriver depends on it): the window's pages are forms, lists and a 2D canvas map,
// which WebKitGTK paints well without accelerated compositing, and compositing cost 95
// MiB PSS in the web process at idle (203 → 108 MiB under Xvfb, bench/desktop/memory.sh).
// Wails' OnDemand, used before, reaches WebKit as ALWAYS in Wails v2.16 (its Go and C
// enumerations differ), and WebKitGTK 2.50's ON_DEMAND measured the same as ALWAYS.
const webviewGpuPolicy = linux.WebviewGpuPolicyNever

// leanWebKit sets up what must be set before GTK and the web view start; call it on the
// thread that then runs wails.Run (the GTK thread).
//   - GDK_GL=disable (unless set): without compositing the window draws no GL, so GDK
//     need not open GLX at start (libGLX_mesa and the driver through it: 3 MB RSS, 2.7
//     MiB PSS). WebKit opens the driver through EGL anyway.
//   - the document-viewer cache model: the window shows one app page at a time, so it
//     needs no back-forward cache of whole pages nor a cache of decoded resources (the
//     results pages' thumbnails) nobody shows any more. It is WebKit's setting for an
//     app that shows one document; at idle (one page loaded) it makes no difference.
func leanWebKit() {
	noGLDriver()
	if _, set := os.LookupEnv("GDK_GL"); !set {
		_ = os.Setenv("GDK_GL", "disable")
		gdkGLSet = true
	}
	C.geojobs_document_viewer_cache()
}

var gdkGLSet bool

// childEnv is the environment of the programs the window starts (a file manager, a
// log viewer): the user's, without the GDK_GL that leanWebKit set for this process.
// nil (inherit) when leanWebKit set nothing.
func childEnv() []string {
	if !gdkGLSet {
		return nil
	}
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return kv == "GDK_GL=disable" })
}

const eglVendorsVar = "__EGL_VENDOR_LIBRARY_FILENAMES"

// noGLDriver keeps the GL driver out of this process: glvnd reads its vendor list once,
// at the first EGL call, from __EGL_VENDOR_LIBRARY_FILENAMES when set; read here with the
// variable empty, the list stays empty, WebKit's UI side finds no EGL display and takes
// the web process's frames in shared memory. The variable is then put back, so the web
// process, which starts later, loads the driver as before (WebKitGTK 2.50's web process
// aborts without EGL). The driver (Mesa and the libLLVM it links: 52 MiB RSS under Xvfb)
// has nothing to do here while the window composites nothing (webviewGpuPolicy Never, and
// GDK_GL=disable); with accelerated compositing it has not been tried (the frames would
// then be GPU buffers, which this process shows through EGL). A libEGL that is not
// glvnd ignores the variable: the driver is then loaded as before.
func noGLDriver() {
	old, had := os.LookupEnv(eglVendorsVar)
	_ = os.Setenv(eglVendorsVar, "")
	C.geojobs_egl_vendors()
	if had {
		_ = os.Setenv(eglVendorsVar, old)
	} else {
		_ = os.Unsetenv(eglVendorsVar)
	}
}
