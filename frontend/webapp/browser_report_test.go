package webapp

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"regexp"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// stepReport says, for a browser step that failed, what the page and the process were
// doing: the page's URL, whether HTMX was busy and with what, the element focused, the
// page's network requests and console lines, a trimmed copy of its HTML, and the
// goroutines running geojobs code (an in-process deadlock shows there). CI shows only
// part of a long log, so it is kept short: what tells a hang from a click that went
// nowhere from a server that never answered.
func stepReport(ctx context.Context, cl *consoleLog) string {
	var b strings.Builder
	// The step's context may be done (its guard, or the test's): the page is read with
	// one of its own, bounded so a hung browser does not hang the report too.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var page struct {
		URL, Title, Ready, Active, HTML string
		HTMX                            bool
		Busy, Undefined                 []string
		Still                           string
	}
	err := chromedp.Run(rctx, chromedp.Evaluate(`(() => {
		const name = el => !el || !el.tagName ? String(el) : el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
			(el.dataset && el.dataset.testid ? "[data-testid=" + el.dataset.testid + "]" : "");
		// main, trimmed: no scripts, styles, pictures, custom elements' insides (the maps) or
		// details' bodies (item properties), no presentation attributes, texts cut short.
		const root = (document.querySelector("main") || document.body || document.documentElement).cloneNode(true);
		root.querySelectorAll("script, style, svg, template, canvas, link").forEach(el => el.remove());
		root.querySelectorAll("details > :not(summary)").forEach(el => el.remove());
		[root, ...root.querySelectorAll("*")].forEach(el => {
			if (el.tagName.includes("-")) el.replaceChildren();
			for (const a of Array.from(el.attributes)) {
				if (/^(class|style|role|title|tabindex|autocomplete|inputmode|step|min|max|rel|target|scope|aria-.*)$/.test(a.name)) el.removeAttribute(a.name);
			}
		});
		const texts = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
		for (let n = texts.nextNode(); n; n = texts.nextNode()) {
			const v = n.nodeValue.replace(/\s+/g, " ");
			n.nodeValue = v.length > 60 ? v.slice(0, 60) + "…" : v;
		}
		return {URL: location.href, Title: document.title, Ready: document.readyState, Active: name(document.activeElement),
			HTMX: window.htmx !== undefined, HTML: root.outerHTML,
			Undefined: Array.from(document.querySelectorAll(":not(:defined)"), name), Still: window.__gjStillWhy || "",
			Busy: Array.from(document.querySelectorAll(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"))
				.map(el => name(el) + " ." + Array.from(el.classList).filter(c => c.startsWith("htmx-")).join(" ."))};
	})()`, &page))
	if err != nil {
		fmt.Fprintf(&b, "page: not readable: %v\n", err)
	} else {
		fmt.Fprintf(&b, "page: %s (%q, %s), focus on %s\n", shortURL(page.URL), page.Title, page.Ready, page.Active)
		switch {
		case !page.HTMX:
			b.WriteString("htmx: not loaded\n")
		case len(page.Busy) == 0:
			b.WriteString("htmx: idle\n")
		default:
			fmt.Fprintf(&b, "htmx: busy: %s\n", strings.Join(page.Busy, ", "))
		}
		if page.Still != "" {
			fmt.Fprintf(&b, "a click waits: %s\n", page.Still)
		}
		if len(page.Undefined) > 0 {
			// click and still wait for these: their module did not load (yet).
			fmt.Fprintf(&b, "custom elements not defined: %s\n", strings.Join(page.Undefined, ", "))
		}
	}
	if cl != nil {
		b.WriteString(cl.report(time.Now()))
	}
	if err == nil {
		html := trimHTML(page.HTML)
		fmt.Fprintf(&b, "main (trimmed: %d chars):\n%s\n", len(html), html)
	}
	b.WriteString(goroutines())
	return b.String()
}

var spaces = regexp.MustCompile(`\s+`)

// maxHTML bounds the page's HTML in a report: its start and its end are kept.
const maxHTML = 8000

func trimHTML(s string) string {
	s = spaces.ReplaceAllString(s, " ")
	if len(s) > maxHTML {
		s = s[:maxHTML/2] + fmt.Sprintf(" …%d chars… ", len(s)-maxHTML) + s[len(s)-maxHTML/2:]
	}
	return s
}

// goroutines is the test process's goroutine profile (runtime/pprof, debug=1: identical
// stacks counted once), one line per stack that runs geojobs code: where it waits, then
// the geojobs frames innermost first. The others are counted.
func goroutines() string {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return "goroutines: " + err.Error() + "\n"
	}
	var lines []string
	total, other := 0, 0
	for _, rec := range strings.Split(buf.String(), "\n\n") {
		sc := bufio.NewScanner(strings.NewReader(rec))
		if !sc.Scan() {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(sc.Text(), "%d @", &n); err != nil {
			continue // the profile's header
		}
		total += n
		var wait string
		var ours []string
		report := false
		for sc.Scan() {
			// "#\t0x4a5b3c\tgithub.com/geojobs/geojobs/backend/results.(*Downloads).add+0x1c\t\t/src/backend/results/downloads.go:312"
			f := strings.Fields(sc.Text())
			if len(f) < 4 {
				continue
			}
			fn, at := f[2], f[3]
			if i := strings.LastIndex(fn, "+0x"); i > 0 {
				fn = fn[:i]
			}
			if strings.Contains(fn, "webapp.goroutines") {
				report = true // this report's own goroutine
				break
			}
			mod, found := strings.CutPrefix(fn, "github.com/geojobs/geojobs/")
			if wait == "" {
				// What it waits in (sync.runtime_SemacquireMutex, internal/poll.runtime_pollWait);
				// the profile leaves out the runtime's own frames (a select, a channel).
				wait = "[" + fn + "] "
				if found {
					wait = ""
				}
			}
			if found && len(ours) < 6 {
				if i := strings.LastIndex(at, "/"); i >= 0 {
					at = at[i+1:]
				}
				ours = append(ours, mod+" "+at)
			}
		}
		switch {
		case report:
		case len(ours) == 0:
			other += n
		default:
			lines = append(lines, fmt.Sprintf("  %d× %s%s", n, wait, strings.Join(ours, " ← ")))
		}
	}
	return fmt.Sprintf("goroutines (%d; %d in other code only):\n%s\n", total, other, strings.Join(lines, "\n"))
}
